"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.

A HyperLogLog is a string value holding Redis's exact representation (types/hll.py), so
GET, SET, DUMP/RESTORE and RDB files carry it unchanged between pyredis and redis-server.
Like Redis, the commands change the string in place (a bytearray, Redis's "raw" encoding),
PFCOUNT included: it stores the cardinality it computed in the header.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..db import is_string
from ..errors import (HLL_CORRUPTED, HLL_NOT_SPARSE, HLL_NO_SUCH_KEY, NOT_HLL, RedisError,
                      WrongTypeError, unknown_pfdebug_subcommand)
from ..protocol.encode import OK, Reply, SimpleString
from ..types.hll import (DENSE, REGISTERS, SPARSE,
                         CorruptedHyperLogLog, HyperLogLog, NotHyperLogLog, SparseRegisters,
                         cache_count, cached_count, check, estimate, max_registers, new_value,
                         registers_histogram, self_test)
from . import command

if TYPE_CHECKING:
    from ..client import Client

# PFSELFTEST's estimation check adds up to this many elements (Redis goes to 10,000,000,
# which would hold a Python server for half a minute; the checkpoints up to here are the
# same).
SELF_TEST_ELEMENTS = 1_000_000
SELF_TEST_CYCLES = 1000


def _checked(value) -> "bytes | bytearray":
    """value if it is a HyperLogLog string, else Redis's WRONGTYPE errors."""
    if not is_string(value):
        raise WrongTypeError()
    try:
        check(value)
    except NotHyperLogLog:
        raise RedisError(NOT_HLL) from None
    return value


def _registers(hll: HyperLogLog) -> bytes:
    try:
        return hll.registers()
    except CorruptedHyperLogLog:
        raise RedisError(HLL_CORRUPTED) from None


def _union_registers(client: Client, keys: list[bytes]) -> tuple[bytes, bool]:
    """The register-wise maximum of the HyperLogLogs at keys (missing keys count as
    empty), and whether any of them is dense."""
    union = bytes(REGISTERS)
    any_dense = False
    for key in keys:
        value = client.db.get(key)
        if value is None:
            continue
        any_dense |= _checked(value)[4] == DENSE
        union = max_registers(union, _registers(HyperLogLog(value)))
    return union, any_dense


@command("pfadd")
def pfadd(client: Client, argv: list[bytes]) -> Reply:
    db, key = client.db, argv[1]
    value = db.get_for_write(key)
    if value is None:
        hll, changed = HyperLogLog(new_value()), 1
    else:
        hll, changed = HyperLogLog(_checked(value)), 0
    stored = db.mutable_string(key, value)
    try:
        changed += hll.add(argv[2:], client.server.config.hll_sparse_max_bytes)
    except CorruptedHyperLogLog:
        stored[:] = hll.to_bytes()    # what was added before the broken spot stays
        raise RedisError(HLL_CORRUPTED) from None
    if changed:
        hll.invalidate_cache()
        stored[:] = hll.to_bytes()
        db.written(key, "$", "pfadd", changed)
    return changed and 1


@command("pfcount")
def pfcount(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 2:
        union, _ = _union_registers(client, argv[1:])
        return estimate(registers_histogram(union))
    db, key = client.db, argv[1]
    value = db.get(key)
    if value is None:
        return 0
    stored = db.mutable_string(key, _checked(value))
    count = cached_count(stored)
    if count is None:
        try:
            count = HyperLogLog(stored).count()
        except CorruptedHyperLogLog:
            raise RedisError(HLL_CORRUPTED) from None
        # A read-only command that changes the string: signalled and counted as a change,
        # without a keyspace event (as Redis does).
        cache_count(stored, count)
        db.signal_modified(key)
        db.context.count_changes()
    return count


@command("pfmerge")
def pfmerge(client: Client, argv: list[bytes]) -> Reply:
    union, any_dense = _union_registers(client, argv[1:])
    db, key = client.db, argv[1]
    value = db.get_for_write(key)      # a HyperLogLog if it exists: it was a source
    hll = HyperLogLog(value if value is not None else new_value())
    stored = db.mutable_string(key, value)
    if any_dense:
        hll.to_dense()
    max_bytes = client.server.config.hll_sparse_max_bytes
    for index, count in enumerate(union):
        if count:
            hll.set_register(index, count, max_bytes)
    hll.invalidate_cache()
    stored[:] = hll.to_bytes()
    db.written(key, "$", "pfadd")   # Redis's event: a merge is a mass PFADD
    return OK


@command("pfdebug")
def pfdebug(client: Client, argv: list[bytes]) -> Reply:
    db, key = client.db, argv[2]
    value = db.get_for_write(key)
    if value is None:
        raise RedisError(HLL_NO_SUCH_KEY)
    stored = db.mutable_string(key, _checked(value))
    subcommand = argv[1].lower()
    if subcommand in (b"getreg", b"todense"):
        hll = HyperLogLog(stored)
        try:
            converted = hll.to_dense()
        except CorruptedHyperLogLog:
            raise RedisError(HLL_CORRUPTED) from None
        if converted:
            stored[:] = hll.to_bytes()
            db.context.count_changes()    # Redis counts the conversion, without signalling
        if subcommand == b"getreg":
            return list(hll.registers())
        return int(converted)
    if subcommand == b"decode":
        if stored[4] != SPARSE:
            raise RedisError(HLL_NOT_SPARSE)
        return SparseRegisters(stored[16:]).decode()
    if subcommand == b"encoding":
        return SimpleString(b"sparse" if stored[4] == SPARSE else b"dense")
    raise unknown_pfdebug_subcommand(argv[1])


@command("pfselftest")
def pfselftest(client: Client, argv: list[bytes]) -> Reply:
    failure = self_test(SELF_TEST_CYCLES, SELF_TEST_ELEMENTS,
                        client.server.config.hll_sparse_max_bytes)
    if failure is not None:
        raise RedisError(failure)
    return OK

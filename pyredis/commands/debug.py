"""DEBUG: the subcommands Redis's own test suite and pyredis's tests drive the server with,
allowed only by `enable-debug-command`. Command families register their own subcommands with
@debug_subcommand (DEBUG is one command in Redis, not a container).

Value types may add to DEBUG OBJECT's line with a `debug_object_extra()` method (the
quicklist fields of lists, " ql_nodes:1 ..."), and to DEBUG DIGEST with `digest_fields()`
(a stream's entries as (id, [field, value, ...]) pairs)."""
from __future__ import annotations

import hashlib
import math
import os
import random
import signal
import struct
import time
from typing import TYPE_CHECKING, Any, Callable

from ..args import parse_float, parse_int
from ..config import ConfigError, parse_memory
from ..db import is_string
from ..errors import (CLOCK_BACKWARDS, DEBUG_NOT_ALLOWED, MUST_BE_POSITIVE, NOT_LISTPACK,
                      NOT_QUICKLIST, NO_SUCH_KEY, PACKED_THRESHOLD, RESP2_NOT_SUPPORTED, RedisError,
                      config_rewrite_force_all_failed, subcommand_syntax, wrong_protocol_type)
from ..glob import glob_match
from ..protocol.encode import (NO_REPLY, OK, Attribute, BigNumber, OrderedSet, Push, Raw, Reply,
                               SimpleString, Verbatim)
from ..types import type_name
from . import CommandFunc, command
from .keys import encoding_name

if TYPE_CHECKING:
    from ..client import Client
    from ..db import Database

DEBUG_SUBCOMMANDS: dict[bytes, CommandFunc] = {}


def debug_subcommand(name: str) -> Callable[[CommandFunc], CommandFunc]:
    def register(func: CommandFunc) -> CommandFunc:
        DEBUG_SUBCOMMANDS[name.lower().encode()] = func
        return func
    return register


def debug_allowed(client: Client) -> bool:
    setting = client.server.config.enable_debug_command
    return setting == "yes" or (setting == "local" and client.is_local())


@command("debug")
def debug(client: Client, argv: list[bytes]) -> Reply:
    if not debug_allowed(client):
        raise RedisError(DEBUG_NOT_ALLOWED)
    handler = DEBUG_SUBCOMMANDS.get(argv[1].lower())
    if handler is None:
        raise subcommand_syntax(argv)
    return handler(client, argv)


def _arity(argv: list[bytes], *counts: int) -> None:
    if len(argv) not in counts:
        raise subcommand_syntax(argv)


def _atoi(raw: bytes) -> int:
    """C's atoi: the leading integer, 0 when there is none."""
    digits = raw.strip().split(maxsplit=1)[0] if raw.strip() else b""
    sign = -1 if digits[:1] == b"-" else 1
    digits = digits.lstrip(b"+-")
    end = 0
    while end < len(digits) and digits[end:end + 1].isdigit():
        end += 1
    return sign * int(digits[:end]) if end else 0


@debug_subcommand("sleep")
def debug_sleep(client: Client, argv: list[bytes]) -> Reply:
    """Block the whole server, as Redis does (tests use it to build up pending work)."""
    _arity(argv, 3)
    time.sleep(max(parse_float(argv[2]), 0))
    return OK


@debug_subcommand("pause-cron")
def debug_pause_cron(client: Client, argv: list[bytes]) -> Reply:
    """Stop (1) or restart (0) the periodic cron, to look at what commands alone do."""
    _arity(argv, 3)
    client.server.pause_cron = _atoi(argv[2]) != 0
    return OK


@debug_subcommand("replybuffer")
def debug_replybuffer(client: Client, argv: list[bytes]) -> Reply:
    """REPLYBUFFER PEAK-RESET-TIME <never|reset|ms> / RESIZING <0|1>: Redis's knobs of the
    cron that resizes each client's reply buffer. pyredis never resizes it (rbs stays
    16 KB), so both leave it as it is; the arguments are checked as Redis checks them."""
    _arity(argv, 4)
    setting = argv[2].lower()
    if setting == b"peak-reset-time":
        if argv[3].lower() not in (b"never", b"reset"):
            parse_int(argv[3])
    elif setting != b"resizing":
        raise subcommand_syntax(argv)
    return OK


@debug_subcommand("set-active-expire")
def debug_set_active_expire(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 3)
    client.server.active_expire_enabled = _atoi(argv[2]) != 0
    return OK


@debug_subcommand("advance-clock")
def debug_advance_clock(client: Client, argv: list[bytes]) -> Reply:
    """DEBUG ADVANCE-CLOCK seconds: move the server's clock forward, as if that much time had
    passed: keys expire, TTLs and idle times move, blocked clients time out (tests)."""
    _arity(argv, 3)
    seconds = parse_float(argv[2])
    if seconds < 0 or math.isinf(seconds):
        raise RedisError(CLOCK_BACKWARDS)
    client.server.clock.advance(seconds)
    client.server.clock_advanced()
    return OK


@debug_subcommand("log")
def debug_log(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 3)
    client.server.log_warning("DEBUG LOG: %s" % argv[2].decode(errors="replace"))
    return OK


@debug_subcommand("error")
def debug_error(client: Client, argv: list[bytes]) -> Reply:
    """The argument as an error reply, verbatim (for clients' tests)."""
    _arity(argv, 3)
    return Raw(b"-%s\r\n" % argv[2].replace(b"\r", b" ").replace(b"\n", b" "))


@debug_subcommand("segfault")
def debug_segfault(client: Client, argv: list[bytes]) -> Reply:
    """Crash as on a fault: the crash report (when crash-log-enabled), then death by
    SIGSEGV. The client gets no reply, as from Redis."""
    _arity(argv, 2)
    signal.raise_signal(signal.SIGSEGV)
    client.server.process.check_crash_signals()
    return NO_REPLY


@debug_subcommand("replicate")
def debug_replicate(client: Client, argv: list[bytes]) -> Reply:
    """DEBUG REPLICATE command [arg ...]: the command goes to the replicas without running
    here (a way to test a replica's handling of errors), in the stream's current db."""
    if len(argv) < 3:
        raise subcommand_syntax(argv)
    replication = client.server.replication
    if replication.has_stream():
        replication.feed(replication.stream_db, argv[2:])
    return OK


@debug_subcommand("change-repl-id")
def debug_change_repl_id(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 2)
    server = client.server
    server.log("notice", "Changing replication IDs after receiving DEBUG change-repl-id")
    server.replication.change_replid()
    server.replication.clear_replid2()
    return OK


@debug_subcommand("config-rewrite-force-all")
def debug_config_rewrite_force_all(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 2)
    try:
        client.server.config.rewrite(force_all=True)
    except ConfigError:
        raise config_rewrite_force_all_failed("Bad address") from None
    except OSError as exc:
        raise config_rewrite_force_all_failed(exc.strerror) from None
    return OK


# -- one key -------------------------------------------------------------------------------

def _raw_lookup(client: Client, key: bytes) -> Any:
    """The value at key, even logically expired (DEBUG looks at the dictionary itself)."""
    value = client.db.data.get(key)
    if value is None:
        raise RedisError(NO_SUCH_KEY)
    return value


SHARED_INTEGERS = 10000          # Redis's OBJ_SHARED_INTEGERS
SHARED_REFCOUNT = 2147483647


def _serialized_length(value: Any) -> int:
    """About the size of the value in an RDB file: its payload plus length prefixes."""
    def length_prefix(n: int) -> int:
        return 1 if n < 64 else 2 if n < 16384 else 5
    if is_string(value):
        try:
            number = parse_int(value)
        except RedisError:
            return length_prefix(len(value)) + len(value)
        return 2 if -128 <= number < 128 else 3 if -32768 <= number < 32768 else \
            5 if -2**31 <= number < 2**31 else length_prefix(len(value)) + len(value)
    parts = [value[k] for k in value] + list(value) if isinstance(value, dict) else \
        list(value) if hasattr(value, "__iter__") else []
    payload = sum(len(p) if isinstance(p, bytes) else 8 for p in parts)
    return length_prefix(len(parts)) + payload + len(parts)


@debug_subcommand("object")
def debug_object(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 3)
    key = argv[2]
    value = _raw_lookup(client, key)
    server = client.server
    encoding = encoding_name(value, server.config).decode()
    refcount = 1
    if encoding == "int" and 0 <= parse_int(value) < SHARED_INTEGERS and \
            not server.config.maxmemory_policy.endswith(("-lru", "-lfu")):
        refcount = SHARED_REFCOUNT
    idle_ms = client.db.idle_ms(key)
    lru = ((server.clock.ms() - idle_ms) // 1000) & (2**24 - 1)
    extra = value.debug_object_extra() if hasattr(value, "debug_object_extra") else ""
    return SimpleString(
        ("Value at:0x%x refcount:%d encoding:%s serializedlength:%d lru:%d "
         "lru_seconds_idle:%d%s" % (id(value), refcount, encoding, _serialized_length(value),
                                    lru, idle_ms // 1000, extra)).encode())


@debug_subcommand("listpack")
def debug_listpack(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 3)
    value = client.db.get(argv[2])
    if value is None:
        raise RedisError(NO_SUCH_KEY)
    if encoding_name(value, client.server.config) != b"listpack":
        raise RedisError(NOT_LISTPACK)
    client.server.log("notice", "Listpack of %r: %r" % (argv[2], list(value)))
    return SimpleString(b"Listpack structure printed on stdout")


@debug_subcommand("quicklist")
def debug_quicklist(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 3, 4)
    value = client.db.get(argv[2])
    if value is None:
        raise RedisError(NO_SUCH_KEY)
    if encoding_name(value, client.server.config) != b"quicklist":
        raise RedisError(NOT_QUICKLIST)
    client.server.log("notice", "Quicklist of %r: %r" % (argv[2], list(value)))
    return SimpleString(b"Quicklist structure printed on stdout")


@debug_subcommand("quicklist-packed-threshold")
def debug_quicklist_packed_threshold(client: Client, argv: list[bytes]) -> Reply:
    """The size from which Redis gives a list element a node of its own. pyredis's lists
    have no such nodes: the size is checked as Redis checks it, and changes nothing."""
    _arity(argv, 3)
    try:
        size = parse_memory(argv[2].decode(errors="replace"))
    except ConfigError:
        size = -1
    if size < 0 or size > (1 << 32) - (1 << 20):
        raise RedisError(PACKED_THRESHOLD)
    return OK


@debug_subcommand("populate")
def debug_populate(client: Client, argv: list[bytes]) -> Reply:
    """DEBUG POPULATE count [prefix] [size]: string keys prefix:N = value:N (padded or cut to
    size bytes); existing keys are left alone."""
    _arity(argv, 3, 4, 5)
    count = _positive(argv[2])
    size = _positive(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) > 3 else b"key"
    db = client.db
    for i in range(count):
        key = (b"%s:%d" % (prefix, i))[:127]
        if db.get_for_write(key) is not None:
            continue
        value = b"value:%d" % i
        if size:
            value = value[:size].ljust(size, b"\0")
        db.set(key, value)
        db.signal_modified(key)   # no event, no change to save: as Redis does
    return OK


def _positive(raw: bytes) -> int:
    value = parse_int(raw, MUST_BE_POSITIVE)
    if value < 0:
        raise RedisError(MUST_BE_POSITIVE)
    return value


# -- digests -------------------------------------------------------------------------------

TYPE_IDS = {b"string": 0, b"list": 1, b"set": 2, b"zset": 3, b"hash": 4, b"stream": 6}


def _xor(digest: bytearray, data: bytes) -> None:
    for i, b in enumerate(hashlib.sha1(data).digest()):
        digest[i] ^= b


def _mix(digest: bytearray, data: bytes) -> None:
    """digest = SHA1(digest xor SHA1(data)): for what is ordered."""
    _xor(digest, data)
    digest[:] = hashlib.sha1(bytes(digest)).digest()


def value_digest(db: Database, key: bytes, value: Any, digest: bytearray) -> None:
    """Mix one value into digest as Redis's xorObjectDigest does: ordered things mixed,
    unordered ones (set members, hash fields) xor-ed so that order does not count."""
    kind = type_name(value)
    _mix(digest, struct.pack(">I", TYPE_IDS.get(kind, 5)))
    if kind == b"string":
        _mix(digest, value)
    elif kind == b"list":
        for element in value:
            _mix(digest, element)
    elif kind == b"set":
        for member in value:
            _xor(digest, member)
    elif kind in (b"zset", b"hash"):
        for member in value:
            element = bytearray(20)
            _mix(element, member)
            if kind == b"zset":
                _mix(element, b"%.17g" % value.score(member))
            else:
                _mix(element, value[member])
            _xor(digest, bytes(element))
    elif hasattr(value, "digest_fields"):
        for entry_id, fields in value.digest_fields():
            _mix(digest, entry_id)
            for field in fields:
                _mix(digest, field)
    if key in db.expires:
        _xor(digest, b"!!expire!!")


@debug_subcommand("digest")
def debug_digest(client: Client, argv: list[bytes]) -> Reply:
    """A hash of the whole dataset (equal datasets, equal digests; all zeros when empty)."""
    _arity(argv, 2)
    final = bytearray(20)
    for db in client.server.dbs:
        if not db.data:
            continue
        _mix(final, struct.pack(">I", db.index))
        for key, value in list(db.data.items()):
            digest = bytearray(20)
            _mix(digest, key)
            value_digest(db, key, value, digest)
            _xor(final, bytes(digest))
    return SimpleString(final.hex().encode())


@debug_subcommand("digest-value")
def debug_digest_value(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    replies = []
    for key in argv[2:]:
        digest = bytearray(20)
        value = db.data.get(key)
        if value is not None:
            value_digest(db, key, value, digest)
        replies.append(SimpleString(digest.hex().encode()))
    return replies


# -- protocol ------------------------------------------------------------------------------

PROTOCOL_TYPES = ("string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|"
                  "true|false")


@debug_subcommand("protocol")
def debug_protocol(client: Client, argv: list[bytes]) -> Reply:
    """A sample reply of each RESP3 type, as RESP2 shows it to RESP2 clients."""
    _arity(argv, 3)
    name = argv[2].lower()
    resp3 = client.proto >= 3
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return 3.141
    if name == b"bignum":
        number = 1234567999999999999999999999999999999
        return BigNumber(number) if resp3 else b"%d" % number
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return OrderedSet([0, 1, 2])
    if name == b"map":
        return {0: False, 1: True, 2: False}
    if name == b"attrib":
        if resp3:
            client.add_reply(Attribute({b"key-popularity": [b"key:123", 90]}))
        return b"Some real reply following the attribute"
    if name == b"push":
        if not resp3:
            raise RedisError(RESP2_NOT_SUPPORTED)
        client.add_reply(Push([b"server-cpu-usage", 42]))
        return b"Some real reply following the push reply"
    if name == b"true":
        return True
    if name == b"false":
        return False
    if name == b"verbatim":
        return Verbatim(b"This is a verbatim\nstring")
    raise wrong_protocol_type(PROTOCOL_TYPES)


@debug_subcommand("stringmatch-test")
def debug_stringmatch_test(client: Client, argv: list[bytes]) -> Reply:
    """Glob matching against random patterns and strings: it must never fail."""
    _arity(argv, 2)
    alphabet = b"*?[]^-\\ab"
    rng = random.Random(os.urandom(8))
    for _ in range(300):      # a few hundred: the server stops meanwhile
        pattern = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        subject = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        glob_match(pattern, subject)
        glob_match(pattern, subject, nocase=True)
    return SimpleString(b"Apparently Redis did not crash: test passed")


# DEBUG HELP's text of each subcommand, in Redis's order; HELP lists those registered.
DEBUG_HELP = {
    "advance-clock": ["ADVANCE-CLOCK <seconds>",
                      "    Move the server's clock forward: keys expire, idle times grow "
                      "(pyredis)."],
    "change-repl-id": ["CHANGE-REPL-ID",
                       "    Change the replication IDs of the instance.",
                       "    Dangerous: should be used only for testing the replication "
                       "subsystem."],
    "config-rewrite-force-all": [
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values."],
    "digest": ["DIGEST", "    Output a hex signature representing the current DB content."],
    "digest-value": ["DIGEST-VALUE <key> [<key> ...]",
                     "    Output a hex signature of the values of all the specified keys."],
    "error": ["ERROR <string>",
              "    Return a Redis protocol error with <string> as message. Useful for clients",
              "    unit tests to simulate Redis errors."],
    "log": ["LOG <message>", "    Write <message> to the server log."],
    "loadaof": ["LOADAOF", "    Flush the AOF buffers on disk and reload the AOF in memory."],
    "replicate": ["REPLICATE <string>",
                  "    Replicates the provided string to replicas, allowing data divergence."],
    "object": ["OBJECT <key>", "    Show low level info about `key` and associated value."],
    "populate": ["POPULATE <count> [<prefix>] [<size>]",
                 "    Create <count> string keys named key:<num>. If <prefix> is specified "
                 "then",
                 "    it is used instead of the 'key' prefix. These are not propagated to",
                 "    replicas. Cluster slots are not respected so keys not belonging to the",
                 "    current node can be created in cluster mode."],
    "protocol": ["PROTOCOL <type>",
                 "    Reply with a test value of the specified type. <type> can be: string,",
                 "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
                 "    true, false."],
    "reload": ["RELOAD [option ...]",
               "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
               "    * MERGE: conflicting keys will be loaded from RDB.",
               "    * NOFLUSH: the existing database will not be removed before load, but",
               "      conflicting keys will generate an exception and kill the server.",
               "    * NOSAVE: the database will be loaded from an existing RDB file.",
               "    Examples:",
               "    * DEBUG RELOAD: verify that the server is able to persist, flush and "
               "reload",
               "      the database.",
               "    * DEBUG RELOAD NOSAVE: replace the current database with the contents "
               "of an",
               "      existing RDB file.",
               "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
               "      file to the database."],
    "segfault": ["SEGFAULT", "    Crash the server with sigsegv."],
    "set-active-expire": [
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default."],
    "quicklist-packed-threshold": [
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to "
        "default."],
    "sleep": ["SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed."],
    "stringmatch-test": ["STRINGMATCH-TEST",
                         "    Run a fuzz tester against the stringmatchlen() function."],
    "listpack": ["LISTPACK <key>",
                 "    Show low level info about the listpack encoding of <key>."],
    "quicklist": ["QUICKLIST <key> [<0|1>]",
                  "    Show low level info about the quicklist encoding of <key>.",
                  "    The optional argument (0 by default) sets the level of detail"],
    "pause-cron": ["PAUSE-CRON <0|1>", "    Stop periodic cron job processing."],
    "replybuffer": ["REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
                    "    Sets the time (in milliseconds) to wait between client reply buffer "
                    "peak resets.",
                    "    In case NEVER is provided the last observed peak will never be reset",
                    "    In case RESET is provided the peak reset time will be restored to the "
                    "default value",
                    "REPLYBUFFER RESIZING <0|1>",
                    "    Enable or disable the reply buffer resize cron job"],
}


@debug_subcommand("help")
def debug_help(client: Client, argv: list[bytes]) -> Reply:
    _arity(argv, 2)
    registered = [name.decode() for name in DEBUG_SUBCOMMANDS if name != b"help"]
    lines = ["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
    for name in [n for n in DEBUG_HELP if n in registered] + \
            [n for n in registered if n not in DEBUG_HELP]:
        lines += DEBUG_HELP.get(name, [name.upper()])
    lines += ["HELP", "    Prints this help."]
    return [SimpleString(line.encode()) for line in lines]

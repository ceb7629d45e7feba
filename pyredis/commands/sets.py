"""Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER
SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN."""
from __future__ import annotations

import random
from itertools import islice
from typing import Any, Callable, Final, Iterable, Optional, TYPE_CHECKING

from ..args import ArgReader, parse_positive_int, parse_range_int
from ..types.integers import INT64_MAX
from ..errors import (KEYS_MORE_THAN_ARGS, NEGATIVE_LIMIT, NUMKEYS_NOT_POSITIVE, RedisError,
                      WrongTypeError, syntax_error)
from ..glob import glob_matcher
from ..protocol.encode import OrderedSet, Reply
from ..scan import parse_cursor, parse_scan_options
from ..types.set import SetValue
from . import command

if TYPE_CHECKING:
    from ..client import Client

SPOP_MOVE_STRATEGY_MUL: Final = 5        # SPOP count: rebuild the rest when it is small (Redis's)
SRANDMEMBER_SUB_STRATEGY_MUL: Final = 3  # SRANDMEMBER count: sample by removal past this ratio


def store_or_delete(client: Client, key: bytes, value: Any, event_class: str, event: str,
                    changes: int = 1) -> int:
    """Store a computed collection at key (the *STORE commands; `changes` is what Redis
    adds to its dirty counter), or delete key when the result is empty; returns the
    result's size."""
    db = client.db
    if len(value):
        db.set(key, value)
        db.written(key, event_class, event, changes)
        return len(value)
    if db.delete(key):
        db.written(key, "g", "del")
    return 0


def _lookup_sets(db, keys: list[bytes]) -> list[Optional[SetValue]]:
    """The sets at keys (None for missing ones); WRONGTYPE if any key holds something else."""
    sets = [db.get(key) for key in keys]
    for value in sets:
        if value is not None and type(value) is not SetValue:
            raise WrongTypeError()
    return sets


# -- single-set commands ----------------------------------------------------------------------

@command("sadd")
def sadd(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key = argv[1]
    value = db.get_typed(key, SetValue, write=True)
    created = value is None
    if created:
        value = SetValue.for_member(argv[2])
    config = client.server.config
    added = sum(1 for member in argv[2:] if value.add(member, config))
    if created:
        db.set(key, value)
    if added:
        db.written(key, "s", "sadd", added)
    return added


@command("srem")
def srem(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key = argv[1]
    value = db.get_typed(key, SetValue, write=True)
    if value is None:
        return 0
    removed = 0
    for member in argv[2:]:
        if value.remove(member):
            removed += 1
            if not value:
                break
    if removed:
        db.elements_removed(key, value, "s", "srem", removed)
    return removed


@command("scard")
def scard(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get_typed(argv[1], SetValue)
    return len(value) if value is not None else 0


@command("sismember")
def sismember(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get_typed(argv[1], SetValue)
    return int(value is not None and argv[2] in value)


@command("smismember")
def smismember(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get_typed(argv[1], SetValue)
    return [int(value is not None and member in value) for member in argv[2:]]


@command("smembers")
def smembers(client: Client, argv: list[bytes]) -> Reply:
    return _intersection(client, argv[1:], None, False, 0)


@command("srandmember")
def srandmember(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3:
        raise syntax_error()
    if len(argv) == 2:
        value = client.db.get_typed(argv[1], SetValue)
        return value.random_member() if value is not None else None
    count = parse_range_int(argv[2], -INT64_MAX, INT64_MAX)
    value = client.db.get_typed(argv[1], SetValue)
    if value is None or count == 0:
        return []
    if count < 0 or count == 1:
        # Repeats allowed: independent draws, in random order.
        return random.choices(value.items, k=abs(count))
    if count >= len(value):
        return list(value)
    return _distinct_sample(value, count)


def _distinct_sample(value: SetValue, count: int) -> list[bytes]:
    """count distinct random members, count < len(value)."""
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > len(value):
        return random.sample(value.items, count)
    picked: dict[bytes, None] = {}
    while len(picked) < count:
        picked[value.random_member()] = None
    return list(picked)


@command("spop")
def spop(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key = argv[1]
    if len(argv) > 3:
        raise syntax_error()
    if len(argv) == 2:
        value = db.get_typed(key, SetValue, write=True)
        if value is None:
            return None
        member = value.pop_random()
        propagation = client.server.propagation
        if propagation.active:
            propagation.rewrite([b"SREM", key, member])
        db.elements_removed(key, value, "s", "spop")
        return member
    count = parse_positive_int(argv[2])
    value = db.get_typed(key, SetValue, write=True)
    if value is None or count == 0:
        return OrderedSet()
    size = len(value)
    if count >= size:
        popped = _union_or_diff(client, [key], None, True)
        value = SetValue()      # nothing stays: the key goes
    elif (size - count) * SPOP_MOVE_STRATEGY_MUL > count:
        popped = OrderedSet(value.pop_random() for _ in range(count))
    else:
        # Popping most of the set: draw the members that stay into a new set instead.
        kept = random.sample(value.items, size - count)
        for member in kept:
            value.remove(member)
        popped = OrderedSet(value)
        value = SetValue.for_member(kept[0])
        config = client.server.config
        for member in kept:
            value.add(member, config)
        db.replace(key, value)
    db.elements_removed(key, value, "s", "spop", min(count, size))
    propagation = client.server.propagation
    if propagation.active:
        # The whole set as DEL, else one SREM a member, in the order of the reply.
        if count >= size:
            propagation.rewrite([b"DEL", key])
        else:
            for member in popped:
                propagation.also(db.index, [b"SREM", key, member])
            propagation.prevent()
    return popped


@command("smove")
def smove(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.get_for_write(src_key)
    dst = db.get_for_write(dst_key)
    if src is None:
        return 0
    if type(src) is not SetValue or (dst is not None and type(dst) is not SetValue):
        raise WrongTypeError()
    if src is dst:
        return int(member in src)
    if not src.remove(member):
        return 0
    db.elements_removed(src_key, src, "s", "srem")
    created = dst is None
    if created:
        dst = SetValue.for_member(member)
    if dst.add(member, client.server.config):
        if created:
            db.set(dst_key, dst)
        db.written(dst_key, "s", "sadd")
    return 1


# -- multi-set commands -----------------------------------------------------------------------

def _intersection(client: Client, keys: list[bytes], dst: Optional[bytes], card_only: bool,
                  limit: int):
    """SINTER, SMEMBERS, SINTERSTORE and SINTERCARD."""
    found = _lookup_sets(client.db, keys)
    sets = [s for s in found if s is not None]
    if len(sets) < len(found):
        if dst is not None:
            return store_or_delete(client, dst, SetValue(), "s", "sinterstore")
        return 0 if card_only else OrderedSet()
    sets.sort(key=len)
    common = iter(sets[0])
    for other in sets[1:]:
        if other is not sets[0]:
            common = filter(other.positions.__contains__, common)
    if card_only:
        return sum(1 for _ in islice(common, limit or None))
    if dst is None:
        return OrderedSet(common)
    result = SetValue()
    config = client.server.config
    for member in common:
        result.add(member, config)
    return store_or_delete(client, dst, result, "s", "sinterstore")


def _union_or_diff(client: Client, keys: list[bytes], dst: Optional[bytes], union: bool):
    """SUNION, SDIFF and their STORE variants."""
    sets = _lookup_sets(client.db, keys)
    config = client.server.config
    result = SetValue()
    if union:
        for value in sets:
            if value is not None:
                for member in value:
                    result.add(member, config)
    elif sets[0] is not None and not any(s is sets[0] for s in sets[1:]):
        others = [s for s in sets[1:] if s is not None]
        for member in sets[0]:
            if not any(member in other for other in others):
                result.add(member, config)
    if dst is None:
        return OrderedSet(result)
    return store_or_delete(client, dst, result, "s", "sunionstore" if union else "sdiffstore")


@command("sinter")
def sinter(client: Client, argv: list[bytes]) -> Reply:
    return _intersection(client, argv[1:], None, False, 0)


@command("sintercard")
def sintercard(client: Client, argv: list[bytes]) -> Reply:
    numkeys = parse_range_int(argv[1], 1, INT64_MAX, NUMKEYS_NOT_POSITIVE)
    if numkeys > len(argv) - 2:
        raise RedisError(KEYS_MORE_THAN_ARGS)
    reader = ArgReader(argv, 2 + numkeys)
    limit = 0
    while reader.more():
        if reader.keyword() == b"LIMIT" and reader.more():
            limit = parse_positive_int(reader.next(), NEGATIVE_LIMIT)
        else:
            raise syntax_error()
    return _intersection(client, argv[2:2 + numkeys], None, True, limit)


@command("sinterstore")
def sinterstore(client: Client, argv: list[bytes]) -> Reply:
    return _intersection(client, argv[2:], argv[1], False, 0)


@command("sunion")
def sunion(client: Client, argv: list[bytes]) -> Reply:
    return _union_or_diff(client, argv[1:], None, True)


@command("sunionstore")
def sunionstore(client: Client, argv: list[bytes]) -> Reply:
    return _union_or_diff(client, argv[2:], argv[1], True)


@command("sdiff")
def sdiff(client: Client, argv: list[bytes]) -> Reply:
    return _union_or_diff(client, argv[1:], None, False)


@command("sdiffstore")
def sdiffstore(client: Client, argv: list[bytes]) -> Reply:
    return _union_or_diff(client, argv[2:], argv[1], False)


@command("sscan")
def sscan(client: Client, argv: list[bytes]) -> Reply:
    cursor = parse_cursor(argv[2])
    value = client.db.get_typed(argv[1], SetValue)
    if value is None:
        return [b"0", []]
    cursor, members = scan_collection(client, argv, cursor, value, value.intset,
                                      lambda: value)
    return [b"%d" % cursor, members]


def scan_collection(client: Client, argv: list[bytes], cursor: int, value: Any, small: bool,
                    names: Callable[[], Iterable[bytes]]) -> tuple[int, list[bytes]]:
    """One SSCAN/ZSCAN step over value: (next cursor, the names matching MATCH). A small
    encoding answers everything in one call with cursor 0, as Redis does."""
    count, pattern, _ = parse_scan_options(argv, 3, allow_type=False)
    if small:
        found = list(names())
        cursor = 0
    else:
        cursor, found = client.server.scan_cursors.scan(cursor, count, names,
                                                        value.__contains__, owner=value)
    if pattern is not None:
        matches = glob_matcher(pattern)
        found = [name for name in found if matches(name)]
    return cursor, found

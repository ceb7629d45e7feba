"""Hash commands."""
from __future__ import annotations

import random
from typing import Final, Optional, TYPE_CHECKING

from ..args import parse_int
from ..errors import (HASH_NOT_FLOAT, HASH_NOT_INTEGER, NAN_OR_INFINITY, NAN_OR_INFINITY_VALUE,
                      OVERFLOW, VALUE_OUT_OF_RANGE, RedisError, WrongTypeError, not_between,
                      not_float, syntax_error, wrong_arity)
from ..glob import glob_matcher
from ..longdouble import add_long_double, format_long_double, parse_long_double
from ..protocol.encode import NO_REPLY, OK, Reply
from ..scan import parse_cursor, parse_scan_options
from ..types.integers import INT64_MAX, INT64_MIN
from ..types.hash import HashValue
from . import command

if TYPE_CHECKING:
    from ..client import Client

EMPTY_SCAN: Final = [b"0", []]
RANDOM_SLICE: Final = 100_000   # HRANDFIELD with a huge negative count: picked this many at a time


def _lookup(client: Client, key: bytes, write: bool = False) -> Optional[HashValue]:
    """The hash at key, None if missing, WRONGTYPE for other types. A plain dict (made by
    code that builds hashes whole) becomes a HashValue in the encoding Redis would load."""
    db = client.db
    value = db.get_for_write(key) if write else db.get(key)
    if value is None or type(value) is HashValue:
        return value
    if type(value) is not dict:
        raise WrongTypeError()
    value = HashValue.build(value.items(), client.server.config)
    db.data[key] = value
    db.account(key, value)
    return value


def _set_field(hash_: HashValue, field: bytes, value: bytes, config) -> bool:
    """Set one field (Redis's hashTypeSet, with its listpack conversions); True if new."""
    hash_.check_lengths(config, (field, value))
    size = len(hash_)
    hash_[field] = value   # one lookup in a big hash: whether the field is new shows in its length
    if len(hash_) == size:
        return False
    hash_.check_size(config)
    hash_.fields_changed()
    return True


def _store(client: Client, key: bytes, hash_: HashValue, created: bool, event: str,
           changes: int = 1) -> None:
    """After changing a hash: a new one is added to the database; the write is told."""
    db = client.db
    if created:
        db.set(key, hash_)
    db.written(key, "h", event, changes)


def _hset(client: Client, argv) -> int:
    if len(argv) % 2:
        raise wrong_arity(argv[0].decode(errors="surrogateescape").lower())
    key = argv[1]
    hash_ = _lookup(client, key, write=True)
    created = hash_ is None
    if hash_ is None:
        hash_ = HashValue()
    config = client.server.config
    added = 0
    for i in range(2, len(argv), 2):
        added += _set_field(hash_, argv[i], argv[i + 1], config)
    _store(client, key, hash_, created, "hset", (len(argv) - 2) // 2)
    return added


@command("hset")
def hset(client: Client, argv: list[bytes]) -> Reply:
    return _hset(client, argv)


@command("hmset")
def hmset(client: Client, argv: list[bytes]) -> Reply:
    _hset(client, argv)
    return OK


@command("hsetnx")
def hsetnx(client: Client, argv: list[bytes]) -> Reply:
    key = argv[1]
    hash_ = _lookup(client, key, write=True)
    created = hash_ is None
    if hash_ is None:
        hash_ = HashValue()
    elif argv[2] in hash_:
        return 0
    _set_field(hash_, argv[2], argv[3], client.server.config)
    _store(client, key, hash_, created, "hset")
    return 1


@command("hget")
def hget(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    return None if hash_ is None else hash_.get(argv[2])


@command("hmget")
def hmget(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    if hash_ is None:
        return [None] * (len(argv) - 2)
    get = hash_.get
    return [get(field) for field in argv[2:]]


@command("hdel")
def hdel(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key = argv[1]
    hash_ = _lookup(client, key, write=True)
    if hash_ is None:
        return 0
    deleted = 0
    for field in argv[2:]:
        if hash_.pop(field, None) is not None:
            deleted += 1
            if not hash_:
                break
    if deleted:
        hash_.fields_changed()
        db.elements_removed(key, hash_, "h", "hdel", deleted)
    return deleted


@command("hlen")
def hlen(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    return 0 if hash_ is None else len(hash_)


@command("hstrlen")
def hstrlen(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    value = None if hash_ is None else hash_.get(argv[2])
    return 0 if value is None else len(value)


@command("hexists")
def hexists(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    return int(hash_ is not None and argv[2] in hash_)


@command("hkeys")
def hkeys(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    return [] if hash_ is None else list(hash_)


@command("hvals")
def hvals(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    return [] if hash_ is None else list(hash_.values())


@command("hgetall")
def hgetall(client: Client, argv: list[bytes]) -> Reply:
    hash_ = _lookup(client, argv[1])
    return {} if hash_ is None else dict(hash_)


@command("hincrby")
def hincrby(client: Client, argv: list[bytes]) -> Reply:
    increment = parse_int(argv[3])
    key, field = argv[1], argv[2]
    hash_ = _lookup(client, key, write=True)
    created = hash_ is None
    if hash_ is None:
        hash_ = HashValue()
    current = hash_.get(field)
    value = 0
    if current is not None:
        value = parse_int(current, HASH_NOT_INTEGER)
    total = value + increment
    if not INT64_MIN <= total <= INT64_MAX:
        raise RedisError(OVERFLOW)
    _set_field(hash_, field, b"%d" % total, client.server.config)
    _store(client, key, hash_, created, "hincrby")
    return total


@command("hincrbyfloat")
def hincrbyfloat(client: Client, argv: list[bytes]) -> Reply:
    increment = parse_long_double(argv[3])
    if increment is None:
        raise not_float()
    if isinstance(increment, float):      # parse_long_double's infinities
        raise RedisError(NAN_OR_INFINITY_VALUE)
    key, field = argv[1], argv[2]
    hash_ = _lookup(client, key, write=True)
    created = hash_ is None
    if hash_ is None:
        hash_ = HashValue()
    current = hash_.get(field)
    total = increment
    if current is not None:
        value = parse_long_double(current)
        if value is None:
            raise RedisError(HASH_NOT_FLOAT)
        added = add_long_double(value, increment)
        if added is None:
            raise RedisError(NAN_OR_INFINITY)
        total = added
    result = format_long_double(total)
    _set_field(hash_, field, result, client.server.config)
    _store(client, key, hash_, created, "hincrbyfloat")
    propagation = client.server.propagation
    if propagation.active:
        # The value reached, so that no replay depends on float arithmetic or formatting.
        propagation.rewrite([b"HSET", key, field, result])
    return result


# -- random fields ------------------------------------------------------------------------

def _pick(hash_: HashValue, count: int) -> list[bytes]:
    """`count` random fields: distinct ones if count > 0 (fewer than the hash has), with
    repeats if count < 0."""
    for _ in range(2):
        fields = hash_.field_list()
        if count > 0:
            picked = random.sample(fields, count)
        else:
            picked = random.choices(fields, k=-count)
        if all(field in hash_ for field in picked):
            break
        hash_.fields_changed()     # a writer left the list behind: rebuild it, once
    return picked


def _pick_many(client: Client, hash_: HashValue, count: int,
               with_values: bool) -> Optional[list[bytes]]:
    """`count` random fields with repeats, picked a slice at a time: None when the reply
    would pass the client's output limit, which closes the client (Redis stops the command
    there instead of building a reply it will never send)."""
    picked: list[bytes] = []
    size = 0
    while count > 0:
        part = _pick(hash_, -min(count, RANDOM_SLICE))
        count -= len(part)
        picked += part
        size += sum(len(f) for f in part) + 16 * len(part)
        if with_values:
            size += sum(len(hash_[f]) for f in part)
        if not client.reply_fits(size):
            return None
    return picked


@command("hrandfield")
def hrandfield(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) == 2:
        hash_ = _lookup(client, argv[1])
        return None if not hash_ else _pick(hash_, -1)[0]
    count = parse_int(argv[2])
    if count < -INT64_MAX:
        raise not_between(-INT64_MAX, INT64_MAX)
    with_values = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise syntax_error()
    if len(argv) == 4:
        with_values = True
        if not -(INT64_MAX // 2) <= count <= INT64_MAX // 2:
            raise RedisError(VALUE_OUT_OF_RANGE)
    hash_ = _lookup(client, argv[1])
    if hash_ is None or count == 0:
        return []
    if count < -RANDOM_SLICE:
        fields = _pick_many(client, hash_, -count, with_values)
        if fields is None:
            return NO_REPLY
    else:
        fields = list(hash_) if count >= len(hash_) else _pick(hash_, count)
    if not with_values:
        return fields
    if client.proto == 3:
        return [[field, hash_[field]] for field in fields]
    return [item for field in fields for item in (field, hash_[field])]


@command("hscan")
def hscan(client: Client, argv: list[bytes]) -> Reply:
    cursor = parse_cursor(argv[2])
    hash_ = _lookup(client, argv[1])
    if hash_ is None:
        return EMPTY_SCAN
    count, pattern, _ = parse_scan_options(argv, 3, allow_type=False)
    matches = glob_matcher(pattern) if pattern is not None else None
    if hash_.listpack:
        # A listpack is walked whole in one call, as Redis does: cursor 0, COUNT ignored.
        fields = [f for f in hash_ if matches is None or matches(f)]
        next_cursor = 0
    else:
        next_cursor, fields = client.server.scan_cursors.scan(
            cursor, count, lambda: hash_,
            lambda f: f in hash_ and (matches is None or matches(f)), owner=hash_)
    return [str(next_cursor).encode(), [item for f in fields for item in (f, hash_[f])]]

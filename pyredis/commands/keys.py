"""Generic key commands: deletion, existence, renaming, copying and moving keys, iterating
the keyspace (KEYS, SCAN, RANDOMKEY), TTLs (EXPIRE family, TTL family, PERSIST) and OBJECT."""
from __future__ import annotations

import copy
from typing import Any, Final, TYPE_CHECKING

from ..args import parse_int, parse_int32
from ..types.integers import INT64_MAX
from ..db import is_string
from ..errors import (COPY_IN_CLUSTER, DB_INDEX, EXPIRE_GT_AND_LT, EXPIRE_NX_AND_OTHERS, LFU_POLICY,
                      MOVE_IN_CLUSTER, NO_SUCH_KEY, SAME_OBJECT, RedisError, invalid_expire_time,
                      syntax_error, unsupported_expire_option)
from ..glob import glob_matcher
from ..protocol.encode import OK, Reply, SimpleString
from ..scan import parse_cursor, parse_scan_options
from ..types import type_name
from . import command, help_reply
from .strings import string_encoding

if TYPE_CHECKING:
    from ..client import Client

SHARED_INTEGERS: Final = 10000          # Redis shares the objects of 0..9999 ...
SHARED_REFCOUNT: Final = 2147483647     # ... and reports this refcount for them


# -- deleting and checking keys ----------------------------------------------------------

def _delete_keys(client: Client, keys: list[bytes], lazy: bool) -> int:
    db = client.db
    deleted = 0
    for key in keys:
        if db.delete(key, lazy):
            db.written(key, "g", "del")
            deleted += 1
    return deleted


@command("del")
def del_(client: Client, argv: list[bytes]) -> Reply:
    return _delete_keys(client, argv[1:], client.server.config.lazyfree_lazy_user_del)


@command("unlink")
def unlink(client: Client, argv: list[bytes]) -> Reply:
    return _delete_keys(client, argv[1:], lazy=True)


@command("exists")
def exists(client: Client, argv: list[bytes]) -> Reply:
    get = client.db.get
    return sum(1 for key in argv[1:] if get(key, touch=False) is not None)


@command("touch")
def touch(client: Client, argv: list[bytes]) -> Reply:
    get = client.db.get
    return sum(1 for key in argv[1:] if get(key) is not None)


@command("type")
def type_(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get(argv[1], touch=False)
    return SimpleString(b"none" if value is None else type_name(value))


# -- renaming, copying, moving ------------------------------------------------------------

def _rename(client: Client, argv, nx: bool) -> Any:
    db = client.db
    src, dst = argv[1], argv[2]
    value = db.get_for_write(src)
    if value is None:
        raise RedisError(NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    if db.get_for_write(dst) is not None:
        if nx:
            return 0
        db.delete(dst)   # Redis deletes, then adds: the new key is "new" (keyspace events)
    expire_at = db.get_expire(src)
    frequency = db.frequency(src) if client.server.keyspace.lfu else None
    db.delete(src)
    db.set(dst, value, expire_at=expire_at)
    if frequency is not None:
        db.set_frequency(dst, frequency)    # the value keeps its LFU counter, as in Redis
    db.written(src, "g", "rename_from")
    db.written(dst, "g", "rename_to", changes=0)     # one change for the two keys
    return 1 if nx else OK


@command("rename")
def rename(client: Client, argv: list[bytes]) -> Reply:
    return _rename(client, argv, nx=False)


@command("renamenx")
def renamenx(client: Client, argv: list[bytes]) -> Reply:
    return _rename(client, argv, nx=True)


def _target_db(client: Client, raw: bytes):
    """The database numbered `raw` (a C int, as Redis's getIntFromObject reads it)."""
    index = parse_int32(raw)
    dbs = client.server.dbs
    if not 0 <= index < len(dbs):
        raise RedisError(DB_INDEX)
    return dbs[index]


def duplicate(value: Any) -> Any:
    """An independent copy of a value (COPY): bytes are immutable, a bytearray (a "raw"
    string, which Redis's dupStringObject keeps raw) and containers are copied with their
    `copy()` (elements are immutable bytes), anything else deeply."""
    if type(value) is bytes:
        return value
    make_copy = getattr(value, "copy", None)
    return make_copy() if make_copy is not None else copy.deepcopy(value)


@command("copy")
def copy_(client: Client, argv: list[bytes]) -> Reply:
    src_db = dst_db = client.db
    replace = False
    i = 3
    while i < len(argv):
        option = argv[i].lower()
        if option == b"replace":
            replace = True
        elif option == b"db" and i + 1 < len(argv):
            dst_db = _target_db(client, argv[i + 1])
            i += 1
        else:
            raise syntax_error()
        i += 1
    if client.server.config.cluster_enabled and (src_db.index != 0 or dst_db.index != 0):
        raise RedisError(COPY_IN_CLUSTER)
    key, new_key = argv[1], argv[2]
    if src_db is dst_db and key == new_key:
        raise RedisError(SAME_OBJECT)
    value = src_db.get(key)
    if value is None:
        return 0
    if dst_db.get_for_write(new_key) is not None:
        if not replace:
            return 0
        dst_db.delete(new_key)   # then added anew, as Redis does ("new" event)
    dst_db.set(new_key, duplicate(value), expire_at=src_db.get_expire(key))
    dst_db.written(new_key, "g", "copy_to")
    return 1


@command("move")
def move(client: Client, argv: list[bytes]) -> Reply:
    if client.server.config.cluster_enabled:
        raise RedisError(MOVE_IN_CLUSTER)
    src_db = client.db
    dst_db = _target_db(client, argv[2])
    if src_db is dst_db:
        raise RedisError(SAME_OBJECT)
    key = argv[1]
    value = src_db.get_for_write(key)
    if value is None or dst_db.get_for_write(key) is not None:
        return 0
    expire_at = src_db.get_expire(key)
    frequency = src_db.frequency(key) if client.server.keyspace.lfu else None
    src_db.delete(key)
    dst_db.set(key, value, expire_at=expire_at)
    if frequency is not None:
        dst_db.set_frequency(key, frequency)
    src_db.written(key, "g", "move_from")
    dst_db.written(key, "g", "move_to", changes=0)   # one change for the two keys
    return 1


# -- iterating the keyspace ---------------------------------------------------------------

@command("keys")
def keys(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    pattern = argv[1]
    names = list(db.data) if pattern == b"*" else list(filter(glob_matcher(pattern), db.data))
    if db.expires and names:
        # Expired keys are left in place (KEYS deletes nothing) but not listed.
        expires, now = db.expires, client.server.clock.ms()
        names = [k for k in names if expires.get(k, now) >= now]
    return names


@command("scan")
def scan(client: Client, argv: list[bytes]) -> Reply:
    cursor = parse_cursor(argv[1])
    count, pattern, wanted_type = parse_scan_options(argv, 2, allow_type=True)
    db = client.db
    data = db.data
    matches = glob_matcher(pattern) if pattern is not None else None
    wanted = wanted_type.lower() if wanted_type is not None else None

    def alive(key: bytes) -> bool:
        # Redis's filters in its order: pattern, type (a lookup that may expire the key),
        # then expiry; keys deleted since the snapshot are simply gone.
        if key not in data or (matches is not None and not matches(key)):
            return False
        if wanted is not None:
            value = db.get(key, touch=False)
            return (b"none" if value is None else type_name(value)) == wanted
        return not (key in db.expires and db.expire_if_needed(key))

    next_cursor, names = client.server.scan_cursors.scan(
        cursor, count, lambda: data, alive, owner=db)
    return [str(next_cursor).encode(), names]


@command("randomkey")
def randomkey(client: Client, argv: list[bytes]) -> Reply:
    return client.db.random_key()


# -- time to live --------------------------------------------------------------------------

def _expire_flags(argv: list[bytes]) -> set[bytes]:
    flags = set()
    for raw in argv[3:]:
        option = raw.upper()
        if option not in (b"NX", b"XX", b"GT", b"LT"):
            raise unsupported_expire_option(raw)
        flags.add(option)
    if b"NX" in flags and len(flags) > 1:
        raise RedisError(EXPIRE_NX_AND_OTHERS)
    if b"GT" in flags and b"LT" in flags:
        raise RedisError(EXPIRE_GT_AND_LT)
    return flags


def _expire(client: Client, argv, name: str, relative: bool, seconds: bool) -> int:
    flags = _expire_flags(argv)
    when = parse_int(argv[2])
    if seconds:
        # The bounds of C's LLONG_MAX / 1000 (division truncates toward zero).
        if not -(INT64_MAX // 1000) <= when <= INT64_MAX // 1000:
            raise invalid_expire_time(name)
        when *= 1000
    now = client.server.clock.ms()
    base = now if relative else 0
    if when > INT64_MAX - base:
        raise invalid_expire_time(name)
    when += base
    db, key = client.db, argv[1]
    if db.get_for_write(key) is None:
        return 0
    if flags:
        current = db.get_expire(key)
        if b"NX" in flags and current is not None:
            return 0
        if b"XX" in flags and current is None:
            return 0
        # No TTL counts as an infinite one: never lower for GT, always higher for LT.
        if b"GT" in flags and (current is None or when <= current):
            return 0
        if b"LT" in flags and current is not None and when >= current:
            return 0
    propagation = client.server.propagation
    # A loaded AOF or a master sets the time it sends, past or not (checkAlreadyExpired).
    if when <= now and not client.server.loading and client.server.replica.host is None:
        lazy = client.server.config.lazyfree_lazy_expire
        db.delete(key, lazy)
        db.written(key, "g", "del")
        propagation.rewrite([b"UNLINK" if lazy else b"DEL", key])
    else:
        db.set_expire(key, when)
        db.written(key, "g", "expire")
        if relative or seconds:   # replayed as the absolute time it means now
            propagation.rewrite([b"PEXPIREAT", key, b"%d" % when, *argv[3:]])
    return 1


@command("expire")
def expire(client: Client, argv: list[bytes]) -> Reply:
    return _expire(client, argv, "expire", relative=True, seconds=True)


@command("pexpire")
def pexpire(client: Client, argv: list[bytes]) -> Reply:
    return _expire(client, argv, "pexpire", relative=True, seconds=False)


@command("expireat")
def expireat(client: Client, argv: list[bytes]) -> Reply:
    return _expire(client, argv, "expireat", relative=False, seconds=True)


@command("pexpireat")
def pexpireat(client: Client, argv: list[bytes]) -> Reply:
    return _expire(client, argv, "pexpireat", relative=False, seconds=False)


def _ttl(client: Client, key: bytes, milliseconds: bool, absolute: bool) -> int:
    db = client.db
    if db.get(key, touch=False) is None:
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    ttl = max(0, when if absolute else when - client.server.clock.ms())
    return ttl if milliseconds else (ttl + 500) // 1000


@command("ttl")
def ttl(client: Client, argv: list[bytes]) -> Reply:
    return _ttl(client, argv[1], milliseconds=False, absolute=False)


@command("pttl")
def pttl(client: Client, argv: list[bytes]) -> Reply:
    return _ttl(client, argv[1], milliseconds=True, absolute=False)


@command("expiretime")
def expiretime(client: Client, argv: list[bytes]) -> Reply:
    return _ttl(client, argv[1], milliseconds=False, absolute=True)


@command("pexpiretime")
def pexpiretime(client: Client, argv: list[bytes]) -> Reply:
    return _ttl(client, argv[1], milliseconds=True, absolute=True)


@command("persist")
def persist(client: Client, argv: list[bytes]) -> Reply:
    db, key = client.db, argv[1]
    if db.get_for_write(key) is None or not db.persist(key):
        return 0
    db.written(key, "g", "persist")
    return 1


# -- OBJECT --------------------------------------------------------------------------------

def encoding_name(value: Any, config: Any) -> bytes:
    """OBJECT ENCODING: strings as Redis's tryObjectEncoding decides; other values answer
    through their `encoding(config)` method; builtin dicts and sets still plain are
    hashtables."""
    if is_string(value):
        return string_encoding(value)
    encoding = getattr(value, "encoding", None)
    if encoding is not None:
        name = encoding(config)
        return name.encode() if isinstance(name, str) else name
    return b"hashtable"


def _object_value(client: Client, key: bytes) -> Any:
    """OBJECT's lookup: counted in the hit/miss stats like a read, but neither an access
    (the idle time it may report stays as is) nor a keymiss event."""
    value = client.db.peek(key)
    stats = client.server.stats
    if value is None:
        stats.keyspace_misses += 1
    else:
        stats.keyspace_hits += 1
    return value


@command("object|encoding")
def object_encoding(client: Client, argv: list[bytes]) -> Reply:
    value = _object_value(client, argv[2])
    return None if value is None else encoding_name(value, client.server.config)


@command("object|refcount")
def object_refcount(client: Client, argv: list[bytes]) -> Reply:
    value = _object_value(client, argv[2])
    if value is None:
        return None
    config = client.server.config
    # Small integers live in Redis's shared objects unless an LRU/LFU policy with a
    # maxmemory needs a private object per key to keep its access time.
    if type(value) is bytes and string_encoding(value) == b"int" and \
            0 <= int(value) < SHARED_INTEGERS and not (
            config.maxmemory and config.maxmemory_policy.endswith(("-lru", "-lfu"))):
        return SHARED_REFCOUNT
    return 1


@command("object|idletime")
def object_idletime(client: Client, argv: list[bytes]) -> Reply:
    key = argv[2]
    if _object_value(client, key) is None:
        return None
    if client.server.keyspace.lfu:
        raise RedisError(LFU_POLICY.format("", "idle time"))
    return client.db.idle_ms(key) // 1000


@command("object|freq")
def object_freq(client: Client, argv: list[bytes]) -> Reply:
    key = argv[2]
    if _object_value(client, key) is None:
        return None
    if not client.server.keyspace.lfu:
        raise RedisError(LFU_POLICY.format("not ", "access frequency"))
    return client.db.frequency(key)


OBJECT_HELP: Final = (
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
)


@command("object|help")
def object_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, OBJECT_HELP)


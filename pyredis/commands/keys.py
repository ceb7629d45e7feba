"""Generic key commands: deletion, existence, renaming, copying and moving keys, iterating
the keyspace (KEYS, SCAN, RANDOMKEY), TTLs (EXPIRE family, TTL family, PERSIST) and OBJECT."""
from __future__ import annotations

import copy
from typing import Any

from ..args import INT64_MAX, parse_int, parse_int32
from ..db import is_string, type_name
from ..errors import DB_INDEX, NO_SUCH_KEY, RedisError, syntax_error
from ..glob import glob_matcher
from ..protocol.encode import OK, SimpleString
from ..scan import parse_cursor, parse_scan_options
from . import KeySpec, command, container, help_reply
from .strings import string_encoding

SAME_OBJECT = "ERR source and destination objects are the same"
SHARED_INTEGERS = 10000          # Redis shares the objects of 0..9999 ...
SHARED_REFCOUNT = 2147483647     # ... and reports this refcount for them


# -- deleting and checking keys ----------------------------------------------------------

def _delete_keys(client, keys: list[bytes], lazy: bool) -> int:
    db = client.db
    deleted = 0
    for key in keys:
        if db.delete(key, lazy):
            db.notify("g", "del", key)
            deleted += 1
    client.server.dirty += deleted
    return deleted


@command("del", -2, "write", 1, -1, group="generic", summary="Delete a key",
         complexity="O(N) where N is the number of keys that will be removed. When a key to "
         "remove holds a value other than a string, the individual complexity for this key is "
         "O(M) where M is the number of elements in the list, set, sorted set or hash. "
         "Removing a single key that holds a string value is O(1).",
         syntax="key [key ...]",
         key_specs=(KeySpec("RM delete", index=1, last=-1),),
         tips="request_policy:multi_shard response_policy:agg_sum")
def del_(client, argv):
    return _delete_keys(client, argv[1:], client.server.config.lazyfree_lazy_user_del)


@command("unlink", -2, "write fast", 1, -1, group="generic", since="4.0.0",
         summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
         "but non blocking.",
         complexity="O(1) for each key removed regardless of its size. Then the command does "
         "O(N) work in a different thread in order to reclaim memory, where N is the number of "
         "allocations the deleted objects where composed of.", syntax="key [key ...]",
         key_specs=(KeySpec("RM delete", index=1, last=-1),),
         tips="request_policy:multi_shard response_policy:agg_sum")
def unlink(client, argv):
    return _delete_keys(client, argv[1:], lazy=True)


@command("exists", -2, "readonly fast", 1, -1, group="generic",
         summary="Determine if a key exists",
         complexity="O(N) where N is the number of keys to check.", syntax="key [key ...]",
         key_specs=(KeySpec("RO", index=1, last=-1),),
         tips="request_policy:multi_shard response_policy:agg_sum")
def exists(client, argv):
    get = client.db.get
    return sum(1 for key in argv[1:] if get(key, touch=False) is not None)


@command("touch", -2, "readonly fast", 1, -1, group="generic", since="3.2.1",
         summary="Alters the last access time of a key(s). Returns the number of existing keys "
         "specified.", complexity="O(N) where N is the number of keys that will be touched.",
         syntax="key [key ...]",
         key_specs=(KeySpec("RO", index=1, last=-1),),
         tips="request_policy:multi_shard response_policy:agg_sum")
def touch(client, argv):
    get = client.db.get
    return sum(1 for key in argv[1:] if get(key) is not None)


@command("type", 2, "readonly fast", 1, group="generic",
         summary="Determine the type stored at key", complexity="O(1)", syntax="key",
         key_specs=(KeySpec("RO", index=1),))
def type_(client, argv):
    value = client.db.get(argv[1], touch=False)
    return SimpleString(b"none" if value is None else type_name(value))


# -- renaming, copying, moving ------------------------------------------------------------

def _rename(client, argv, nx: bool) -> Any:
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
    frequency = db.frequency(src) if client.server.lfu else None
    db.delete(src)
    db.set(dst, value, expire_at=expire_at)
    if frequency is not None:
        db.set_frequency(dst, frequency)    # the value keeps its LFU counter, as in Redis
    db.notify("g", "rename_from", src)
    db.notify("g", "rename_to", dst)
    client.server.dirty += 1
    return 1 if nx else OK


@command("rename", 3, "write", 1, 2, group="generic", summary="Rename a key",
         complexity="O(1)", syntax="key newkey",
         key_specs=(KeySpec("RW access delete", index=1), KeySpec("OW update", index=2)))
def rename(client, argv):
    return _rename(client, argv, nx=False)


@command("renamenx", 3, "write fast", 1, 2, group="generic",
         summary="Rename a key, only if the new key does not exist", complexity="O(1)",
         syntax="key newkey",
         key_specs=(KeySpec("RW access delete", index=1), KeySpec("OW insert", index=2)))
def renamenx(client, argv):
    return _rename(client, argv, nx=True)


def _target_db(client, raw: bytes):
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


@command("copy", -3, "write denyoom", 1, 2, group="generic", since="6.2.0",
         summary="Copy a key", complexity="O(N) worst case for collections, where N is the "
         "number of nested items. O(1) for string values.",
         syntax="source destination [DB destination-db] [REPLACE]",
         key_specs=(KeySpec("RO access", index=1), KeySpec("OW update", index=2)))
def copy_(client, argv):
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
        raise RedisError("ERR Copying to another database is not allowed in cluster mode")
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
    dst_db.notify("g", "copy_to", new_key)
    client.server.dirty += 1
    return 1


@command("move", 3, "write fast", 1, group="generic",
         summary="Move a key to another database", complexity="O(1)", syntax="key db")
def move(client, argv):
    if client.server.config.cluster_enabled:
        raise RedisError("ERR MOVE is not allowed in cluster mode")
    src_db = client.db
    dst_db = _target_db(client, argv[2])
    if src_db is dst_db:
        raise RedisError(SAME_OBJECT)
    key = argv[1]
    value = src_db.get_for_write(key)
    if value is None or dst_db.get_for_write(key) is not None:
        return 0
    expire_at = src_db.get_expire(key)
    frequency = src_db.frequency(key) if client.server.lfu else None
    src_db.delete(key)
    dst_db.set(key, value, expire_at=expire_at)
    if frequency is not None:
        dst_db.set_frequency(key, frequency)
    src_db.notify("g", "move_from", key)
    dst_db.notify("g", "move_to", key)
    client.server.dirty += 1
    return 1


# -- iterating the keyspace ---------------------------------------------------------------

@command("keys", 2, "readonly", group="generic", categories="keyspace dangerous",
         summary="Find all keys matching the given pattern",
         complexity="O(N) with N being the number of keys in the database, under the "
         "assumption that the key names in the database and the given pattern have limited "
         "length.", syntax="pattern",
         tips="request_policy:all_shards nondeterministic_output_order")
def keys(client, argv):
    db = client.db
    pattern = argv[1]
    names = list(db.data) if pattern == b"*" else list(filter(glob_matcher(pattern), db.data))
    if db.expires and names:
        # Expired keys are left in place (KEYS deletes nothing) but not listed.
        expires, now = db.expires, client.server.clock.ms()
        names = [k for k in names if expires.get(k, now) >= now]
    return names


@command("scan", -2, "readonly", group="generic", since="2.8.0", categories="keyspace",
         summary="Incrementally iterate the keys space",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
         "command calls for the cursor to return back to 0. N is the number of elements "
         "inside the collection.", syntax="cursor [MATCH pattern] [COUNT count] [TYPE type]",
         tips="nondeterministic_output request_policy:special")
def scan(client, argv):
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


@command("randomkey", 1, "readonly", group="generic", categories="keyspace",
         summary="Return a random key from the keyspace", complexity="O(1)",
         tips="request_policy:all_shards nondeterministic_output")
def randomkey(client, argv):
    return client.db.random_key()


# -- time to live --------------------------------------------------------------------------

def _expire_flags(argv: list[bytes]) -> set[bytes]:
    flags = set()
    for raw in argv[3:]:
        option = raw.upper()
        if option not in (b"NX", b"XX", b"GT", b"LT"):
            raise RedisError("ERR Unsupported option %s" % raw.decode(errors="replace"))
        flags.add(option)
    if b"NX" in flags and len(flags) > 1:
        raise RedisError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if b"GT" in flags and b"LT" in flags:
        raise RedisError("ERR GT and LT options at the same time are not compatible")
    return flags


def _expire(client, argv, name: str, relative: bool, seconds: bool) -> int:
    flags = _expire_flags(argv)
    when = parse_int(argv[2])
    invalid = RedisError(f"ERR invalid expire time in '{name}' command")
    if seconds:
        # The bounds of C's LLONG_MAX / 1000 (division truncates toward zero).
        if not -(INT64_MAX // 1000) <= when <= INT64_MAX // 1000:
            raise invalid
        when *= 1000
    now = client.server.clock.ms()
    base = now if relative else 0
    if when > INT64_MAX - base:
        raise invalid
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
    if when <= now:
        db.delete(key, lazy=client.server.config.lazyfree_lazy_expire)
        db.notify("g", "del", key)
    else:
        db.set_expire(key, when)
        db.notify("g", "expire", key)
    client.server.dirty += 1
    return 1


@command("expire", -3, "write fast", 1, group="generic",
         summary="Set a key's time to live in seconds", complexity="O(1)",
         syntax="key seconds [NX | XX | GT | LT]",
         key_specs=(KeySpec("RW update", index=1),))
def expire(client, argv):
    return _expire(client, argv, "expire", relative=True, seconds=True)


@command("pexpire", -3, "write fast", 1, group="generic", since="2.6.0",
         summary="Set a key's time to live in milliseconds", complexity="O(1)",
         syntax="key milliseconds [NX | XX | GT | LT]",
         key_specs=(KeySpec("RW update", index=1),))
def pexpire(client, argv):
    return _expire(client, argv, "pexpire", relative=True, seconds=False)


@command("expireat", -3, "write fast", 1, group="generic", since="1.2.0",
         summary="Set the expiration for a key as a UNIX timestamp", complexity="O(1)",
         syntax="key unix-time-seconds [NX | XX | GT | LT]",
         key_specs=(KeySpec("RW update", index=1),))
def expireat(client, argv):
    return _expire(client, argv, "expireat", relative=False, seconds=True)


@command("pexpireat", -3, "write fast", 1, group="generic", since="2.6.0",
         summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds",
         complexity="O(1)", syntax="key unix-time-milliseconds [NX | XX | GT | LT]",
         key_specs=(KeySpec("RW update", index=1),))
def pexpireat(client, argv):
    return _expire(client, argv, "pexpireat", relative=False, seconds=False)


def _ttl(client, key: bytes, milliseconds: bool, absolute: bool) -> int:
    db = client.db
    if db.get(key, touch=False) is None:
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    ttl = max(0, when if absolute else when - client.server.clock.ms())
    return ttl if milliseconds else (ttl + 500) // 1000


@command("ttl", 2, "readonly fast", 1, group="generic",
         summary="Get the time to live for a key in seconds", complexity="O(1)", syntax="key",
         tips="nondeterministic_output")
def ttl(client, argv):
    return _ttl(client, argv[1], milliseconds=False, absolute=False)


@command("pttl", 2, "readonly fast", 1, group="generic", since="2.6.0",
         summary="Get the time to live for a key in milliseconds", complexity="O(1)",
         syntax="key",
         tips="nondeterministic_output")
def pttl(client, argv):
    return _ttl(client, argv[1], milliseconds=True, absolute=False)


@command("expiretime", 2, "readonly fast", 1, group="generic", since="7.0.0",
         summary="Get the expiration Unix timestamp for a key", complexity="O(1)",
         syntax="key")
def expiretime(client, argv):
    return _ttl(client, argv[1], milliseconds=False, absolute=True)


@command("pexpiretime", 2, "readonly fast", 1, group="generic", since="7.0.0",
         summary="Get the expiration Unix timestamp for a key in milliseconds",
         complexity="O(1)", syntax="key")
def pexpiretime(client, argv):
    return _ttl(client, argv[1], milliseconds=True, absolute=True)


@command("persist", 2, "write fast", 1, group="generic", since="2.2.0",
         summary="Remove the expiration from a key", complexity="O(1)", syntax="key",
         key_specs=(KeySpec("RW update", index=1),))
def persist(client, argv):
    db, key = client.db, argv[1]
    if db.get_for_write(key) is None or not db.persist(key):
        return 0
    db.notify("g", "persist", key)
    client.server.dirty += 1
    return 1


# -- OBJECT --------------------------------------------------------------------------------

container("object", group="generic", since="2.2.3",
          summary="A container for object introspection commands")

LFU_POLICY_ERROR = ("ERR An LFU maxmemory policy is {}selected, {} not tracked. Please note "
                    "that when switching between policies at runtime LRU and LFU data will "
                    "take some time to adjust.")


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


def _object_value(client, key: bytes) -> Any:
    """OBJECT's lookup: counted in the hit/miss stats like a read, but neither an access
    (the idle time it may report stays as is) nor a keymiss event."""
    value = client.db.peek(key)
    stats = client.server.stats
    if value is None:
        stats.keyspace_misses += 1
    else:
        stats.keyspace_hits += 1
    return value


@command("object|encoding", 3, "readonly", 2, group="generic", since="2.2.3",
         summary="Inspect the internal encoding of a Redis object", complexity="O(1)",
         syntax="key",
         key_specs=(KeySpec("RO", index=2),),
         tips="nondeterministic_output")
def object_encoding(client, argv):
    value = _object_value(client, argv[2])
    return None if value is None else encoding_name(value, client.server.config)


@command("object|refcount", 3, "readonly", 2, group="generic", since="2.2.3",
         summary="Get the number of references to the value of the key", complexity="O(1)",
         syntax="key",
         key_specs=(KeySpec("RO", index=2),),
         tips="nondeterministic_output")
def object_refcount(client, argv):
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


@command("object|idletime", 3, "readonly", 2, group="generic", since="2.2.3",
         summary="Get the time since a Redis object was last accessed", complexity="O(1)",
         syntax="key",
         key_specs=(KeySpec("RO", index=2),),
         tips="nondeterministic_output")
def object_idletime(client, argv):
    key = argv[2]
    if _object_value(client, key) is None:
        return None
    if client.server.lfu:
        raise RedisError(LFU_POLICY_ERROR.format("", "idle time"))
    return client.db.idle_ms(key) // 1000


@command("object|freq", 3, "readonly", 2, group="generic", since="4.0.0",
         summary="Get the logarithmic access frequency counter of a Redis object",
         complexity="O(1)", syntax="key",
         key_specs=(KeySpec("RO", index=2),),
         tips="nondeterministic_output")
def object_freq(client, argv):
    key = argv[2]
    if _object_value(client, key) is None:
        return None
    if not client.server.lfu:
        raise RedisError(LFU_POLICY_ERROR.format("not ", "access frequency"))
    return client.db.frequency(key)


OBJECT_HELP = (
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


@command("object|help", 2, "loading stale", group="generic", since="6.2.0",
         categories="keyspace", summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def object_help(client, argv):
    return help_reply(argv, OBJECT_HELP)


"""DUMP and RESTORE (one key's value in RDB's serialization); SAVE, BGSAVE and DEBUG
RELOAD (the whole dataset in dbfilename); BGREWRITEAOF and DEBUG LOADAOF (the AOF)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import ArgReader, parse_int
from ..db import flush_databases
from ..errors import (BAD_DATA_FORMAT, BAD_DUMP_PAYLOAD, BGSAVE_CHILD_ACTIVE, BUSYKEY,
                      DEBUG_RELOAD_FAILED, DEBUG_RELOAD_OPTIONS, INVALID_FREQ,
                      INVALID_IDLETIME, INVALID_TTL, SAVE_FAILED, SAVE_IN_PROGRESS, RedisError,
                      subcommand_syntax, syntax_error)
from ..persistence import rdb
from ..protocol.encode import OK, Reply, SimpleString
from . import command
from .debug import debug_subcommand

if TYPE_CHECKING:
    from ..client import Client


@command("dump")
def dump(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get(argv[1])
    if value is None:
        return None
    return rdb.dump_payload(value)


@command("restore")
def restore(client: Client, argv: list[bytes]) -> Reply:
    replace = absttl = False
    idle = freq = -1
    reader = ArgReader(argv, 4)
    while reader.more():
        word = reader.keyword()
        if word == b"REPLACE":
            replace = True
        elif word == b"ABSTTL":
            absttl = True
        elif word == b"IDLETIME" and reader.more() and freq == -1:
            idle = reader.next_int(minimum=0, range_error=INVALID_IDLETIME)
        elif word == b"FREQ" and reader.more() and idle == -1:
            freq = reader.next_int(minimum=0, maximum=255, range_error=INVALID_FREQ)
        else:
            raise syntax_error()
    db, key, server = client.db, argv[1], client.server
    if not replace and db.get_for_write(key) is not None:
        raise RedisError(BUSYKEY)
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise RedisError(INVALID_TTL)
    if not rdb.verify_payload(argv[3]):
        raise RedisError(BAD_DUMP_PAYLOAD)
    try:
        value = rdb.load_payload(argv[3], server.config)
    except rdb.RdbError:
        raise RedisError(BAD_DATA_FORMAT) from None
    deleted = replace and db.delete(key)
    if ttl and not absttl:
        ttl += server.clock.ms()
    if ttl and ttl < server.clock.ms():
        if deleted:
            db.written(key, "g", "del")
            server.propagation.rewrite([b"DEL", key])
        return OK
    db.set(key, value, expire_at=ttl or None)
    if ttl and not absttl:   # replayed as the absolute time it means now
        server.propagation.rewrite([*argv[:2], b"%d" % ttl, *argv[3:], b"ABSTTL"])
    if server.keyspace.lfu:
        if freq >= 0:
            db.set_frequency(key, freq)
    elif idle >= 0:
        db.set_idle(key, idle)
    db.written(key, "g", "restore")
    return OK


# -- snapshots -----------------------------------------------------------------------------

@command("save")
def save(client: Client, argv: list[bytes]) -> Reply:
    snapshots = client.server.snapshots
    if snapshots.in_progress():
        raise RedisError(SAVE_IN_PROGRESS)
    snapshots.saves += 1
    if not snapshots.write():
        raise RedisError(SAVE_FAILED)
    return OK


@command("bgsave")
def bgsave(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 1 and (len(argv) != 2 or argv[1].lower() != b"schedule"):
        raise syntax_error()
    snapshots = client.server.snapshots
    if snapshots.in_progress():
        raise RedisError(SAVE_IN_PROGRESS)
    in_exec = client.in_multi      # EXEC runs the queued commands with it still set
    if snapshots.active_child() or in_exec:
        # Inside EXEC, or with SCHEDULE while an AOF rewrite runs, the fork waits for the
        # cron, as in Redis.
        if len(argv) == 1 and not in_exec:
            raise RedisError(BGSAVE_CHILD_ACTIVE)
        snapshots.bgsave_scheduled = True
        return SimpleString(b"Background saving scheduled")
    if not snapshots.background_save():
        raise RedisError(SAVE_FAILED)
    return SimpleString(b"Background saving started")


@command("bgrewriteaof")
def bgrewriteaof(client: Client, argv: list[bytes]) -> Reply:
    return SimpleString(client.server.aof.bgrewriteaof(client.in_multi).encode())


@debug_subcommand("loadaof")
def debug_loadaof(client: Client, argv: list[bytes]) -> Reply:
    """Empty the dataset and load it back from the AOF files."""
    client.server.aof.reload()
    return OK


@debug_subcommand("aof-flush-sleep")
def debug_aof_flush_sleep(client: Client, argv: list[bytes]) -> Reply:
    """Sleep this many microseconds before each write of the AOF buffer (tests use it to
    make a write slow)."""
    if len(argv) != 3:
        raise subcommand_syntax(argv)
    client.server.aof.flush_sleep_us = parse_int(argv[2])
    return OK


@debug_subcommand("reload")
def debug_reload(client: Client, argv: list[bytes]) -> Reply:
    """Save (unless NOSAVE), empty the dataset (unless NOFLUSH) and load the file back;
    MERGE lets loaded keys replace existing ones."""
    flush = save_first = True
    merge = False
    for option in argv[2:]:
        word = option.lower()
        if word == b"merge":
            merge = True
        elif word == b"noflush":
            flush = False
        elif word == b"nosave":
            save_first = False
        else:
            raise RedisError(DEBUG_RELOAD_OPTIONS)
    server = client.server
    if save_first and not server.snapshots.write():
        raise RedisError(SAVE_FAILED)
    if flush:
        flush_databases(server.dbs)
        server.scripting.flush_functions()
    try:
        loaded = server.snapshots.load(merge=merge)
    except (rdb.RdbError, OSError) as exc:
        server.log_warning(str(exc))
        loaded = False
    if not loaded:
        raise RedisError(DEBUG_RELOAD_FAILED)
    server.log_warning("DB reloaded by DEBUG RELOAD")
    return OK

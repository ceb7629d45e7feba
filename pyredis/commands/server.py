"""Server commands: INFO, CONFIG, TIME, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, SHUTDOWN, MONITOR,
LASTSAVE."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import blocking
from .. import config as configmod
from .. import info as infomod
from ..args import parse_int
from ..client import FLAG_MONITOR
from ..config import ConfigError, ConfigSetError
from ..db import flush_databases, swap_databases
from ..errors import (DB_INDEX, INVALID_FIRST_DB, INVALID_SECOND_DB, NO_SHUTDOWN_IN_PROGRESS,
                      SWAPDB_IN_CLUSTER, RedisError, config_rewrite_failed, err,
                      syntax_error)
from ..protocol.encode import NO_REPLY, OK, Reply, Verbatim
from . import all_commands, command, help_reply

if TYPE_CHECKING:
    from ..client import Client


@command("info")
def info(client: Client, argv: list[bytes]) -> Reply:
    return Verbatim(infomod.generate(client.server, argv[1:]))


# -- CONFIG --------------------------------------------------------------------------------


@command("config|get")
def config_get(client: Client, argv: list[bytes]) -> Reply:
    patterns = [a.decode(errors="surrogateescape") for a in argv[2:]]
    found = client.server.config.matching(patterns)
    return {name.encode(errors="surrogateescape"): value.encode(errors="surrogateescape")
            for name, value in found.items()}


@command("config|set")
def config_set(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) % 2:
        raise syntax_error()
    server = client.server
    pairs = [(argv[i].decode(errors="surrogateescape"),
              argv[i + 1].decode(errors="surrogateescape")) for i in range(2, len(argv), 2)]
    for i in range(2, len(argv), 2):
        directive = configmod.lookup(pairs[(i - 2) // 2][0])
        if directive is not None and directive.has(configmod.SENSITIVE):
            from ..server import redact
            redact(argv, i + 1)
    protected = server.config.enable_protected_configs
    allowed = protected == "yes" or (protected == "local" and client.is_local())
    try:
        server.config.set_many(pairs, allow_protected=allowed,
                               loading=bool(getattr(server, "loading", False)))
    except ConfigSetError as exc:
        raise RedisError(str(exc)) from None
    return OK


@command("config|resetstat")
def config_resetstat(client: Client, argv: list[bytes]) -> Reply:
    client.server.stats.reset()
    client.server.replication.reset_stats()
    for cmd in all_commands():
        cmd.reset_stats()
    return OK


@command("config|rewrite")
def config_rewrite(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    try:
        server.config.rewrite()
    except ConfigError as exc:
        raise err(str(exc)) from None
    except OSError as exc:
        server.log_warning(f"CONFIG REWRITE failed: {exc.strerror}")
        raise config_rewrite_failed(exc.strerror) from None
    server.log("notice", "CONFIG REWRITE executed with success.")
    return OK


@command("config|help")
def config_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, [
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
    ])


# -- the keyspace as a whole ---------------------------------------------------------------

@command("time")
def time_(client: Client, argv: list[bytes]) -> Reply:
    now = client.server.clock.us()
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("lastsave")
def lastsave(client: Client, argv: list[bytes]) -> Reply:
    return client.server.lastsave


@command("dbsize")
def dbsize(client: Client, argv: list[bytes]) -> Reply:
    return len(client.db)


def _flush_lazily(client: Client, argv) -> bool:
    """[ASYNC | SYNC]; without either, lazyfree-lazy-user-flush decides."""
    if len(argv) == 2 and argv[1].lower() in (b"sync", b"async"):
        return argv[1].lower() == b"async"
    if len(argv) != 1:
        raise syntax_error()
    return client.server.config.lazyfree_lazy_user_flush


@command("flushdb")
def flushdb(client: Client, argv: list[bytes]) -> Reply:
    lazy = _flush_lazily(client, argv)
    client.server.keyspace.count_changes(flush_databases([client.db], lazy))
    client.server.propagation.force()    # replicas flush too, even if it was empty here
    return OK


@command("flushall")
def flushall(client: Client, argv: list[bytes]) -> Reply:
    lazy = _flush_lazily(client, argv)
    server = client.server
    server.keyspace.count_changes(flush_databases(server.dbs, lazy))
    server.snapshots.reset_after_flushall()
    server.keyspace.count_changes()
    server.propagation.force()           # replicas flush too, even if it was empty here
    return OK


@command("swapdb")
def swapdb(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    if server.config.cluster_enabled:
        raise RedisError(SWAPDB_IN_CLUSTER)
    first = parse_int(argv[1], INVALID_FIRST_DB)
    second = parse_int(argv[2], INVALID_SECOND_DB)
    if not (0 <= first < len(server.dbs) and 0 <= second < len(server.dbs)):
        raise RedisError(DB_INDEX)
    if first != second:
        swap_databases(server.dbs[first], server.dbs[second])
    server.keyspace.count_changes()
    return OK


# -- the server's life ---------------------------------------------------------------------

@command("shutdown")
def shutdown(client: Client, argv: list[bytes]) -> Reply:
    options = set()
    for arg in argv[1:]:
        word = arg.lower()
        if word not in (b"nosave", b"save", b"now", b"force", b"abort"):
            raise syntax_error()
        options.add(word.decode())
    if ("abort" in options and len(options) > 1) or {"save", "nosave"} <= options:
        raise syntax_error()
    server = client.server
    if "abort" in options:
        if not server.abort_shutdown():
            raise RedisError(NO_SHUTDOWN_IN_PROGRESS)
        return OK
    # The client waits with the shutdown: it is answered only if the shutdown fails.
    blocking.block(client, [], object, _waits_for_shutdown, 0)
    assert client.blocked is not None
    server.shutdown_waiters.append((client, client.blocked))
    if server.prepare_for_shutdown(frozenset(options)):
        server.stop_serving()
    return NO_REPLY


def _waits_for_shutdown(*_: object) -> bool:
    """SHUTDOWN blocks on no key: the shutdown's failure or abort releases it."""
    return False


@command("monitor")
def monitor(client: Client, argv: list[bytes]) -> Reply:
    if FLAG_MONITOR in client.flags:
        return NO_REPLY
    client.flags = client.flags | {FLAG_MONITOR}   # a frozenset, shared while empty
    client.server.monitors.append(client)
    return OK

"""Server commands: INFO, CONFIG, TIME, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, SHUTDOWN, MONITOR,
LASTSAVE."""
from __future__ import annotations

from .. import config as configmod
from .. import info as infomod
from ..args import parse_int
from ..config import ConfigError, ConfigSetError
from ..db import flush_databases
from ..errors import RedisError, syntax_error
from ..protocol.encode import NO_REPLY, OK, Verbatim
from . import all_commands, command, container, help_reply

ALL_SHARDS_SUM = "request_policy:all_shards response_policy:agg_sum"
ALL_SHARDS_OK = "request_policy:all_shards response_policy:all_succeeded"


@command("info", -1, "loading stale", group="server", categories="dangerous",
         summary="Get information and statistics about the server", complexity="O(1)",
         syntax="[section [section ...]]",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         history=(("7.0.0", "Added support for taking multiple section arguments."),))
def info(client, argv):
    return Verbatim(infomod.generate(client.server, argv[1:]))


# -- CONFIG --------------------------------------------------------------------------------

container("config", group="server", since="2.0.0",
          summary="A container for server configuration commands")


@command("config|get", -3, "admin noscript loading stale", group="server", since="2.0.0",
         summary="Get the values of configuration parameters",
         complexity="O(N) when N is the number of configuration parameters provided",
         syntax="parameter [parameter ...]",
         history=(("7.0.0", "Added the ability to pass multiple pattern parameters in one "
                   "call"),))
def config_get(client, argv):
    patterns = [a.decode(errors="surrogateescape") for a in argv[2:]]
    found = client.server.config.matching(patterns)
    return {name.encode(errors="surrogateescape"): value.encode(errors="surrogateescape")
            for name, value in found.items()}


@command("config|set", -4, "admin noscript loading stale", group="server", since="2.0.0",
         summary="Set configuration parameters to the given values",
         complexity="O(N) when N is the number of configuration parameters provided",
         syntax="parameter value [parameter value ...]",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         history=(("7.0.0", "Added the ability to set multiple parameters in one call."),))
def config_set(client, argv):
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


@command("config|resetstat", 2, "admin noscript loading stale", group="server",
         since="2.0.0", summary="Reset the stats returned by INFO", complexity="O(1)")
def config_resetstat(client, argv):
    client.server.stats.reset()
    for cmd in all_commands():
        cmd.reset_stats()
    return OK


@command("config|rewrite", 2, "admin noscript loading stale", group="server", since="2.8.0",
         summary="Rewrite the configuration file with the in memory configuration",
         complexity="O(1)")
def config_rewrite(client, argv):
    server = client.server
    try:
        server.config.rewrite()
    except ConfigError as exc:
        raise RedisError(f"ERR {exc}") from None
    except OSError as exc:
        server.log_warning(f"CONFIG REWRITE failed: {exc.strerror}")
        raise RedisError(f"ERR Rewriting config file: {exc.strerror}") from None
    server.log("notice", "CONFIG REWRITE executed with success.")
    return OK


@command("config|help", 2, "loading stale", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def config_help(client, argv):
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

@command("time", 1, "loading stale fast", group="server", since="2.6.0",
         summary="Return the current server time", complexity="O(1)",
         tips="nondeterministic_output")
def time_(client, argv):
    now = client.server.clock.us()
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("lastsave", 1, "loading stale fast", group="server", categories="admin dangerous",
         summary="Get the UNIX time stamp of the last successful save to disk",
         complexity="O(1)", tips="nondeterministic_output")
def lastsave(client, argv):
    return client.server.lastsave


@command("dbsize", 1, "readonly fast", group="server", categories="keyspace",
         summary="Return the number of keys in the selected database", complexity="O(1)",
         tips=ALL_SHARDS_SUM)
def dbsize(client, argv):
    return len(client.db)


def _flush_lazily(client, argv) -> bool:
    """[ASYNC | SYNC]; without either, lazyfree-lazy-user-flush decides."""
    if len(argv) == 2 and argv[1].lower() in (b"sync", b"async"):
        return argv[1].lower() == b"async"
    if len(argv) != 1:
        raise syntax_error()
    return client.server.config.lazyfree_lazy_user_flush


@command("flushdb", -1, "write", group="server", categories="keyspace dangerous",
         summary="Remove all keys from the current database",
         complexity="O(N) where N is the number of keys in the selected database",
         syntax="[ASYNC | SYNC]", tips=ALL_SHARDS_OK,
         history=(("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                  ("6.2.0", "Added the `SYNC` flushing mode modifier.")))
def flushdb(client, argv):
    lazy = _flush_lazily(client, argv)
    client.server.dirty += flush_databases([client.db], lazy)
    return OK


@command("flushall", -1, "write", group="server", categories="keyspace dangerous",
         summary="Remove all keys from all databases",
         complexity="O(N) where N is the total number of keys in all databases",
         syntax="[ASYNC | SYNC]", tips=ALL_SHARDS_OK,
         history=(("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                  ("6.2.0", "Added the `SYNC` flushing mode modifier.")))
def flushall(client, argv):
    lazy = _flush_lazily(client, argv)
    server = client.server
    server.dirty += flush_databases(server.dbs, lazy)
    server.snapshots.reset_after_flushall()
    server.dirty += 1
    return OK


@command("swapdb", 3, "write fast", group="server", since="4.0.0",
         categories="keyspace dangerous", summary="Swaps two Redis databases",
         complexity="O(N) where N is the count of clients watching or blocking on keys from "
                    "both databases.", syntax="index1 index2")
def swapdb(client, argv):
    server = client.server
    if server.config.cluster_enabled:
        raise RedisError("ERR SWAPDB is not allowed in cluster mode")
    first = parse_int(argv[1], "ERR invalid first DB index")
    second = parse_int(argv[2], "ERR invalid second DB index")
    if not (0 <= first < len(server.dbs) and 0 <= second < len(server.dbs)):
        raise RedisError("ERR DB index is out of range")
    if first != second:
        swap_databases(server.dbs[first], server.dbs[second])
    server.dirty += 1
    return OK


def swap_databases(a, b) -> None:
    """Exchange the contents of two databases; the clients (and their WATCHes and blocked
    keys) stay with the database number: a watched key that exists on either side counts as
    changed, and a key waited for that now exists is ready."""
    a.touch_all_watched(b)
    b.touch_all_watched(a)
    a.swap_contents(b)
    for db in (a, b):
        for key in db.blocking_keys:
            if key in db.data:
                db.server.ready_keys.append((db, key, type(db.data[key])))


# -- the server's life ---------------------------------------------------------------------

@command("shutdown", -1, "admin noscript loading stale no-multi allow-busy", group="server",
         summary="Synchronously save the dataset to disk and then shut down the server",
         complexity="O(N) when saving, where N is the total number of keys in all databases "
                    "when saving data, otherwise O(1)",
         syntax="[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
         history=(("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),))
def shutdown(client, argv):
    options = set()
    for arg in argv[1:]:
        word = arg.lower()
        if word not in (b"nosave", b"save", b"now", b"force", b"abort"):
            raise syntax_error()
        options.add(word)
    if (b"abort" in options and len(options) > 1) or {b"save", b"nosave"} <= options:
        raise syntax_error()
    if b"abort" in options:
        # Shutdown is immediate here (there are no replicas to wait for).
        raise RedisError("ERR No shutdown in progress.")
    server = client.server
    save = bool(b"save" in options or server.config.save) and b"nosave" not in options
    save_hook = getattr(server, "save_on_shutdown", None)
    if save_hook is not None and not save_hook(save) and b"force" not in options:
        raise RedisError("ERR Errors trying to SHUTDOWN. Check logs.")
    server.shutdown()
    return NO_REPLY


@command("monitor", 1, "admin noscript loading stale", group="server",
         summary="Listen for all requests received by the server in real time")
def monitor(client, argv):
    if "O" in client.flags:
        return NO_REPLY
    client.flags = client.flags | {"O"}   # a frozenset, shared while empty
    client.server.monitors.append(client)
    return OK

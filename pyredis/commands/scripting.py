"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: Lua scripts (the engine is
pyredis/scripting.py)."""
from __future__ import annotations

from ..args import parse_int
from ..errors import RedisError
from ..protocol.encode import NO_REPLY, OK
from ..scripting import NOSCRIPT, Scripting, command_flags, parse_shebang, sha1hex
from . import COMMANDS, KeySpec, command, container, help_reply, on_server_init
from .debug import debug_subcommand

_KEYS_NOTE = "We cannot tell how the keys will be used so we assume the worst, "
_EVAL_KEYS = (KeySpec("RW access update", index=2, keynum=(0, 1, 1),
                      notes=_KEYS_NOTE + "RW and UPDATE"),)
_EVALSHA_KEYS = (KeySpec("RW access update", index=2, keynum=(0, 1, 1)),)
_EVAL_RO_KEYS = (KeySpec("RO access", index=2, keynum=(0, 1, 1),
                         notes=_KEYS_NOTE + "RO and ACCESS"),)
_EVALSHA_RO_KEYS = (KeySpec("RO access", index=2, keynum=(0, 1, 1)),)
_FLAGS = "noscript stale skip-monitor no-mandatory-keys may-replicate"


@on_server_init
def setup(server) -> None:
    server.scripting = Scripting(server)
    server.busy_script = None


def run_eval(client, argv: list[bytes], evalsha: bool, read_only: bool):
    """EVAL and its variants (Redis's evalGenericCommand)."""
    server = client.server
    if server.monitors:
        # Before the script's own commands, which MONITOR shows too.
        server.feed_monitors(client, argv)
    if evalsha and len(argv[1]) != 40:
        raise RedisError(NOSCRIPT)
    numkeys = parse_int(argv[2])
    if numkeys > len(argv) - 3:
        raise RedisError("ERR Number of keys can't be greater than number of args")
    if numkeys < 0:
        raise RedisError("ERR Number of keys can't be negative")
    scripting = server.scripting
    if evalsha:
        script = scripting.scripts.get(argv[1].lower())
        if script is None:
            raise RedisError(NOSCRIPT)
    else:
        script = scripting.create_script(argv[1])
    scripting.run(client, scripting.eval_state, script.function, argv, numkeys, script.flags,
                  script.sha, True, read_only, COMMANDS[argv[0].lower()])
    return NO_REPLY


def eval_flags(client, argv: list[bytes]) -> frozenset:
    """The command flags processCommand checks for an EVAL: those its script's shebang
    declares (Redis's evalGetCommandFlags)."""
    cmd = COMMANDS[argv[0].lower()]
    evalsha = cmd.name.startswith("evalsha")
    scripting = client.server.scripting
    if evalsha:
        if len(argv[1]) != 40:
            return cmd.flags
        script = scripting.scripts.get(argv[1].lower())
        if script is None:
            return cmd.flags
        flags = script.flags
    else:
        script = scripting.scripts.get(sha1hex(argv[1]))
        if script is not None:
            flags = script.flags
        else:
            try:
                flags, _ = parse_shebang(argv[1])
            except RedisError:
                return cmd.flags
    return command_flags(cmd.flags, flags)


@command("eval", -3, _FLAGS, group="scripting", since="2.6.0",
         summary="Execute a Lua script server side",
         complexity="Depends on the script that is executed.",
         syntax="script numkeys [key [key ...]] [arg [arg ...]]", key_specs=_EVAL_KEYS)
def eval_(client, argv):
    return run_eval(client, argv, False, False)


@command("evalsha", -3, _FLAGS, group="scripting", since="2.6.0",
         summary="Execute a Lua script server side",
         complexity="Depends on the script that is executed.",
         syntax="sha1 numkeys [key [key ...]] [arg [arg ...]]", key_specs=_EVALSHA_KEYS)
def evalsha(client, argv):
    return run_eval(client, argv, True, False)


@command("eval_ro", -3, "readonly " + _FLAGS, group="scripting", since="7.0.0",
         summary="Execute a read-only Lua script server side",
         complexity="Depends on the script that is executed.",
         syntax="script numkeys [key [key ...]] [arg [arg ...]]", key_specs=_EVAL_RO_KEYS)
def eval_ro(client, argv):
    return run_eval(client, argv, False, True)


@command("evalsha_ro", -3, "readonly " + _FLAGS, group="scripting", since="7.0.0",
         summary="Execute a read-only Lua script server side",
         complexity="Depends on the script that is executed.",
         syntax="sha1 numkeys [key [key ...]] [arg [arg ...]]", key_specs=_EVALSHA_RO_KEYS)
def evalsha_ro(client, argv):
    return run_eval(client, argv, True, True)


for _name in (b"eval", b"evalsha", b"eval_ro", b"evalsha_ro"):
    COMMANDS[_name].dynamic_flags = eval_flags


container("script", group="scripting", since="2.6.0",
          summary="A container for Lua scripts management commands")


@command("script|help", 2, "loading stale", group="scripting", since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def script_help(client, argv):
    return help_reply(argv, (
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it."))


@command("script|exists", -3, "noscript", group="scripting", since="2.6.0",
         summary="Check existence of scripts in the script cache.",
         complexity="O(N) with N being the number of scripts to check (so checking a single "
                    "script is an O(1) operation).",
         syntax="sha1 [sha1 ...]",
         tips="request_policy:all_shards response_policy:agg_logical_and")
def script_exists(client, argv):
    scripts = client.server.scripting.scripts
    return [1 if sha.lower() in scripts else 0 for sha in argv[2:]]


@command("script|flush", -2, "noscript", group="scripting", since="2.6.0",
         summary="Remove all the scripts from the script cache.",
         complexity="O(N) with N being the number of scripts in cache", syntax="[ASYNC | SYNC]",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         history=(("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers."),))
def script_flush(client, argv):
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise RedisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    client.server.scripting.flush_scripts()
    return OK


@command("script|load", 3, "noscript stale", group="scripting", since="2.6.0",
         summary="Load the specified Lua script into the script cache.",
         complexity="O(N) with N being the length in bytes of the script body.",
         syntax="script", tips="request_policy:all_nodes response_policy:all_succeeded")
def script_load(client, argv):
    return client.server.scripting.create_script(argv[2]).sha


@command("script|kill", 2, "noscript allow-busy", group="scripting", since="2.6.0",
         summary="Kill the script currently in execution.", complexity="O(1)",
         tips="request_policy:all_shards response_policy:one_succeeded")
def script_kill(client, argv):
    client.server.scripting.kill(is_eval=True)
    return OK


@debug_subcommand("set-disable-deny-scripts")
def debug_set_disable_deny_scripts(client, argv):
    """Let scripts run commands flagged noscript (Redis's tests use it)."""
    if len(argv) != 3:
        raise RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. "
                         "Try DEBUG HELP." % argv[1].decode(errors="replace"))
    client.server.scripting.allow_noscript = bool(parse_int(argv[2]))
    return OK

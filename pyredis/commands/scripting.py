"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: Lua scripts (the engine is
pyredis/scripting.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import parse_int
from ..errors import (KEYS_MORE_THAN_ARGS, NEGATIVE_KEYS, NOSCRIPT, SCRIPT_FLUSH_OPTION, RedisError,
                      subcommand_syntax)
from ..protocol.encode import NO_REPLY, OK, Reply
from ..scripting import command_flags, parse_shebang, sha1hex
from . import COMMANDS, command, help_reply
from .debug import debug_subcommand

if TYPE_CHECKING:
    from ..client import Client


def run_eval(client: Client, argv: list[bytes], evalsha: bool, read_only: bool) -> Reply:
    """EVAL and its variants (Redis's evalGenericCommand)."""
    server = client.server
    if server.monitors:
        # Before the script's own commands, which MONITOR shows too.
        server.feed_monitors(client, argv)
    if evalsha and len(argv[1]) != 40:
        raise RedisError(NOSCRIPT)
    numkeys = parse_int(argv[2])
    if numkeys > len(argv) - 3:
        raise RedisError(KEYS_MORE_THAN_ARGS)
    if numkeys < 0:
        raise RedisError(NEGATIVE_KEYS)
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


def eval_flags(client: Client, argv: list[bytes]) -> frozenset:
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


@command("eval", dynamic_flags=eval_flags)
def eval_(client: Client, argv: list[bytes]) -> Reply:
    return run_eval(client, argv, False, False)


@command("evalsha", dynamic_flags=eval_flags)
def evalsha(client: Client, argv: list[bytes]) -> Reply:
    return run_eval(client, argv, True, False)


@command("eval_ro", dynamic_flags=eval_flags)
def eval_ro(client: Client, argv: list[bytes]) -> Reply:
    return run_eval(client, argv, False, True)


@command("evalsha_ro", dynamic_flags=eval_flags)
def evalsha_ro(client: Client, argv: list[bytes]) -> Reply:
    return run_eval(client, argv, True, True)


@command("script|help")
def script_help(client: Client, argv: list[bytes]) -> Reply:
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


@command("script|exists")
def script_exists(client: Client, argv: list[bytes]) -> Reply:
    scripts = client.server.scripting.scripts
    return [1 if sha.lower() in scripts else 0 for sha in argv[2:]]


@command("script|flush")
def script_flush(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise RedisError(SCRIPT_FLUSH_OPTION)
    client.server.scripting.flush_scripts()
    return OK


@command("script|load")
def script_load(client: Client, argv: list[bytes]) -> Reply:
    return client.server.scripting.create_script(argv[2]).sha


@command("script|kill")
def script_kill(client: Client, argv: list[bytes]) -> Reply:
    client.server.scripting.kill(is_eval=True)
    return OK


@debug_subcommand("set-disable-deny-scripts")
def debug_set_disable_deny_scripts(client: Client, argv: list[bytes]) -> Reply:
    """Let scripts run commands flagged noscript (Redis's tests use it)."""
    if len(argv) != 3:
        raise subcommand_syntax(argv)
    client.server.scripting.allow_noscript = bool(parse_int(argv[2]))
    return OK

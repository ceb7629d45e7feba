"""DEBUG: the subcommands Redis's own test suite and pyredis's tests drive the server with,
allowed only by `enable-debug-command`. Command families register their own subcommands with
@debug_subcommand (DEBUG is one command in Redis, not a container)."""
from __future__ import annotations

import math
import time
from typing import Callable

from ..args import parse_float
from ..errors import RedisError
from ..resp import OK
from . import command

DEBUG_SUBCOMMANDS: dict[bytes, Callable] = {}


def debug_subcommand(name: str) -> Callable:
    def register(func: Callable) -> Callable:
        DEBUG_SUBCOMMANDS[name.lower().encode()] = func
        return func
    return register


def debug_allowed(client) -> bool:
    setting = client.server.config.enable_debug_command
    return setting == "yes" or (setting == "local" and client.addr.startswith(("127.", "::1")))


@command("debug", -2, "admin noscript loading stale", group="server",
         summary="A container for debugging commands", complexity="Depends on subcommand.",
         categories="dangerous")
def debug(client, argv):
    if not debug_allowed(client):
        raise RedisError("ERR DEBUG command not allowed. If the enable-debug-command option is "
                         "set to \"local\", you can run it from a local connection, otherwise "
                         "you need to set this option in the configuration file, and then "
                         "restart the server.")
    handler = DEBUG_SUBCOMMANDS.get(argv[1].lower())
    if handler is None:
        raise wrong_debug_arguments(argv)
    return handler(client, argv)


def wrong_debug_arguments(argv) -> RedisError:
    """Redis's answer to an unknown DEBUG subcommand or a wrong number of arguments."""
    return RedisError("ERR Unknown subcommand or wrong number of arguments for '%s'. "
                      "Try DEBUG HELP." % argv[1].decode(errors="replace"))


@debug_subcommand("sleep")
def debug_sleep(client, argv):
    """Block the whole server, as Redis does (tests use it to build up pending work)."""
    time.sleep(parse_float(argv[2]) if len(argv) > 2 else 0)
    return OK


@debug_subcommand("set-active-expire")
def debug_set_active_expire(client, argv):
    client.server.active_expire_enabled = argv[2] != b"0"
    return OK


@debug_subcommand("advance-clock")
def debug_advance_clock(client, argv):
    """DEBUG ADVANCE-CLOCK seconds: move the server's clock forward, as if that much time had
    passed: keys expire, TTLs and idle times move, blocked clients time out (tests)."""
    if len(argv) != 3:
        raise wrong_debug_arguments(argv)
    seconds = parse_float(argv[2])
    if seconds < 0 or math.isinf(seconds):
        raise RedisError("ERR the clock only moves forward, by a finite number of seconds")
    client.server.clock.advance(seconds)
    client.server.clock_advanced()
    return OK


@debug_subcommand("help")
def debug_help(client, argv):
    from ..resp import SimpleString
    lines = ["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
    lines += [f"{name.decode().upper()}" for name in sorted(DEBUG_SUBCOMMANDS)]
    return [SimpleString(line.encode()) for line in lines]

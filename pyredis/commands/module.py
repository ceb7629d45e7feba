"""MODULE: pyredis runs no Redis modules (they are shared libraries written against
redis-server's C API), so it answers as a redis-server that has none loaded and whose every
load fails: LIST is empty, LOAD and LOADEX log why and reply Redis's error, UNLOAD finds no
such module. LOAD, LOADEX and UNLOAD are refused unless enable-module-command allows them,
as Redis refuses its protected commands."""
from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from ..errors import (MODULE_LOAD_FAILED, MODULE_NOT_ALLOWED, NO_SUCH_MODULE, RedisError,
                      c_text)
from ..protocol.encode import Reply
from . import command, help_reply

if TYPE_CHECKING:
    from ..client import Client


def _check_allowed(client: Client) -> None:
    setting = client.server.config.enable_module_command
    if not (setting == "yes" or (setting == "local" and client.is_local())):
        raise RedisError(MODULE_NOT_ALLOWED)


def _load_failed(client: Client, path: bytes) -> RedisError:
    """Log why the module at path did not load, in Redis's words where Redis has them."""
    path = path.split(b"\0", 1)[0]        # a C string to stat() and dlopen()
    name = c_text(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        reason = f"{name}: cannot open shared object file: {exc.strerror}"
    else:
        if not mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
            reason = "It does not have execute permissions."
        else:
            reason = "this server does not run Redis modules"
    client.server.log_warning(f"Module {name} failed to load: {reason}")
    return RedisError(MODULE_LOAD_FAILED)


@command("module|list")
def module_list(client: Client, argv: list[bytes]) -> Reply:
    return []


@command("module|load")
def module_load(client: Client, argv: list[bytes]) -> Reply:
    _check_allowed(client)
    raise _load_failed(client, argv[2])


@command("module|loadex")
def module_loadex(client: Client, argv: list[bytes]) -> Reply:
    """LOADEX path [CONFIG name value ...] [ARGS ...]: the options are read as Redis reads
    them before it tries the load."""
    _check_allowed(client)
    i = 3
    while i < len(argv):
        word = argv[i].lower()
        if word == b"config":
            if i + 2 >= len(argv):
                client.server.log("notice", "CONFIG specified without name value pair")
                raise RedisError(MODULE_LOAD_FAILED)
            i += 3
        elif word == b"args":
            break
        else:
            client.server.log("notice", "Syntax Error from arguments to loadex around %s."
                              % c_text(argv[i]))
            raise RedisError(MODULE_LOAD_FAILED)
    raise _load_failed(client, argv[2])


@command("module|unload")
def module_unload(client: Client, argv: list[bytes]) -> Reply:
    _check_allowed(client)
    raise RedisError(NO_SUCH_MODULE)


@command("module|help")
def module_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, [
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and "
        "optional arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
    ])

"""FUNCTION and FCALL: Redis 7 function libraries (the engine is pyredis/scripting.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import parse_int
from ..errors import (BUSY_EVAL, FUNCTION_BAD_NUMKEYS, FUNCTION_FLUSH_OPTION, FUNCTION_NOT_FOUND,
                      KEYS_MORE_THAN_ARGS, LIBRARY_NAME_MISSING, LIBRARY_NOT_FOUND, NEGATIVE_KEYS,
                      RESTORE_POLICY, RedisError, function_exists, library_exists,
                      library_exists_unquoted, subcommand_syntax, unknown_function_argument,
                      unknown_function_option)
from ..glob import glob_match
from ..persistence import function_dump
from ..protocol.encode import NO_REPLY, OK, OrderedSet, Reply, SimpleString
from ..scripting import FLAG_NAMES, Library, command_flags
from . import COMMANDS, command, help_reply

if TYPE_CHECKING:
    from ..client import Client


def run_fcall(client: Client, argv: list[bytes], read_only: bool) -> Reply:
    """FCALL and FCALL_RO (Redis's fcallCommandGeneric)."""
    server = client.server
    if server.monitors:
        server.feed_monitors(client, argv)
    scripting = server.scripting
    function = scripting.functions.get(argv[1].lower())
    if function is None:
        raise RedisError(FUNCTION_NOT_FOUND)
    numkeys = parse_int(argv[2], FUNCTION_BAD_NUMKEYS)
    if numkeys > len(argv) - 3:
        raise RedisError(KEYS_MORE_THAN_ARGS)
    if numkeys < 0:
        raise RedisError(NEGATIVE_KEYS)
    scripting.run(client, scripting.function_state, function.function, argv, numkeys,
                  function.flags, function.name, False, read_only, COMMANDS[argv[0].lower()])
    return NO_REPLY


def fcall_flags(client: Client, argv: list[bytes]) -> frozenset:
    """The flags processCommand checks for an FCALL: its function's (fcallGetCommandFlags)."""
    cmd = COMMANDS[argv[0].lower()]
    function = client.server.scripting.functions.get(argv[1].lower())
    if function is None:
        return cmd.flags
    return command_flags(cmd.flags, function.flags)


@command("fcall", dynamic_flags=fcall_flags)
def fcall(client: Client, argv: list[bytes]) -> Reply:
    return run_fcall(client, argv, False)


@command("fcall_ro", dynamic_flags=fcall_flags)
def fcall_ro(client: Client, argv: list[bytes]) -> Reply:
    return run_fcall(client, argv, True)


@command("function|load")
def function_load(client: Client, argv: list[bytes]) -> Reply:
    replace = False
    for arg in argv[2:-1]:
        if arg.lower() != b"replace":
            raise unknown_function_option(arg)
        replace = True
    name = client.server.scripting.load_library(argv[-1], replace)
    client.server.keyspace.count_changes()
    return name


@command("function|delete")
def function_delete(client: Client, argv: list[bytes]) -> Reply:
    scripting = client.server.scripting
    library = scripting.libraries.get(argv[2])
    if library is None:
        raise RedisError(LIBRARY_NOT_FOUND)
    scripting.unlink_library(library)
    client.server.keyspace.count_changes()
    return OK


@command("function|flush")
def function_flush(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3:
        raise subcommand_syntax(argv)
    if len(argv) == 3 and argv[2].lower() not in (b"async", b"sync"):
        raise RedisError(FUNCTION_FLUSH_OPTION)
    client.server.scripting.flush_functions()
    client.server.keyspace.count_changes()
    return OK


@command("function|list")
def function_list(client: Client, argv: list[bytes]) -> Reply:
    with_code = False
    pattern = None
    i = 2
    while i < len(argv):
        arg = argv[i]
        if not with_code and arg.lower() == b"withcode":
            with_code = True
        elif pattern is None and arg.lower() == b"libraryname":
            if i >= len(argv) - 1:
                raise RedisError(LIBRARY_NAME_MISSING)
            i += 1
            pattern = argv[i]
        else:
            raise unknown_function_argument(arg)
        i += 1
    reply = []
    for library in client.server.scripting.libraries.values():
        if pattern is not None and not glob_match(pattern, library.name):
            continue
        entry = {b"library_name": library.name, b"engine": b"LUA",
                 b"functions": [{b"name": f.name, b"description": f.description,
                                 b"flags": OrderedSet(SimpleString(name.encode())
                                                      for name, flag in FLAG_NAMES
                                                      if f.flags & flag)}
                                for f in library.functions.values()]}
        if with_code:
            entry[b"library_code"] = library.code
        reply.append(entry)
    return reply


@command("function|kill")
def function_kill(client: Client, argv: list[bytes]) -> Reply:
    client.server.scripting.kill(is_eval=False)
    return OK


@command("function|stats")
def function_stats(client: Client, argv: list[bytes]) -> Reply:
    scripting = client.server.scripting
    run = scripting.current
    if run is not None and run.is_eval:
        raise RedisError(BUSY_EVAL)
    running = None
    if run is not None:
        import time
        running = {b"name": run.name, b"command": list(run.caller.argv),
                   b"duration_ms": int((time.monotonic() - run.start) * 1000)}
    return {b"running_script": running,
            b"engines": {b"LUA": {b"libraries_count": len(scripting.libraries),
                                  b"functions_count": len(scripting.functions)}}}


@command("function|dump")
def function_dump_command(client: Client, argv: list[bytes]) -> Reply:
    return function_dump.dump(client.server.scripting.libraries.values())


@command("function|restore")
def function_restore(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 4:
        raise subcommand_syntax(argv)
    policy = b"append"
    if len(argv) == 4:
        policy = argv[3].lower()
        if policy not in (b"append", b"replace", b"flush"):
            raise RedisError(RESTORE_POLICY)
    scripting = client.server.scripting
    payloads = function_dump.load(argv[2])
    libraries: list[Library] = []
    for payload in payloads:
        library = scripting.compile_library(*function_dump.library_of(payload))
        if any(lib.name == library.name for lib in libraries):
            raise library_exists(library.name)
        libraries.append(library)
    names = {}
    for library in libraries:
        for function in library.functions.values():
            key = function.name.lower()
            if key in names:
                raise function_exists(function.name)
            names[key] = function
    if policy == b"flush":
        scripting.flush_functions()
    else:
        replaced = [scripting.libraries[lib.name] for lib in libraries
                    if lib.name in scripting.libraries]
        if replaced and policy == b"append":
            raise library_exists_unquoted(replaced[0].name)
        for key, function in names.items():
            owner = scripting.functions.get(key)
            if owner is not None and owner.library not in replaced:
                raise function_exists(function.name)
        for old in replaced:
            scripting.unlink_library(old)
    for library in libraries:
        scripting.link_library(library)
    client.server.keyspace.count_changes()
    return OK


@command("function|help")
def function_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, (
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME "
        "argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored "
        "using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a "
        "restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
        "abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
        "replace the old",
        "      libraries with the new libraries (notice that even on this option there is a "
        "chance of failure",
        "      in case of functions name collision with another library)."))

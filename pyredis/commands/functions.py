"""FUNCTION: the library registry of Redis 7 functions.

pyredis has no script engine yet, so no library can be loaded (FUNCTION LOAD is not a known
subcommand); what exists answers exactly as Redis does for an empty registry. Redis's own
test suite flushes functions before every unit, which is why FLUSH is here.
"""
from __future__ import annotations

from ..args import ArgReader
from ..errors import RedisError
from ..resp import OK
from . import command, container

container("function", group="scripting", since="7.0.0",
          summary="A container for function commands")


@command("function|flush", -2, "write noscript", group="scripting", since="7.0.0",
         summary="Deleting all functions", complexity="O(N) where N is the number of "
         "functions deleted", syntax="[ASYNC | SYNC]",
         tips="request_policy:all_shards response_policy:all_succeeded")
def function_flush(client, argv):
    if len(argv) > 3:
        raise RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. "
                         "Try FUNCTION HELP." % argv[1].decode(errors="replace"))
    if len(argv) == 3 and argv[2].upper() not in (b"ASYNC", b"SYNC"):
        raise RedisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    return OK


@command("function|list", -2, "noscript", group="scripting", since="7.0.0",
         summary="List information about all the functions",
         complexity="O(N) where N is the number of functions",
         syntax="[LIBRARYNAME library-name-pattern] [WITHCODE]",
         tips="nondeterministic_output_order")
def function_list(client, argv):
    reader = ArgReader(argv, 2)
    seen = set()
    while reader.more():
        option = reader.keyword()
        if option == b"WITHCODE" and option not in seen:
            seen.add(option)
        elif option == b"LIBRARYNAME" and option not in seen:
            if not reader.more():
                raise RedisError("ERR library name argument was not given")
            seen.add(option)
            reader.next()
        else:
            raise RedisError("ERR Unknown argument %s" % argv[reader.pos - 1].decode(
                errors="replace"))
    return []

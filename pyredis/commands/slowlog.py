"""SLOWLOG: the commands that ran longer than slowlog-log-slower-than (the server's part is
pyredis/slowlog.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import ArgReader
from ..errors import SLOWLOG_COUNT, subcommand_syntax
from ..protocol.encode import OK, Reply
from . import command, help_reply

if TYPE_CHECKING:
    from ..client import Client

DEFAULT_COUNT = 10


@command("slowlog|get")
def slowlog_get(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3:
        raise subcommand_syntax(argv)
    count = DEFAULT_COUNT
    if len(argv) == 3:
        count = ArgReader(argv, 2).next_int(SLOWLOG_COUNT, minimum=-1)
    return client.server.slowlog.latest(count)


@command("slowlog|len")
def slowlog_len(client: Client, argv: list[bytes]) -> Reply:
    return len(client.server.slowlog.entries)


@command("slowlog|reset")
def slowlog_reset(client: Client, argv: list[bytes]) -> Reply:
    client.server.slowlog.reset()
    return OK


@command("slowlog|help")
def slowlog_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, [
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
    ])

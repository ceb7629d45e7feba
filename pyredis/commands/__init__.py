"""The command table: every Redis 7.0 command's metadata, and the functions bound to it.

`commands.json` holds, for every command and subcommand of Redis 7.0, what a real
redis-server 7.0.15 answers to COMMAND INFO and COMMAND DOCS (arity, flags, ACL categories,
key specs, tips, the documentation and its argument tree), plus the flags Redis keeps but does
not show (`may_replicate`, `protected`); scripts/generate_commands.py regenerates it.

A command is a plain function `func(client, argv) -> reply` bound to its entry with
`@command("set")` (or "config|get" for a subcommand). Only code has a keyword argument:
`getkeys(argv)` for keys the key specs cannot find (movable keys with incomplete or unknown
specs), returning positions or (position, "flags") pairs, where Redis's own in getkeys.py does
not serve; `dynamic_flags(client, argv)` for
flags that depend on the arguments (a script's). An entry without a function is a command
pyredis does not have: it answers as an unknown one, and COMMAND does not list it.

COMMAND (INFO, COUNT, DOCS, LIST, GETKEYS), ACL categories, INFO commandstats, the command
path's checks and the README's command list all read this one table.
"""
from __future__ import annotations

import importlib
import json
import os
from typing import Callable, Optional, Sequence

from ..protocol.encode import SimpleString
from .entry import Command, CommandFunc
from .getkeys import GETKEYS

DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "commands.json")

# Commands of Redis 7.0 that pyredis does not have yet (a container stands for all its
# subcommands). Every other entry of commands.json has a function.
NOT_YET_IMPLEMENTED = (
    "restore-asking",
    "script|debug",
)

def _load(path: str) -> dict[str, Command]:
    """Every command and subcommand of commands.json, by full name."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    table = {}
    for name, entry in data.items():
        table[name] = Command.from_data(name, entry)
        for sub_name, sub_entry in entry.get("subcommands", {}).items():
            table[sub_name] = Command.from_data(sub_name, sub_entry)
    for name, getkeys in GETKEYS.items():
        table[name].getkeys = getkeys
    return table


# Every Redis 7.0 command and subcommand, by full name ("get", "config|get").
TABLE: dict[str, Command] = _load(DATA_PATH)

# The commands pyredis has, keyed by the lower-case name as bytes (what clients send, once
# lowered): those with a function, and the containers of those subcommands.
COMMANDS: dict[bytes, Command] = {}


def command(name: str, getkeys: Optional[Callable] = None,
            dynamic_flags: Optional[Callable] = None) -> Callable[[CommandFunc], CommandFunc]:
    """Bind a function to the entry `name` of the table ("set", or "config|get")."""
    cmd = TABLE.get(name)
    if cmd is None:
        raise KeyError(f"{name!r} is no Redis 7.0 command (see commands.json)")

    def bind(func: CommandFunc) -> CommandFunc:
        if cmd.func is not None:
            raise ValueError(f"{name!r} is bound twice")
        cmd.func, cmd.dynamic_flags = func, dynamic_flags
        if getkeys is not None:
            cmd.getkeys = getkeys
        if "|" in name:
            parent_name, sub = name.split("|", 1)
            parent = TABLE[parent_name]
            COMMANDS[parent_name.encode()] = parent
            parent.subcommands[sub.encode()] = cmd
        else:
            COMMANDS[name.encode()] = cmd
        return func
    return bind


def subcommand_names(container: str) -> list[str]:
    """The full names of a container's subcommands in the table ("cluster|info" ...)."""
    return list(TABLE[container].entry["subcommands"])


def help_reply(argv: list[bytes], lines: Sequence[str]) -> list:
    """The reply of a container's HELP subcommand (Redis's addReplyHelp): a header naming
    the command as the client typed it, the lines, then HELP itself."""
    header = "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % (
        argv[0].decode(errors="surrogateescape").upper())
    return [SimpleString(line.encode()) for line in
            (header, *lines, "HELP", "    Prints this help.")]


BY_SPELLING: dict[bytes, Command] = {}   # command names as clients spell them: SET, set


def command_for(name: bytes, table: dict[bytes, Command] = COMMANDS,
                spellings: dict[bytes, Command] = BY_SPELLING) -> Optional[Command]:
    """The top-level command `name` in any case, found by the exact bytes the client sent
    (one dict lookup on the hot path; each spelling is lowered once). A server whose
    config renames commands passes its own table and spellings."""
    cmd = spellings.get(name)
    if cmd is None:
        cmd = table.get(name) or table.get(name.lower())
        if cmd is not None and len(spellings) < 4096:
            spellings[name] = cmd
    return cmd


def lookup(argv: list[bytes], table: dict[bytes, Command] = COMMANDS) -> Optional[Command]:
    """The command (or subcommand) argv names, None when unknown."""
    cmd = table.get(argv[0]) or table.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) > 1:
        return cmd.subcommands.get(argv[1].lower(), cmd)
    return cmd


def renamed_table(renames: list[tuple[bytes, bytes]]) -> dict[bytes, Command]:
    """The commands by name after the config file's rename-command lines: (old, new) in
    order, an empty new name removes the command. ACL rules keep the original names."""
    table = dict(COMMANDS)
    for old, new in renames:
        cmd = table.pop(old.lower())
        if new:
            table[new.lower()] = cmd
    return table


def lookup_name(name: bytes) -> Optional[Command]:
    """A command by its full name, "get" or "config|get" (COMMAND INFO / DOCS)."""
    parts = name.lower().split(b"|")
    cmd = COMMANDS.get(parts[0])
    if cmd is None or len(parts) == 1:
        return cmd
    if len(parts) > 2:
        return None
    return cmd.subcommands.get(parts[1])


def all_commands() -> list[Command]:
    """Every command and subcommand, for COMMAND and the README."""
    result = []
    for cmd in COMMANDS.values():
        result.append(cmd)
        result.extend(cmd.subcommands.values())
    return result


# The command families; each module registers its commands when imported.
MODULES = ("connection", "server", "introspection", "cluster", "keys", "strings", "debug",
           "functions", "lists", "hashes", "transactions", "pubsub", "tracking",
           "memory", "sets", "zsets", "sort", "scripting", "bitmaps", "persistence",
           "streams", "hyperloglog", "geo", "slowlog", "latency", "acl", "lolwut", "module",
           "migrate", "replication")

def load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")

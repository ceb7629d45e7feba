"""The command table and the @command decorator.

Every command is a plain function `func(client, argv) -> reply` registered here with its
Redis metadata. COMMAND (INFO, COUNT, DOCS, LIST, GETKEYS), ACL categories, INFO
commandstats, WATCH and the README's command list all read this one table.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..resp import SimpleString

# Flags that map to ACL categories, as Redis derives them (setImplicitACLCategories).
_FLAG_CATEGORIES = {"write": "write", "readonly": "read", "admin": "admin",
                    "pubsub": "pubsub", "fast": "fast", "blocking": "blocking"}


@dataclass(eq=False)
class Command:
    name: str                      # lower case; subcommands as "config|get"
    func: Optional[Callable]
    arity: int                     # negative: at least -arity arguments
    flags: frozenset
    first_key: int = 0
    last_key: int = 0
    step: int = 0
    group: str = "generic"
    since: str = "1.0.0"
    summary: str = ""
    complexity: str = ""
    syntax: str = ""               # the usage line of Redis's docs, e.g. "key value [NX | XX]"
    getkeys: Optional[Callable] = None   # for commands with movable keys (argv -> key indexes)
    categories: tuple = ()         # extra ACL categories (dangerous, keyspace, connection ...)
    subcommands: dict = field(default_factory=dict)
    # INFO commandstats
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0

    @property
    def display_name(self) -> str:
        return self.name

    def key_indexes(self, argv: list) -> list[int]:
        """Positions of the key arguments in argv (COMMAND GETKEYS, WATCH-like checks)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.step or 1))

    def acl_categories(self) -> list[str]:
        cats = [_FLAG_CATEGORIES[f] for f in sorted(self.flags) if f in _FLAG_CATEGORIES]
        if "fast" not in self.flags:
            cats.append("slow")
        if self.group in ("string", "list", "set", "sorted_set", "hash", "stream", "bitmap",
                          "hyperloglog", "geo", "pubsub", "transactions", "scripting",
                          "connection"):
            cats.append({"sorted_set": "sortedset", "transactions": "transaction",
                         "bitmap": "bitmap"}.get(self.group, self.group))
        if self.group == "generic" and self.first_key:
            cats.append("keyspace")
        cats.extend(self.categories)
        return list(dict.fromkeys(cats))


# The table, keyed by the lower-case name as bytes (what clients send, once lowered).
COMMANDS: dict[bytes, Command] = {}


def command(name: str, arity: int, flags: str = "", first_key: int = 0, last_key: int = 0,
            step: int = 0, group: str = "generic", since: str = "1.0.0", summary: str = "",
            complexity: str = "", syntax: str = "", getkeys: Optional[Callable] = None,
            categories: str = "") -> Callable:
    """Register a command. `name` may be "parent|sub" for a subcommand of a container."""
    def register(func: Callable) -> Callable:
        if first_key and not step:
            key_step = 1
        else:
            key_step = step
        cmd = Command(name=name, func=func, arity=arity, flags=frozenset(flags.split()),
                      first_key=first_key, last_key=last_key if last_key else first_key,
                      step=key_step, group=group, since=since, summary=summary,
                      complexity=complexity, syntax=syntax, getkeys=getkeys,
                      categories=tuple(categories.split()))
        if "|" in name:
            parent_name, sub = name.split("|", 1)
            parent = container(parent_name, group=group)
            parent.subcommands[sub.encode()] = cmd
        else:
            COMMANDS[name.encode()] = cmd
        return func
    return register


def container(name: str, group: str = "generic", since: str = "1.0.0", summary: str = "",
              complexity: str = "") -> Command:
    """The parent of subcommands (CONFIG, CLIENT ...): arity -2, no function of its own."""
    cmd = COMMANDS.get(name.encode())
    if cmd is None:
        cmd = Command(name=name, func=None, arity=-2, flags=frozenset(), group=group,
                      since=since, summary=summary or f"A container for {name.upper()} commands",
                      complexity=complexity or "Depends on subcommand.")
        COMMANDS[name.encode()] = cmd
    return cmd


def help_reply(argv: list[bytes], lines: tuple) -> list:
    """The reply of a container's HELP subcommand (Redis's addReplyHelp): a header naming
    the command as the client typed it, the lines, then HELP itself."""
    header = "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % (
        argv[0].decode(errors="replace").upper())
    return [SimpleString(line.encode()) for line in
            (header, *lines, "HELP", "    Prints this help.")]


def lookup(argv: list[bytes]) -> Optional[Command]:
    """The command (or subcommand) argv names, None when unknown."""
    cmd = COMMANDS.get(argv[0]) or COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) > 1:
        return cmd.subcommands.get(argv[1].lower(), cmd)
    return cmd


def all_commands() -> list[Command]:
    """Every command and subcommand, for COMMAND and the README."""
    result = []
    for cmd in COMMANDS.values():
        result.append(cmd)
        result.extend(cmd.subcommands.values())
    return result


# The command families; each module registers its commands when imported.
MODULES = ("connection", "server", "keys", "strings", "debug", "functions", "lists")


def load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")

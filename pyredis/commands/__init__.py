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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from ..protocol.encode import Reply, SimpleString
from .getkeys import GETKEYS, c_keyword

if TYPE_CHECKING:
    from ..client import Client

# A command: the client that sent it and its arguments (the name first) -> its reply.
CommandFunc = Callable[["Client", list[bytes]], Reply]

DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "commands.json")

# Commands of Redis 7.0 that pyredis does not have yet (a container stands for all its
# subcommands). Every other entry of commands.json has a function.
NOT_YET_IMPLEMENTED = (
    "failover",
    "restore-asking", "wait",
    "script|debug",
)

# Key spec flags in the order COMMAND INFO lists them.
KEY_FLAG_ORDER = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
                  "incomplete", "variable_flags")


def ordered_key_flags(words: str) -> tuple:
    """Key spec flags given as words ("RW access update"), in COMMAND INFO's order."""
    given = words.split()
    return tuple(f for f in KEY_FLAG_ORDER if f in given)


@dataclass(frozen=True)
class KeySpec:
    """One Redis key specification: where a command's keys start (an index, or after a
    keyword searched from `startfrom`) and how to find them from there (a range up to
    `last` with `step`, or a count at `keynum` = (count index, first key, step))."""
    flags: tuple                          # e.g. ("RW", "access", "delete")
    index: int = 0                        # begin_search: index
    keyword: str = ""                     # begin_search: keyword (with startfrom)
    startfrom: int = 1
    last: int = 0                         # find_keys range: lastkey (relative), keystep, limit
    step: int = 1
    limit: int = 0
    keynum: Optional[tuple] = None        # find_keys keynum: (keynumidx, firstkey, keystep)
    unknown: bool = False                 # begin_search or find_keys "unknown"

    @classmethod
    def from_data(cls, spec: dict) -> "KeySpec":
        """A key spec as COMMAND INFO describes it (an entry of commands.json)."""
        begin, find = spec["begin_search"], spec["find_keys"]
        flags = tuple(spec["flags"])
        if begin["type"] == "unknown" or find["type"] == "unknown":
            return cls(flags, unknown=True)
        where, how = begin["spec"], find["spec"]
        start = dict(index=where["index"]) if begin["type"] == "index" else \
            dict(keyword=where["keyword"], startfrom=where["startfrom"])
        if find["type"] == "range":
            return cls(flags, last=how["lastkey"], step=how["keystep"], limit=how["limit"],
                       **start)
        return cls(flags, keynum=(how["keynumidx"], how["firstkey"], how["keystep"]), **start)

    def positions(self, argv: list) -> Optional[list[int]]:
        """The key positions this spec finds in argv; None when argv does not fit."""
        argc = len(argv)
        if self.unknown:
            return None
        if self.keyword:
            start = self.startfrom if self.startfrom > 0 else argc + self.startfrom
            stop = argc - 1 if self.startfrom > 0 else 1
            first, i = 0, start
            keyword = self.keyword.lower().encode()
            while i != stop and 1 <= i < argc:
                if c_keyword(argv[i]) == keyword:
                    first = i + 1
                    break
                i += 1 if start <= stop else -1
            if not first:
                return []
        else:
            first = self.index
        if self.keynum is None:
            step = self.step
            if self.last >= 0:
                last = first + self.last
            elif not self.limit:
                last = argc + self.last
            else:
                last = first + ((argc - first) // self.limit + self.last)
        else:
            count_index, first_key, step = self.keynum
            if first + count_index >= argc:
                return None
            from ..args import parse_int
            from ..errors import RedisError
            try:
                count = parse_int(argv[first + count_index])
            except RedisError:
                return None
            if count < 0:
                return None
            count = (count + 2**31) % 2**32 - 2**31     # Redis adds it as a C int
            first += first_key
            last = first + count - 1
        if last >= argc or last < first or first >= argc:
            return None
        return list(range(first, last + 1, step))


@dataclass(eq=False)
class Command:
    name: str                      # lower case; subcommands as "config|get"
    arity: int                     # negative: at least -arity arguments
    # Redis's command flags with '-' for '_' ("write", "no-auth", "may-replicate" ...),
    # the hidden ones included: the command path's checks read them
    flags: frozenset
    acl_categories: tuple          # without the '@': ("write", "string", "slow")
    key_specs: tuple               # KeySpec, in Redis's order
    entry: dict                    # the entry of commands.json: COMMAND INFO / DOCS replies
    func: Optional[CommandFunc] = None
    getkeys: Optional[Callable] = None   # for movable keys the specs cannot find
    # flags that depend on the arguments (EVAL, FCALL: their script's flags), for the
    # processCommand checks: (client, argv) -> flags
    dynamic_flags: Optional[Callable] = None
    subcommands: dict = field(default_factory=dict)   # the implemented ones, by name
    # INFO commandstats and latencystats
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    latency: "LatencyHistogram" = field(default_factory=lambda: LatencyHistogram())

    @classmethod
    def from_data(cls, name: str, entry: dict) -> "Command":
        shown = entry["flags"] + entry.get("hidden_flags", [])
        return cls(name=name, arity=entry["arity"],
                   flags=frozenset(f.replace("_", "-") for f in shown),
                   acl_categories=tuple(c[1:] for c in entry["acl_categories"]),
                   key_specs=tuple(KeySpec.from_data(s) for s in entry["key_specs"]),
                   entry=entry)

    @property
    def group(self) -> str:
        return self.entry["docs"]["group"]

    @property
    def summary(self) -> str:
        return self.entry["docs"].get("summary", "")

    def has_keys(self) -> bool:
        return self.getkeys is not None or \
            any("not_key" not in spec.flags for spec in self.key_specs)

    def key_indexes(self, argv: list) -> list[int]:
        """Positions of the key arguments in argv (COMMAND GETKEYS, WATCH-like checks)."""
        return [pos for pos, _ in self.keys_and_flags(argv)]

    def keys_and_flags(self, argv: list) -> list[tuple[int, tuple]]:
        """Key positions with their key spec flags, as Redis's getKeysFromCommandWithSpecs:
        the specs when they can tell, else the getkeys procedure, whose keys carry only
        the flags it names; no keys when neither fits argv."""
        specs = [s for s in self.key_specs if "not_key" not in s.flags]
        variable = any("variable_flags" in s.flags for s in self.key_specs)
        if specs and not variable:
            found: list[tuple[int, tuple]] = []
            for spec in specs:
                positions = spec.positions(argv)
                # (a keyword not found is no failure, even for an incomplete spec)
                if positions is None or (positions and "incomplete" in spec.flags):
                    break
                found.extend((p, spec.flags) for p in positions)
            else:
                return found
        if self.getkeys is None:
            return []
        return [(item[0], ordered_key_flags(item[1])) if isinstance(item, tuple) else (item, ())
                for item in self.getkeys(argv)]

    def reset_stats(self) -> None:
        self.calls = self.usec = self.rejected_calls = self.failed_calls = 0
        self.latency = LatencyHistogram()


class LatencyHistogram:
    """Per-command latencies for INFO latencystats. Like Redis, a command's duration is
    measured in whole microseconds; `counts` maps it to how many calls took it (server.call
    counts them inline). Percentiles are read with Redis's precision: HdrHistogram buckets
    of 2 significant digits over nanoseconds (128 sub-buckets per power of two)."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}    # duration in microseconds -> calls

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def value_at(self, percentile: float) -> int:
        """The highest value (ns) of the bucket holding the given percentile."""
        total = self.total
        if not total:
            return 0
        wanted = max(int(percentile / 100 * total + 0.5), 1)
        seen = 0
        for usec in sorted(self.counts):
            seen += self.counts[usec]
            if seen >= wanted:
                ns = max(usec * 1000, 1)   # Redis records at least 1 ns
                shift = max(ns.bit_length() - 8, 0)   # the bucket keeps the top 8 bits
                return (ns >> shift << shift) + (1 << shift) - 1
        return 0


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

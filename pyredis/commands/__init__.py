"""The command table and the @command decorator.

Every command is a plain function `func(client, argv) -> reply` registered here with its
Redis metadata. COMMAND (INFO, COUNT, DOCS, LIST, GETKEYS), ACL categories, INFO
commandstats, WATCH and the README's command list all read this one table.

Metadata, as Redis 7.0 reports it in COMMAND INFO / COMMAND DOCS:
- `flags`: Redis's command flags, e.g. "write denyoom" or "readonly fast" ("loading",
  "stale", "no-auth", "no-multi", "skip-monitor", "may-replicate", "allow-busy" ...; dashes
  or underscores alike).
- keys: `first_key, last_key, step` for a plain range of keys; `key_specs` (KeySpec, below)
  for Redis's key specifications with their flags (RO/RW/OW/RM, access/update/insert/delete),
  which COMMAND GETKEYSANDFLAGS reports; `getkeys(argv)` for keys found by parsing (it makes
  the command `movablekeys`), returning positions or (position, "flags") pairs.
- `categories`: ACL categories beyond those the flags imply (write -> @write, admin ->
  @admin @dangerous, not fast -> @slow ...) and the group's own (@string for group "string",
  @keyspace for "generic"); "-keyspace" drops one the group implies.
- `syntax`: the usage line of Redis's docs, e.g. "key value [NX | XX] [GET]"; COMMAND DOCS
  builds its "arguments" from it (see docs_syntax.py).
- `tips`: Redis's command tips, e.g. "nondeterministic_output request_policy:all_shards".
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..protocol.encode import SimpleString

# Command flags in the order COMMAND INFO lists them (Redis's names, with '-' for '_').
FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
              "blocking", "loading", "stale", "skip-monitor", "skip-slowlog", "asking", "fast",
              "no-auth", "no-mandatory-keys", "no-async-loading", "no-multi", "movablekeys",
              "allow-busy")
# Flags Redis keeps but does not show.
HIDDEN_FLAGS = ("may-replicate", "sentinel", "only-sentinel", "protected")
_FLAG_ALIASES = {"allow-loading": "loading", "allow-stale": "stale"}

# ACL categories in Redis's order (COMMAND INFO lists a command's categories in this order).
ACL_CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
                  "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
                  "blocking", "dangerous", "connection", "transaction", "scripting")
# The category a command group implies.
_GROUP_CATEGORIES = {"generic": "keyspace", "string": "string", "list": "list", "set": "set",
                     "sorted_set": "sortedset", "sorted-set": "sortedset", "hash": "hash",
                     "stream": "stream", "bitmap": "bitmap", "hyperloglog": "hyperloglog",
                     "geo": "geo", "pubsub": "pubsub", "transactions": "transaction",
                     "scripting": "scripting", "connection": "connection"}

# Key spec flags in the order COMMAND INFO lists them.
KEY_FLAG_ORDER = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
                  "incomplete", "variable_flags")


def normalize_flags(flags: str) -> frozenset:
    words = (w.lower().replace("_", "-") for w in flags.split())
    return frozenset(_FLAG_ALIASES.get(w, w) for w in words)


@dataclass(frozen=True)
class KeySpec:
    """One Redis key specification: where a command's keys start (an index, or after a
    keyword searched from `startfrom`) and how to find them from there (a range up to
    `last` with `step`, or a count at `keynum` = (count index, first key, step))."""
    flags: str = ""                       # e.g. "RW access delete"
    index: int = 0                        # begin_search: index
    keyword: str = ""                     # begin_search: keyword (with startfrom)
    startfrom: int = 1
    last: int = 0                         # find_keys range: lastkey (relative), keystep, limit
    step: int = 1
    limit: int = 0
    keynum: Optional[tuple] = None        # find_keys keynum: (keynumidx, firstkey, keystep)
    unknown: bool = False                 # begin_search and find_keys "unknown"
    notes: str = ""

    @property
    def is_range(self) -> bool:
        return not self.unknown and not self.keyword and self.keynum is None

    def key_flags(self) -> list[str]:
        words = self.flags.split()
        return [f for f in KEY_FLAG_ORDER if f in words]

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
                if argv[i].lower() == keyword:
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
            first += first_key
            last = first + count - 1
        if last >= argc or last < first or first >= argc:
            return None
        return [i for i in range(first, last + 1, step)]


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
    key_specs: tuple = ()          # KeySpec, in Redis's order
    tips: tuple = ()
    doc_flags: tuple = ()          # "deprecated", "syscmd"
    deprecated_since: str = ""
    replaced_by: str = ""
    history: tuple = ()            # (version, change)
    # flags that depend on the arguments (EVAL, FCALL: their script's flags), for the
    # processCommand checks: (client, argv) -> flags
    dynamic_flags: Optional[Callable] = None
    # INFO commandstats and latencystats
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    latency: "LatencyHistogram" = field(default_factory=lambda: LatencyHistogram())

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def movable_keys(self) -> bool:
        """Keys that the (first, last, step) range does not describe (Redis's movablekeys
        flag), as the key specs tell; a getkeys function without key specs counts too."""
        specs = self.key_specs
        if self.getkeys is not None and not specs:
            return True
        if len(specs) == 1 and specs[0].is_range:
            return "incomplete" in specs[0].flags.split()
        prev_last = 0
        for spec in specs:
            if not spec.is_range or spec.step != 1 or \
                    (prev_last and prev_last != spec.index - 1) or "incomplete" in spec.flags:
                return True
            prev_last = spec.last if spec.last < 0 else spec.index + spec.last
        return False

    def shown_flags(self) -> list[str]:
        """The flags COMMAND INFO lists (with Redis's underscores)."""
        flags = set(self.flags)
        if self.movable_keys:
            flags.add("movablekeys")
        return [f.replace("-", "_") for f in FLAG_ORDER if f in flags]

    def has_keys(self) -> bool:
        return self.getkeys is not None or \
            any("not_key" not in spec.flags.split() for spec in self.key_specs)

    def key_indexes(self, argv: list) -> list[int]:
        """Positions of the key arguments in argv (COMMAND GETKEYS, WATCH-like checks)."""
        return [pos for pos, _ in self.keys_and_flags(argv) or ()]

    def keys_and_flags(self, argv: list) -> Optional[list[tuple[int, list[str]]]]:
        """Key positions with their key spec flags, as Redis's getKeysFromCommandWithSpecs:
        the specs when they can tell, else the getkeys function; None when argv does not
        fit the command's key positions."""
        specs = [s for s in self.key_specs if "not_key" not in s.flags.split()]
        variable = any("variable_flags" in s.flags.split() for s in self.key_specs)
        if specs and not variable:
            found: Optional[list[tuple[int, list[str]]]] = []
            for spec in specs:
                positions = spec.positions(argv)
                if positions is None or "incomplete" in spec.flags.split():
                    found = None
                    break
                found.extend((p, spec.key_flags()) for p in positions)  # type: ignore
            if found is not None:
                return found
        if self.getkeys is None:
            return None if specs else []
        result = []
        default = self.key_specs[0].key_flags() if self.key_specs else []
        for item in self.getkeys(argv):
            if isinstance(item, tuple):
                result.append((item[0], KeySpec(item[1]).key_flags()))
            else:
                result.append((item, default))
        return result

    def acl_categories(self) -> list[str]:
        """The ACL categories, as Redis derives them (setImplicitACLCategories) plus the
        group's and the declared ones, in Redis's order."""
        cats = set()
        flags = self.flags
        explicit = set(c for c in self.categories if not c.startswith("-"))
        dropped = set(c[1:] for c in self.categories if c.startswith("-"))
        if self.func is not None and self.group in _GROUP_CATEGORIES:
            cats.add(_GROUP_CATEGORIES[self.group])
        cats |= explicit
        if "write" in flags:
            cats.add("write")
        if "readonly" in flags and "scripting" not in cats:
            cats.add("read")
        if "admin" in flags:
            cats |= {"admin", "dangerous"}
        if "pubsub" in flags:
            cats.add("pubsub")
        if "fast" in flags:
            cats.add("fast")
        if "blocking" in flags:
            cats.add("blocking")
        if "fast" not in cats:
            cats.add("slow")
        return [c for c in ACL_CATEGORIES if c in cats and c not in dropped]

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


# The table, keyed by the lower-case name as bytes (what clients send, once lowered).
COMMANDS: dict[bytes, Command] = {}


def command(name: str, arity: int, flags: str = "", first_key: int = 0, last_key: int = 0,
            step: int = 0, group: str = "generic", since: str = "1.0.0", summary: str = "",
            complexity: str = "", syntax: str = "", getkeys: Optional[Callable] = None,
            categories: str = "", key_specs: tuple = (), tips: str = "",
            doc_flags: str = "", deprecated_since: str = "", replaced_by: str = "",
            history: tuple = ()) -> Callable:
    """Register a command. `name` may be "parent|sub" for a subcommand of a container.
    Give keys either as first_key/last_key/step (a plain range, read-only or read-write by
    the command's flags) or as key_specs, from which the range is derived."""
    def register(func: Callable) -> Callable:
        specs = tuple(key_specs)
        first, last, key_step = first_key, (last_key if last_key else first_key), step
        if first and not key_step:
            key_step = 1
        if specs:
            first, last, key_step = legacy_range(specs)
        elif first:
            access = "RO access" if "readonly" in normalize_flags(flags) else "RW access update"
            specs = (KeySpec(access, index=first, step=key_step,
                             last=last - first if last >= 0 else last),)
        cmd = Command(name=name, func=func, arity=arity, flags=normalize_flags(flags),
                      first_key=first, last_key=last, step=key_step, group=group, since=since,
                      summary=summary, complexity=complexity, syntax=syntax, getkeys=getkeys,
                      categories=tuple(categories.split()), key_specs=specs,
                      tips=tuple(tips.split()), doc_flags=tuple(doc_flags.split()),
                      deprecated_since=deprecated_since, replaced_by=replaced_by,
                      history=tuple(history))
        if "|" in name:
            parent_name, sub = name.split("|", 1)
            parent = container(parent_name, group=group)
            parent.subcommands[sub.encode()] = cmd
        else:
            COMMANDS[name.encode()] = cmd
        return func
    return register


def legacy_range(specs: tuple) -> tuple[int, int, int]:
    """(first, last, step) of COMMAND INFO from key specs (Redis's
    populateCommandLegacyRangeSpec): the consecutive plain ranges, else 0 0 0."""
    if len(specs) == 1 and specs[0].is_range:
        spec = specs[0]
        last = spec.last if spec.last < 0 else spec.index + spec.last
        return spec.index, last, spec.step
    first, last, prev_last = 2**31, 0, 0
    for spec in specs:
        if not spec.is_range or spec.step != 1 or (prev_last and prev_last != spec.index - 1):
            continue
        first = min(first, spec.index)
        spec_last = spec.last if spec.last < 0 else spec.last + spec.index
        last = max(last % 2**32, spec_last % 2**32)     # unsigned: a negative end wins
        last = last - 2**32 if last >= 2**31 else last
        prev_last = last
    if first == 2**31:
        return 0, 0, 0
    return first, last, 1


def container(name: str, group: str = "generic", since: str = "1.0.0", summary: str = "",
              complexity: str = "") -> Command:
    """The parent of subcommands (CONFIG, CLIENT ...): arity -2, no function of its own."""
    cmd = COMMANDS.get(name.encode())
    if cmd is None:
        cmd = Command(name=name, func=None, arity=-2, flags=frozenset(), group=group,
                      since=since, summary=summary or f"A container for {name.upper()} commands",
                      complexity=complexity or "Depends on subcommand.")
        COMMANDS[name.encode()] = cmd
    else:
        if since != "1.0.0":
            cmd.since = since
        if summary:
            cmd.summary = summary
    return cmd


def help_reply(argv: list[bytes], lines: tuple) -> list:
    """The reply of a container's HELP subcommand (Redis's addReplyHelp): a header naming
    the command as the client typed it, the lines, then HELP itself."""
    header = "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % (
        argv[0].decode(errors="replace").upper())
    return [SimpleString(line.encode()) for line in
            (header, *lines, "HELP", "    Prints this help.")]


BY_SPELLING: dict[bytes, Command] = {}   # command names as clients spell them: SET, set


def command_for(name: bytes) -> Optional[Command]:
    """The top-level command `name` in any case, found by the exact bytes the client sent
    (one dict lookup on the hot path; each spelling is lowered once)."""
    cmd = BY_SPELLING.get(name)
    if cmd is None:
        cmd = COMMANDS.get(name) or COMMANDS.get(name.lower())
        if cmd is not None and len(BY_SPELLING) < 4096:
            BY_SPELLING[name] = cmd
    return cmd


def lookup(argv: list[bytes]) -> Optional[Command]:
    """The command (or subcommand) argv names, None when unknown."""
    cmd = COMMANDS.get(argv[0]) or COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) > 1:
        return cmd.subcommands.get(argv[1].lower(), cmd)
    return cmd


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
           "memory", "sets", "zsets", "sort", "scripting", "bitmaps", "persistence")

# Per-server setup of what a feature needs beyond its commands (hooks, registries), run by
# Server.__init__ with the new server.
SERVER_SETUP: list[Callable] = []


def on_server_init(setup: Callable) -> Callable:
    """Register `setup(server)` to run for every Server created."""
    SERVER_SETUP.append(setup)
    return setup


def load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")

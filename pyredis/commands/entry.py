"""One entry of the command table: a command's metadata (arity, flags, key specs, as
commands.json gives them), the function bound to it, and its statistics. A module of its
own so that the compiled build makes Command a native class: the command path reads its
fields once per request."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Final, Optional, TYPE_CHECKING

from ..protocol.encode import Reply
from .getkeys import c_keyword

if TYPE_CHECKING:
    from ..client import Client

# A command: the client that sent it and its arguments (the name first) -> its reply.
CommandFunc = Callable[["Client", list[bytes]], Reply]


# Key spec flags in the order COMMAND INFO lists them.
KEY_FLAG_ORDER: Final = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
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


FAST_USEC: Final = 32   # durations (us) the latency histogram counts in a list


class LatencyHistogram:
    """Per-command latencies for INFO latencystats. Like Redis, a command's duration is
    measured in whole microseconds; `record` counts a call that took one (server.call records
    every call). Percentiles are read with Redis's precision: HdrHistogram buckets of 2
    significant digits over nanoseconds (128 sub-buckets per power of two)."""

    __slots__ = ("fast", "slow")

    def __init__(self) -> None:
        # Most calls take a few microseconds: counted in a list by duration (made at the
        # first call, an unused command costs nothing), the rarer longer ones in a dict.
        self.fast: list[int] = []
        self.slow: dict[int, int] = {}    # duration in microseconds -> calls

    def record(self, usec: int) -> None:
        """Count one call that took `usec` microseconds."""
        if usec < FAST_USEC:
            fast = self.fast
            if not fast:
                fast = self.fast = [0] * FAST_USEC
            fast[usec] += 1
        else:
            self.slow[usec] = self.slow.get(usec, 0) + 1

    @property
    def counts(self) -> dict[int, int]:
        """Duration in microseconds -> calls, for the durations seen, in order."""
        counts = {usec: calls for usec, calls in enumerate(self.fast) if calls}
        counts.update(sorted(self.slow.items()))
        return counts

    @property
    def total(self) -> int:
        return sum(self.fast) + sum(self.slow.values())

    def value_at(self, percentile: float) -> int:
        """The highest value (ns) of the bucket holding the given percentile."""
        total = self.total
        if not total:
            return 0
        wanted = max(int(percentile / 100 * total + 0.5), 1)
        seen = 0
        for usec, calls in self.counts.items():
            seen += calls
            if seen >= wanted:
                ns = max(usec * 1000, 1)   # Redis records at least 1 ns
                shift = max(ns.bit_length() - 8, 0)   # the bucket keeps the top 8 bits
                return (ns >> shift << shift) + (1 << shift) - 1
        return 0



"""The sorted set value: a dict member -> score beside a SortedList of (score, member).

The dict answers ZSCORE and membership in O(1); the sorted list gives rank, range by rank,
score or lex, and insertion in O(log n), ties between equal scores ordered by member bytes
as in Redis. The value also remembers the encoding Redis 7.0 would use: "listpack" while the
set is small (zset-max-listpack-entries members, none longer than zset-max-listpack-value
bytes), "skiplist" once it outgrows that; only a whole rebuild (a *STORE result, a reload)
goes back.
"""
from __future__ import annotations

import math
from operator import itemgetter
from typing import Any, Callable, Final, Iterable, Iterator, Optional, Union

from sortedcontainers import SortedList

from . import register_type

_LLONG_HALF: Final = (2**63 - 1) // 2

# The two unbounded ends of a lex range ("-" and "+"); other bounds are member bytes.
MIN_LEX: Final = "-"
MAX_LEX: Final = "+"
LexBound = Union[bytes, str]


def listpack_score_text(score: float) -> bytes:
    """A score as a listpack holds it (Redis's d2string): integers without exponent."""
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    if score.is_integer() and -_LLONG_HALF <= score <= _LLONG_HALF:
        return b"%d" % score
    return b"%.17g" % score


class ZSetValue:
    __slots__ = ("scores", "order", "listpack")

    def __init__(self, listpack: bool = True) -> None:
        self.scores: dict[bytes, float] = {}
        self.order = SortedList()
        self.listpack = listpack

    @classmethod
    def for_first_member(cls, member: bytes, config: Any) -> "ZSetValue":
        """The empty value ZADD creates for a new key (listpack unless member is too long)."""
        return cls(listpack=config.zset_max_listpack_entries > 0
                   and len(member) <= config.zset_max_listpack_value)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[bytes, float]], config: Any) -> "ZSetValue":
        """A value built whole (a loaded or restored one), encoded as its size allows."""
        value = cls(listpack=False)
        for member, score in pairs:
            value.scores[member] = score
        value.order = SortedList((s, m) for m, s in value.scores.items())
        value.fit_encoding(config)
        return value

    # -- reads ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: bytes) -> bool:
        return member in self.scores

    def __iter__(self) -> Iterator[bytes]:
        """Members in order, lowest score first."""
        return map(itemgetter(1), self.order)

    def score(self, member: bytes) -> Optional[float]:
        return self.scores.get(member)

    def rank(self, member: bytes) -> Optional[int]:
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.bisect_left((score, member))

    def at(self, index: int) -> tuple[float, bytes]:
        return self.order[index]

    def slice(self, start: int, stop: int, reverse: bool = False) -> Iterator[tuple[float, bytes]]:
        """The pairs at ranks start..stop-1, from the highest when reverse."""
        return self.order.islice(start, stop, reverse=reverse)

    def score_bounds(self, low: float, low_ex: bool, high: float,
                     high_ex: bool) -> tuple[int, int]:
        """Ranks [first, end) of the members whose score lies in the range."""
        return self._score_index(low, low_ex), self._score_index(high, not high_ex)

    def _score_index(self, bound: float, after: bool) -> int:
        """Rank of the first member scored above bound (after) or at least bound."""
        if after:
            if bound == math.inf:
                return len(self.order)
            bound = math.nextafter(bound, math.inf)
        return self.order.bisect_left((bound, b""))

    def lex_bounds(self, low: LexBound, low_ex: bool, high: LexBound,
                   high_ex: bool) -> tuple[int, int]:
        """Ranks [first, end) of the members inside a lex range, for sets whose scores are
        all equal, as Redis requires of lex ranges."""
        return self._lex_index(low, low_ex), self._lex_index(high, not high_ex)

    def _lex_index(self, bound: LexBound, after: bool) -> int:
        """Rank of the first member greater than bound (after) or at least bound."""
        order = self.order
        if bound is MIN_LEX or not order:
            return 0
        if bound is MAX_LEX:
            return len(order)
        score = order[0][0]
        if order[-1][0] == score:
            key = (score, bound)
            return order.bisect_right(key) if after else order.bisect_left(key)
        # Mixed scores leave lex ranges undefined in Redis: search as if members were sorted.
        if after:
            return _partition_point(len(order), lambda i: order[i][1] > bound)
        return _partition_point(len(order), lambda i: order[i][1] >= bound)

    def encoding(self, config: Any = None) -> bytes:
        return b"listpack" if self.listpack else b"skiplist"

    def copy(self) -> "ZSetValue":
        value = ZSetValue(self.listpack)
        value.scores = dict(self.scores)
        value.order = self.order.copy()
        return value

    # -- writes -----------------------------------------------------------------------------

    def insert(self, member: bytes, score: float, config: Any) -> None:
        """Add a member that is not in the set; a listpack that outgrows its limits becomes
        a skiplist first."""
        if self.listpack and (len(self.scores) + 1 > config.zset_max_listpack_entries
                              or len(member) > config.zset_max_listpack_value):
            self.listpack = False
        if self.listpack:
            score += 0.0   # a listpack stores -0 as the integer 0
        self.scores[member] = score
        self.order.add((score, member))

    def update(self, member: bytes, score: float) -> None:
        """Change the score of a member already in the set."""
        old = self.scores[member]
        if self.listpack:
            score += 0.0
        self.order.remove((old, member))
        self.scores[member] = score
        self.order.add((score, member))

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        return True

    def remove_ranks(self, start: int, stop: int) -> int:
        """Delete the members at ranks start..stop-1; returns how many."""
        removed: list[tuple[float, bytes]] = self.order[start:stop]
        del self.order[start:stop]
        for _, member in removed:
            del self.scores[member]
        return len(removed)

    def pop(self, highest: bool) -> tuple[float, bytes]:
        pair: tuple[float, bytes] = self.order.pop(-1 if highest else 0)   # typed: unpacked in C
        del self.scores[pair[1]]
        return pair

    def to_skiplist(self) -> None:
        self.listpack = False

    def fit_encoding(self, config: Any) -> None:
        """Take the encoding a freshly built set of this content gets (Redis's
        zsetConvertToListpackIfNeeded, as for a *STORE result or a loaded value)."""
        self.listpack = (len(self.scores) <= config.zset_max_listpack_entries
                         and all(len(m) <= config.zset_max_listpack_value
                                 for m in self.scores))
        if self.listpack:
            for member, score in self.scores.items():
                if score == 0 and math.copysign(1.0, score) < 0:
                    self.update(member, 0.0)


def _partition_point(n: int, pred: Callable[[int], bool]) -> int:
    """The first i in [0, n) where pred turns true (pred is false then true)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


register_type(ZSetValue, b"zset")

"""The sorted set value: a dict member -> score beside a SortedList of the members in order.

The dict answers ZSCORE and membership in O(1); the sorted list gives rank, range by rank,
score or lex, and insertion in O(log n), ties between equal scores ordered by member bytes
as in Redis. The list holds one bytes object per member, the score's 9 order-preserving
bytes followed by the member (`order_key`): compared by memcmp, these sort as (score,
member) pairs would, at a fraction of a tuple comparison's cost (which touches the tuple,
its float and its member), and in less memory. The value also remembers the encoding
Redis 7.0 would use: "listpack" while the set is small (zset-max-listpack-entries members,
none longer than zset-max-listpack-value bytes), "skiplist" once it outgrows that; only a
whole rebuild (a *STORE result, a reload) goes back.
"""
from __future__ import annotations

import math
import struct
from operator import itemgetter
from typing import Any, Callable, Final, Iterable, Iterator, Optional, Union

from sortedcontainers import SortedList

from . import register_type

_LLONG_HALF: Final = (2**63 - 1) // 2

# The two unbounded ends of a lex range ("-" and "+"); other bounds are member bytes.
MIN_LEX: Final = "-"
MAX_LEX: Final = "+"
LexBound = Union[bytes, str]


# An entry starts with a sign byte and the score's 8 big-endian IEEE 754 bytes: 1 and the
# bytes as they are for a score >= 0 (their order is the scores' order there), 0 and every
# bit inverted for a negative one (so that the larger magnitude comes first).
_SIGNED_DOUBLE: Final = struct.Struct(">Bd").pack
_INVERT: Final = bytes(range(255, -1, -1))
SCORE_BYTES: Final = 9


def order_key(score: float, member: bytes) -> bytes:
    """The member's entry in the sorted list: score bytes whose order is score order (-0 is
    0 here, as in Redis's comparisons), then the member's bytes, which order equal scores as
    Redis does (memcmp, the shorter first). Two C calls: struct's pack, then a concatenation
    (or a translate first for a negative score)."""
    if score >= 0:
        return _SIGNED_DOUBLE(1, score + 0.0) + member
    return _SIGNED_DOUBLE(255, -score).translate(_INVERT) + member


_member_of: Final = itemgetter(slice(SCORE_BYTES, None))   # an entry's member, in C


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
        value.order = SortedList([order_key(s, m) for m, s in value.scores.items()])
        value.fit_encoding(config)
        return value

    # -- reads ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: bytes) -> bool:
        return member in self.scores

    def __iter__(self) -> Iterator[bytes]:
        """Members in order, lowest score first."""
        return map(_member_of, self.order)

    def pairs(self) -> Iterator[tuple[float, bytes]]:
        """(score, member) in order, lowest score first."""
        return self.slice(0, len(self.order))

    def score(self, member: bytes) -> Optional[float]:
        return self.scores.get(member)

    def rank(self, member: bytes) -> Optional[int]:
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.bisect_left(order_key(score, member))

    def at(self, index: int) -> tuple[float, bytes]:
        return self._pair(self.order[index])

    def slice(self, start: int, stop: int, reverse: bool = False) -> Iterator[tuple[float, bytes]]:
        """The pairs at ranks start..stop-1, from the highest when reverse."""
        return map(self._pair, self.order.islice(start, stop, reverse=reverse))

    def _pair(self, entry: bytes) -> tuple[float, bytes]:
        """(score, member) of a sorted-list entry; the score as stored (a -0 kept)."""
        member = entry[SCORE_BYTES:]
        return self.scores[member], member

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
        return self.order.bisect_left(order_key(bound, b""))

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
        if isinstance(bound, str):   # MAX_LEX
            return len(order)
        head = order[0][:SCORE_BYTES]
        if order[-1][:SCORE_BYTES] == head:
            key = head + bound
            return order.bisect_right(key) if after else order.bisect_left(key)
        # Mixed scores leave lex ranges undefined in Redis: search as if members were sorted.
        if after:
            return _partition_point(len(order), lambda i: order[i][SCORE_BYTES:] > bound)
        return _partition_point(len(order), lambda i: order[i][SCORE_BYTES:] >= bound)

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
        self.order.add(order_key(score, member))

    def update(self, member: bytes, score: float, old: float) -> None:
        """Change the score of a member already in the set from `old`, its score (which the
        caller has just read)."""
        if self.listpack:
            score += 0.0
        self.scores[member] = score
        if score != old:   # else its place stays (-0 and 0 share one)
            self.order.remove(order_key(old, member))
            self.order.add(order_key(score, member))

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove(order_key(score, member))
        return True

    def remove_ranks(self, start: int, stop: int) -> int:
        """Delete the members at ranks start..stop-1; returns how many."""
        removed: list[bytes] = self.order[start:stop]
        del self.order[start:stop]
        for entry in removed:
            del self.scores[entry[SCORE_BYTES:]]
        return len(removed)

    def pop(self, highest: bool) -> tuple[float, bytes]:
        entry: bytes = self.order.pop(-1 if highest else 0)
        member = entry[SCORE_BYTES:]
        return self.scores.pop(member), member

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
                    self.update(member, 0.0, score)


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

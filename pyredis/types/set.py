"""The set value: O(1) add, remove, membership and random member.

Members live in a list (for O(1) random picks) with a dict from member to its position (for
O(1) membership and removal by swapping with the last). The set also remembers the encoding
Redis 7.0 would give it: "intset" while every member is an integer and there are at most
set-max-intset-entries of them, then "hashtable" for good (Redis never converts back, except
when a whole set is rebuilt, as by a reload).
"""
from __future__ import annotations

import random
from typing import Any, Final, Iterator

from . import register_type
from .integers import is_int64

INTSET_HARD_LIMIT: Final = 1 << 30   # Redis caps set-max-intset-entries here


def _intset_limit(config: Any) -> int:
    return min(config.set_max_intset_entries, INTSET_HARD_LIMIT)


class SetValue:
    __slots__ = ("items", "positions", "intset")

    def __init__(self, intset: bool = True) -> None:
        self.items: list[bytes] = []
        self.positions: dict[bytes, int] = {}
        self.intset = intset

    @classmethod
    def for_member(cls, member: bytes) -> "SetValue":
        """An empty set able to hold member (Redis's setTypeCreate)."""
        return cls(intset=is_int64(member))

    # -- reads ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, member: bytes) -> bool:
        return member in self.positions

    def __iter__(self) -> Iterator[bytes]:
        """Members in Redis's order where it has one: an intset is sorted by value."""
        if self.intset:
            return iter(sorted(self.items, key=int))
        return iter(self.items)

    def random_member(self) -> bytes:
        return self.items[random.randrange(len(self.items))]

    def encoding(self, config: Any = None) -> bytes:
        return b"intset" if self.intset else b"hashtable"

    def copy(self) -> "SetValue":
        value = SetValue(self.intset)
        value.items = list(self.items)
        value.positions = dict(self.positions)
        return value

    # -- writes -----------------------------------------------------------------------------

    def add(self, member: bytes, config: Any) -> bool:
        """Add member; False if it was there. May turn the intset into a hashtable."""
        if member in self.positions:
            return False
        self.positions[member] = len(self.items)
        self.items.append(member)
        if self.intset and (not is_int64(member) or len(self.items) > _intset_limit(config)):
            self.intset = False
        return True

    def remove(self, member: bytes) -> bool:
        """Remove member in O(1): the last member takes its slot."""
        pos = self.positions.pop(member, None)
        if pos is None:
            return False
        last = self.items.pop()
        if pos < len(self.items):
            self.items[pos] = last
            self.positions[last] = pos
        return True

    def pop_random(self) -> bytes:
        member = self.random_member()
        self.remove(member)
        return member


register_type(SetValue, b"set")

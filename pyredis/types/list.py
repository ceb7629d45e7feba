"""The list value: a deque of bytes (O(1) pushes and pops at both ends, indexing from the
nearer end), with the range helpers the list commands share."""
from __future__ import annotations

from collections import deque
from itertools import islice
from typing import Any, Iterable

from . import register_type


class ListValue(deque):
    """A Redis list. Redis 7.0 keeps every list as a quicklist, whatever its size."""

    __slots__ = ()

    def encoding(self, config: Any) -> bytes:
        return b"quicklist"

    def range(self, start: int, end: int) -> list[bytes]:
        """Elements start..end inclusive (0 <= start <= end < len), walked from the nearer
        end of the list, as a quicklist does."""
        n = len(self)
        if start <= n - 1 - end:
            return list(islice(self, start, end + 1))
        items = list(islice(reversed(self), n - 1 - end, n - start))
        items.reverse()
        return items

    def remove_indexes(self, indexes: Iterable[int]) -> None:
        """Delete the elements at `indexes` (distinct, any order): a few by position, many
        by one rebuild, so removing k of n elements costs O(min(k*n, n))."""
        doomed = sorted(set(indexes), reverse=True)
        if len(doomed) <= 16:
            for index in doomed:
                del self[index]
            return
        gone = set(doomed)
        kept = [item for i, item in enumerate(self) if i not in gone]
        self.clear()
        self.extend(kept)

    def trim(self, start: int, end: int) -> int:
        """Keep only start..end inclusive (an empty range empties the list); returns how many
        elements were removed."""
        n = len(self)
        if start > end or start >= n:
            self.clear()
            return n
        end = min(end, n - 1)
        left, right = start, n - 1 - end
        if left + right > end - start + 1:
            kept = self.range(start, end)
            self.clear()
            self.extend(kept)
        else:
            for _ in range(left):
                self.popleft()
            for _ in range(right):
                self.pop()
        return left + right


register_type(ListValue, b"list")

"""The hash value: a dict of bytes to bytes that remembers its encoding.

Redis keeps a small hash as a listpack and converts it, once and for good, to a hash table
when it gets more than hash-max-listpack-entries fields or a field or value longer than
hash-max-listpack-value bytes. `listpack` follows that rule so OBJECT ENCODING answers as
Redis would; the data lives in the dict either way.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from . import register_type


class HashValue(dict):
    __slots__ = ("listpack", "_fields")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listpack = True
        self._fields: Optional[list[bytes]] = None

    def field_list(self) -> list[bytes]:
        """The fields as a list, for random picks in O(1) (a dict has no random access):
        kept until a field is added or removed (writers call fields_changed)."""
        fields = self._fields
        if fields is None or len(fields) != len(self):
            fields = self._fields = list(self)
        return fields

    def fields_changed(self) -> None:
        self._fields = None

    def copy(self) -> "HashValue":
        duplicate = HashValue(self)
        duplicate.listpack = self.listpack
        return duplicate

    def encoding(self, config: Any) -> bytes:
        return b"listpack" if self.listpack else b"hashtable"

    def check_lengths(self, config: Any, strings: Iterable[bytes]) -> None:
        """Convert before adding `strings` if one is too long for a listpack
        (Redis's hashTypeTryConversion)."""
        if self.listpack:
            limit = config.hash_max_listpack_value
            if any(len(s) > limit for s in strings):
                self.listpack = False

    def check_size(self, config: Any) -> None:
        """Convert after an insert that took it past hash-max-listpack-entries."""
        if self.listpack and len(self) > config.hash_max_listpack_entries:
            self.listpack = False

    @classmethod
    def build(cls, items: Iterable[tuple[bytes, bytes]], config: Any) -> "HashValue":
        """A hash made whole (RDB load, RESTORE, DEBUG RELOAD) in the encoding Redis would
        load it in."""
        value = cls(items)
        limit = config.hash_max_listpack_value
        value.listpack = (len(value) <= config.hash_max_listpack_entries
                          and all(len(k) <= limit and len(v) <= limit
                                  for k, v in value.items()))
        return value


register_type(HashValue, b"hash")

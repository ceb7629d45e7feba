"""Database: one numbered keyspace (key -> value), its expires, and the one write hook.

Values are plain Python objects (DESIGN.md): bytes for strings, dict for hashes, set for
sets, the list and zset types of pyredis.types for the rest. Every write goes through a
method here, or calls `signal_modified` itself after changing a value in place: WATCH,
blocked clients, keyspace notifications and client tracking all hang off that hook.
"""
from __future__ import annotations

import random
from itertools import islice
from typing import TYPE_CHECKING, Any, Optional

from .errors import WrongTypeError

if TYPE_CHECKING:
    from .server import Server


def type_name(value: Any) -> bytes:
    """The TYPE of a value, as Redis names it."""
    return _TYPE_NAMES.get(type(value)) or getattr(value, "type_name", b"none")


_TYPE_NAMES: dict[type, bytes] = {bytes: b"string", dict: b"hash", set: b"set"}


def register_type(cls: type, name: bytes) -> None:
    """Let a value class from pyredis.types answer TYPE (list, zset, stream ...)."""
    _TYPE_NAMES[cls] = name


class Database:
    __slots__ = ("index", "server", "data", "expires", "access", "watched_keys",
                 "blocking_keys", "expire_scan", "avg_ttl", "expired_stale_perc")

    def __init__(self, server: "Server", index: int) -> None:
        self.index = index
        self.server = server
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}       # key -> absolute unix time in ms
        self.access: dict[bytes, int] = {}        # key -> last access, unix ms (OBJECT IDLETIME)
        self.watched_keys: dict[bytes, list] = {}  # key -> clients that WATCH it
        self.blocking_keys: dict[bytes, list] = {}  # key -> clients blocked on it
        self.expire_scan: list[bytes] = []        # active expiry's pass over `expires`
        self.avg_ttl = 0

    def __len__(self) -> int:
        return len(self.data)

    # -- lookups ------------------------------------------------------------------------

    def get(self, key: bytes) -> Any:
        """A read lookup (Redis's lookupKeyRead): the value or None, counted in
        keyspace_hits/misses; an expired key is deleted first (lazy expiry)."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            self.server.stats.keyspace_misses += 1
            return None
        self.server.stats.keyspace_hits += 1
        self.access[key] = self.server.clock_ms
        return value

    def get_for_write(self, key: bytes) -> Any:
        """A write lookup: the value or None, not counted in the hit/miss stats."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            return None
        self.access[key] = self.server.clock_ms
        return value

    def peek(self, key: bytes) -> Any:
        """The value or None without touching its access time (OBJECT, TYPE-free checks)."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            return None
        return value

    def get_typed(self, key: bytes, kind: type, write: bool = False) -> Any:
        """The value at key if it is of `kind`, None if missing; WRONGTYPE otherwise."""
        value = self.get_for_write(key) if write else self.get(key)
        if value is not None and type(value) is not kind:
            raise WrongTypeError()
        return value

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def expire_if_needed(self, key: bytes) -> bool:
        """Delete key if its time has come."""
        when = self.expires.get(key)
        if when is None or when > self.server.clock.ms():
            return False
        self.server.stats.expired_keys += 1
        self._remove(key)
        self.notify("x", "expired", key)
        self.signal_modified(key)
        return True

    # -- writes -------------------------------------------------------------------------

    def set(self, key: bytes, value: Any, keep_ttl: bool = False,
            expire_at: Optional[int] = None) -> None:
        """Create or overwrite key (Redis's setKey): the old TTL goes unless keep_ttl, and
        `expire_at` (unix ms) sets a new one in the same write (SET EX, one signal)."""
        self.data[key] = value
        self.access[key] = self.server.clock_ms
        if expire_at is not None:
            self.expires[key] = expire_at
        elif not keep_ttl and self.expires:
            self.expires.pop(key, None)
        self.signal_modified(key)

    def delete(self, key: bytes) -> bool:
        """Remove key if it exists (expired keys count as missing). True if removed."""
        if key not in self.data or (self.expires and key in self.expires
                                     and self.expire_if_needed(key)):
            return False
        self._remove(key)
        self.signal_modified(key)
        return True

    def _remove(self, key: bytes) -> None:
        del self.data[key]
        self.access.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        self.signal_modified(key)

    def get_expire(self, key: bytes) -> Optional[int]:
        return self.expires.get(key)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.signal_modified(key)
        return True

    def flush(self) -> None:
        """Empty the database (FLUSHDB): every watched key counts as modified."""
        if self.watched_keys:
            for key in list(self.watched_keys):
                if key in self.data:
                    self.signal_modified(key)
        self.data = {}
        self.expires = {}
        self.access = {}
        self.expire_scan = []

    def signal_modified(self, key: bytes) -> None:
        """The one write hook: WATCH, blocked clients and client tracking (Redis's
        signalModifiedKey + signalKeyAsReady)."""
        if self.watched_keys and key in self.watched_keys:
            for client in self.watched_keys[key]:
                client.watch_dirty = True
        if self.blocking_keys and key in self.blocking_keys:
            self.server.ready_keys.append((self, key))
        server = self.server
        if server.tracking_hook is not None:
            server.tracking_hook(self, key)

    def notify(self, event_class: str, event: str, key: bytes) -> None:
        """Keyspace notification `event` for key, if `notify-keyspace-events` selects it."""
        server = self.server
        if server.notify_hook is not None:
            server.notify_hook(self, event_class, event, key)

    # -- whole keyspace -----------------------------------------------------------------

    def random_key(self) -> Optional[bytes]:
        """A random live key (expired ones met on the way are deleted)."""
        for _ in range(100):
            if not self.data:
                return None
            key = next(islice(self.data, random.randrange(len(self.data)), None))
            if key not in self.expires or not self.expire_if_needed(key):
                return key
        return next(iter(self.data), None)

    def active_expire(self, deadline: float, now_ms: int, clock: Any) -> int:
        """Delete expired keys until `deadline` (monotonic seconds); returns how many.

        A pass walks a snapshot of the keys with a TTL, a slice per call, so a million keys
        expiring at once are spread over many cron ticks instead of stalling the loop.
        """
        removed = 0
        scan = self.expire_scan
        expires = self.expires
        while expires:
            if not scan:
                scan = self.expire_scan = list(expires)
            batch = scan[-64:]
            del scan[-64:]
            for key in batch:
                when = expires.get(key)
                if when is not None and when <= now_ms:
                    self._remove(key)
                    self.server.stats.expired_keys += 1
                    self.notify("x", "expired", key)
                    self.signal_modified(key)
                    removed += 1
            if not scan or clock() >= deadline:
                break
        return removed

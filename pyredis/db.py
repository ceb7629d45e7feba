"""Database: one numbered keyspace (key -> value), its expires, and the one write hook.

Values are plain Python objects (DESIGN.md): bytes for strings (a bytearray once a command
changed one in place, see `mutable_string`), dict for hashes, set for sets, the list and zset
types of pyredis.types for the rest. Every write goes through a
method here, or calls `signal_modified` itself after changing a value in place: WATCH,
blocked clients, keyspace notifications and client tracking all hang off that hook.
"""
from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, Optional

from .errors import WrongTypeError

if TYPE_CHECKING:
    from .server import Server


def type_name(value: Any) -> bytes:
    """The TYPE of a value, as Redis names it."""
    return _TYPE_NAMES.get(type(value)) or getattr(value, "type_name", b"none")


_TYPE_NAMES: dict[type, bytes] = {bytes: b"string", bytearray: b"string", dict: b"hash",
                                  set: b"set"}


def is_string(value: Any) -> bool:
    """A string value: bytes, or the bytearray of a string changed in place (APPEND,
    SETRANGE, SETBIT, BITFIELD), which Redis reports in its "raw" encoding."""
    t = type(value)
    return t is bytes or t is bytearray


def frozen_string(value: Any) -> Optional[bytes]:
    """The bytes of a string value (a copy of a bytearray), None for other types: for what
    outlives the command, such as the elements of a reply encoded later or of a new list."""
    t = type(value)
    return value if t is bytes else bytes(value) if t is bytearray else None


def register_type(cls: type, name: bytes) -> None:
    """Let a value class from pyredis.types answer TYPE (list, zset, stream ...)."""
    _TYPE_NAMES[cls] = name


class WatchedKey:
    """One key a client WATCHes. `expired`: the key was already logically expired when
    watched, so its deletion alone is no change (Redis's watchedKey)."""
    __slots__ = ("client", "db", "key", "expired")

    def __init__(self, client: Any, db: "Database", key: bytes, expired: bool) -> None:
        self.client = client
        self.db = db
        self.key = key
        self.expired = expired


def unwatch_all(client: Any) -> None:
    """Forget every key the client WATCHes (UNWATCH, EXEC, DISCARD, disconnect)."""
    for watched in client.watched:
        watchers = watched.db.watched_keys[watched.key]
        watchers.remove(watched)
        if not watchers:
            del watched.db.watched_keys[watched.key]
    client.watched = []


def flush_databases(dbs: list["Database"], lazy: bool = False) -> int:
    """Empty databases (FLUSHDB, FLUSHALL: Redis's emptyData), returning how many keys they
    held. WATCHers of existing keys are touched and tracking clients told once, while the
    keys are still there. `lazy` (ASYNC): the old keyspace is freed by the cron, a slice at
    a time, instead of at once."""
    server = dbs[0].server
    for db in dbs:
        db.touch_all_watched(None)
    if server.tracking_flush_hook is not None:
        server.tracking_flush_hook()
    removed = 0
    for db in dbs:
        for key in db.blocking_keys:
            if key in db.data:
                # Its waiters hear of the deletion (XREADGROUP answers an error).
                server.ready_keys.append((db, key, type(None)))
        removed += len(db.data)
        if lazy:
            server.lazyfree.release(db.data)
        db.data = {}
        db.expires = {}
        db.access = {}
        db.lfu = {}
        db.expire_scan = []
        db.random_keys = []
    return removed


# Redis's LFU counter (OBJECT FREQ, allkeys-lfu): logarithmic, starting at 5 for new keys,
# decaying by one every `lfu-decay-time` minutes without access.
LFU_INIT_VAL = 5


class Database:
    __slots__ = ("index", "server", "data", "expires", "access", "lfu", "watched_keys",
                 "blocking_keys", "expire_scan", "avg_ttl", "random_keys", "random_budget")

    def __init__(self, server: "Server", index: int) -> None:
        self.index = index
        self.server = server
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}       # key -> absolute unix time in ms
        self.access: dict[bytes, int] = {}        # key -> last access, unix ms (OBJECT IDLETIME)
        self.lfu: dict[bytes, tuple[int, int]] = {}  # key -> (counter, minute of last decay)
        self.watched_keys: dict[bytes, list[WatchedKey]] = {}  # key -> its WATCHers
        self.blocking_keys: dict[bytes, dict] = {}  # key -> {client: None}, in blocking order
        self.expire_scan: list[bytes] = []        # active expiry's pass over `expires`
        self.avg_ttl = 0
        self.random_keys: list[bytes] = []        # RANDOMKEY's snapshot of the key names
        self.random_budget = 0                    # picks left before it is taken again

    def __len__(self) -> int:
        return len(self.data)

    # -- lookups ------------------------------------------------------------------------

    def get(self, key: bytes, touch: bool = True) -> Any:
        """A read lookup (Redis's lookupKeyRead): the value or None, counted in
        keyspace_hits/misses; an expired key is deleted first (lazy expiry). `touch=False`
        leaves the access time alone (EXISTS, TYPE, TTL, OBJECT)."""
        value = self.data.get(key)
        server = self.server
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            server.stats.keyspace_misses += 1
            if server.notify_hook is not None:
                server.notify_hook(self, "m", "keymiss", key)
            return None
        server.stats.keyspace_hits += 1
        if touch:
            self.access[key] = server.clock_ms
            if server.lfu:
                self._lfu_touch(key)
        return value

    def get_for_write(self, key: bytes) -> Any:
        """A write lookup: the value or None, not counted in the hit/miss stats."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            return None
        self.access[key] = self.server.clock_ms
        if self.server.lfu:
            self._lfu_touch(key)
        return value

    def peek(self, key: bytes) -> Any:
        """The value or None without touching its access time (OBJECT, TYPE-free checks)."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            return None
        return value

    def get_typed(self, key: bytes, kind: type, write: bool = False) -> Any:
        """The value at key if it is of `kind`, None if missing; WRONGTYPE otherwise.
        `kind` bytes means any string (get_string)."""
        if kind is bytes:
            return self.get_string(key, write)
        value = self.get_for_write(key) if write else self.get(key)
        if value is not None and type(value) is not kind:
            raise WrongTypeError()
        return value

    def get_string(self, key: bytes, write: bool = False) -> "bytes | bytearray | None":
        """The string at key (bytes or bytearray), None if missing; WRONGTYPE otherwise.
        A bytearray may change after the command: reply with it at once, or keep
        `frozen_string(value)`."""
        value = self.get_for_write(key) if write else self.get(key)
        if value is not None and type(value) is not bytes and type(value) is not bytearray:
            raise WrongTypeError()
        return value

    def mutable_string(self, key: bytes, value: "bytes | bytearray | None") -> bytearray:
        """The string at key (`value`, as get_string(write=True) found it) as a bytearray
        the command changes in place (Redis's dbUnshareStringValue): bytes are replaced by a
        bytearray once, which then grows in place, amortized O(1) per APPEND. A missing key
        (`value` None) is added as an empty string, with its "new" event. The caller signals
        the key (signal_modified) if it changes it."""
        if type(value) is bytearray:
            return value
        string = bytearray(value or b"")
        if value is None:
            self.notify("n", "new", key)
            if self.server.lfu:
                self.lfu[key] = (LFU_INIT_VAL, _minutes(self.server.clock_time))
            if self.expires:
                self.expires.pop(key, None)   # a logically expired key kept while paused
        self.data[key] = string
        self.access[key] = self.server.clock_ms
        return string

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def is_expired(self, key: bytes) -> bool:
        """The key's time has passed (a key expiring at t is still there at t), whether or
        not it has been deleted yet."""
        when = self.expires.get(key)
        if when is None:
            return False
        frozen = self.server.frozen_ms    # a script sees the time it started at
        return when < (frozen if frozen is not None else self.server.clock.ms())

    def expire_if_needed(self, key: bytes) -> bool:
        """Delete key if its time has passed."""
        if not self.is_expired(key):
            return False
        if self.server.pause_end and time.monotonic() < self.server.pause_end:
            return True   # CLIENT PAUSE keeps the dataset still: missing, but not deleted
        self._delete_expired(key)
        return True

    def _delete_expired(self, key: bytes) -> None:
        """Remove a key whose TTL has passed: counted, notified and signalled."""
        self.server.stats.expired_keys += 1
        value = self._remove(key)
        if self.server.config.lazyfree_lazy_expire:
            self.server.lazyfree.release(value)
        self.notify("x", "expired", key)
        self.signal_modified(key, expired=True)

    # -- writes -------------------------------------------------------------------------

    def set(self, key: bytes, value: Any, keep_ttl: bool = False,
            expire_at: Optional[int] = None) -> None:
        """Create or overwrite key (Redis's setKey): the old TTL goes unless keep_ttl, and
        `expire_at` (unix ms) sets a new one in the same write (SET EX, one signal)."""
        server = self.server
        if key not in self.data or (self.expires and key in self.expires
                                    and self.expire_if_needed(key)):
            if server.notify_hook is not None:
                server.notify_hook(self, "n", "new", key)
        self.data[key] = value
        self.access[key] = server.clock_ms
        if server.lfu and key not in self.lfu:
            # A new key starts its counter; an overwrite keeps it, as Redis's dbOverwrite.
            self.lfu[key] = (LFU_INIT_VAL, _minutes(self.server.clock_time))
        if expire_at is not None:
            self.expires[key] = expire_at
        elif not keep_ttl and self.expires:
            self.expires.pop(key, None)
        self.signal_modified(key)

    def replace(self, key: bytes, value: Any) -> None:
        """Give a key that exists (just looked up for writing) a new value, keeping its TTL
        and access statistics (Redis's dbReplaceValue: INCR and friends)."""
        self.data[key] = value
        self.signal_modified(key)

    def delete(self, key: bytes, lazy: bool = False) -> bool:
        """Remove key if it exists (expired keys count as missing). True if removed.
        `lazy`: a big value is taken apart later by the cron (UNLINK)."""
        if key not in self.data or (self.expires and key in self.expires
                                     and self.expire_if_needed(key)):
            return False
        value = self._remove(key)
        if lazy:
            self.server.lazyfree.release(value)
        self.signal_modified(key)
        return True

    def changed(self, key: bytes, value: Any) -> None:
        """After a command changed the collection at key in place: signal it, or delete it
        (with its "del" event) if it was left empty, as Redis keeps no empty collection."""
        if len(value):
            self.signal_modified(key)
        else:
            self.delete(key)
            self.notify("g", "del", key)

    def _remove(self, key: bytes) -> Any:
        """Drop key and everything kept about it; returns its value."""
        value = self.data.pop(key)
        self.access.pop(key, None)
        if self.lfu:
            self.lfu.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)
        return value

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
        """Empty the database (FLUSHDB)."""
        flush_databases([self])

    def swap_contents(self, other: "Database") -> None:
        """SWAPDB: exchange keys, TTLs and their bookkeeping with another database; the
        clients and what they watch or wait for stay with the database number."""
        for slot in Database.__slots__:
            if slot not in ("index", "server", "watched_keys", "blocking_keys"):
                mine, theirs = getattr(self, slot), getattr(other, slot)
                setattr(self, slot, theirs)
                setattr(other, slot, mine)

    def signal_modified(self, key: bytes, expired: bool = False) -> None:
        """The one write hook: WATCH, blocked clients and client tracking (Redis's
        signalModifiedKey + signalKeyAsReady). `expired`: the server deleted the key
        because its TTL passed, no client changed it."""
        if self.watched_keys and key in self.watched_keys:
            self.touch_watched(key)
        if self.blocking_keys and key in self.blocking_keys:
            # With the type the key holds now: only a value its waiters can use makes it
            # ready (Redis's signalKeyAsReady), which decides the order keys are served in.
            self.server.ready_keys.append((self, key, type(self.data.get(key))))
        server = self.server
        if server.tracking_hook is not None:
            server.tracking_hook(self, key, None if expired else server.current_client)

    # -- WATCH --------------------------------------------------------------------------

    def watch(self, client: Any, key: bytes) -> None:
        """Add key to what the client WATCHes (once per database and key)."""
        for watched in client.watched:
            if watched.db is self and watched.key == key:
                return
        watched = WatchedKey(client, self, key, key in self.data and self.is_expired(key))
        self.watched_keys.setdefault(key, []).append(watched)
        client.watched.append(watched)

    def touch_watched(self, key: bytes) -> None:
        """Fail the EXEC of every client WATCHing key (Redis's touchWatchedKey)."""
        for watched in list(self.watched_keys[key]):
            if watched.expired:
                if key not in self.data:
                    # The stale key was deleted: logically no change.
                    watched.expired = False
                    continue
                break
            watched.client.watch_dirty = True
            # A dirty client's other WATCHes can no longer change anything.
            unwatch_all(watched.client)

    def touch_all_watched(self, replaced_with: Optional["Database"]) -> None:
        """Fail the EXEC of clients WATCHing keys of this database when it is emptied
        (replaced_with None) or swapped with another one (SWAPDB): a watched key counts as
        changed if it exists on either side, except stale keys that stay gone or stale."""
        for key, watchers in list(self.watched_keys.items()):
            exists = key in self.data
            exists_after = replaced_with is not None and key in replaced_with.data
            if not exists and not exists_after:
                continue
            for watched in watchers:
                if watched.expired:
                    if not exists_after:
                        watched.expired = False
                        continue
                    if replaced_with.is_expired(key):  # type: ignore[union-attr]
                        continue
                elif not exists and replaced_with.is_expired(key):  # type: ignore[union-attr]
                    watched.expired = True
                    continue
                watched.client.watch_dirty = True

    def notify(self, event_class: str, event: str, key: bytes) -> None:
        """Keyspace notification `event` for key, if `notify-keyspace-events` selects it."""
        server = self.server
        if server.notify_hook is not None:
            server.notify_hook(self, event_class, event, key)

    # -- access statistics (OBJECT IDLETIME / FREQ, RESTORE IDLETIME / FREQ) -----------

    def idle_ms(self, key: bytes) -> int:
        """Milliseconds since the last access, at Redis's LRU clock resolution (1 s)."""
        last = self.access.get(key, self.server.clock_ms)
        return max(0, self.server.clock_ms // 1000 - last // 1000) * 1000

    def set_idle(self, key: bytes, seconds: int) -> None:
        self.access[key] = self.server.clock_ms - seconds * 1000

    def frequency(self, key: bytes) -> int:
        """The key's LFU counter after the decay due since its last access."""
        counter, minute = self.lfu.get(key) or (LFU_INIT_VAL, self._access_minute(key))
        decay = self.server.config.lfu_decay_time
        if decay:
            elapsed = (_minutes(self.server.clock_time) - minute) & 0xFFFF
            counter = max(0, counter - elapsed // decay)
        return counter

    def set_frequency(self, key: bytes, counter: int) -> None:
        self.lfu[key] = (min(255, max(0, counter)), _minutes(self.server.clock_time))

    def _lfu_touch(self, key: bytes) -> None:
        counter = self.frequency(key)
        if counter < 255:
            # The counter grows with probability 1 / ((counter - 5) * factor + 1).
            base = max(0, counter - LFU_INIT_VAL)
            if random.random() < 1.0 / (base * self.server.config.lfu_log_factor + 1):
                counter += 1
        self.lfu[key] = (counter, _minutes(self.server.clock_time))

    def _access_minute(self, key: bytes) -> int:
        return _minutes(self.access.get(key, self.server.clock_ms) / 1000)

    # -- whole keyspace -----------------------------------------------------------------

    def random_key(self) -> Optional[bytes]:
        """A random live key (expired ones met on the way are deleted), O(1) amortized: it
        picks from a snapshot of the names, taken again once it has served as many picks
        as it holds names or is found stale."""
        data = self.data
        while data:
            key = self._random_pick()
            if key not in self.expires or not self.expire_if_needed(key):
                return key
        return None

    def _random_pick(self) -> bytes:
        names = self.random_keys
        for _ in range(8):
            if self.random_budget > 0 and names:
                self.random_budget -= 1
                key = names[random.randrange(len(names))]
                if key in self.data:
                    return key
        names = self.random_keys = list(self.data)
        self.random_budget = len(names)
        return names[random.randrange(len(names))]

    def expire_sample(self, count: int, now_ms: int) -> tuple[int, int]:
        """Check up to `count` keys with a TTL, deleting those past it: (sampled, expired).

        Keys are taken from a pass over a snapshot of `expires`, so every volatile key is
        looked at in turn whatever its access pattern, a slice per call (the active expiry
        cycle decides how many slices it can afford). Also keeps `avg_ttl` (INFO keyspace).
        """
        sampled = expired = ttl_sum = ttl_samples = 0
        expires = self.expires
        scan = self.expire_scan
        visits = count * 20    # bound the walk over names deleted since the snapshot
        while sampled < count and visits > 0 and expires:
            if not scan:
                scan = self.expire_scan = list(expires)
            key = scan.pop()
            visits -= 1
            when = expires.get(key)
            if when is None:
                continue
            sampled += 1
            if when < now_ms:
                self._delete_expired(key)
                expired += 1
            else:
                ttl_sum += when - now_ms
                ttl_samples += 1
        if ttl_samples:
            # A running average weighting the new sample 2%, as Redis does.
            avg = ttl_sum // ttl_samples
            if not self.avg_ttl:
                self.avg_ttl = avg
            self.avg_ttl = (self.avg_ttl // 50) * 49 + avg // 50
        if not expires:
            self.avg_ttl = 0
            self.expire_scan = []
        return sampled, expired


def _minutes(unix_seconds: float) -> int:
    """Redis's LFU clock: minutes, 16 bits, wrapping around."""
    return int(unix_seconds // 60) & 0xFFFF

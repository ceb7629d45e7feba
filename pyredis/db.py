"""Database: one numbered keyspace (key -> value), its expires, and the one write call.

Values are plain Python objects (DESIGN.md): bytes for strings (a bytearray once a command
changed one in place, see `mutable_string`), dict for hashes, set for sets, the list and zset
types of pyredis.types for the rest. A command changes a key through the methods here (or in
place), then says so with one call, `written` (`elements_removed` for a collection that may
be left empty): WATCH, blocked clients, keyspace notifications, client tracking and the
count of changes to save all hang off it.

A Database knows nothing of the server: it is built from a `KeyspaceContext` (the clock,
the stats, the config, lazy freeing, the changes counter) and reports what happens to its
keys to the context's `KeyspaceEvents`, which the server wires to the parts that follow them.

Each database keeps what its keys cost in memory (`used`, the server's used_memory is built
on it): every key's price (as MEMORY USAGE prices it) is added when the key is set or
written and taken back when it goes, so the total follows the dataset as Redis's allocator
counter does, without walking it. A plain string (bytes) never changes in place, so its
price is computed from it again when it is overwritten or deleted; only the other values,
which commands change in place, keep their last price (`sizes`).

Each table (the keys, the expires) keeps its bucket count as Redis's dict would have it, for
used_memory: it doubles when it holds as many entries as buckets, unless the bigger table
would take used memory over maxmemory while its load is still under MAX_LOAD_FACTOR (Redis's
dictExpandAllowed: growing the table must not be what makes it evict), and the cron shrinks
a table filled under a tenth.

Access times (OBJECT IDLETIME, DEBUG OBJECT's lru, LRU eviction) cost a table entry per key
in Python, where Redis keeps 24 bits in each object's header. So unless an LRU
maxmemory-policy evicts by them, only the recently accessed keys keep theirs: the current
table becomes the older one when a key is touched while it holds ACCESS_GENERATION keys, and
the older one is dropped at the next turn, its latest time kept as `access_floor`. A key
found in neither was last accessed at or before the floor: its idle time is counted from
there, the least it can be (exact for the last 32K to 64K keys accessed, a lower bound for
the others). The tables are bounded where keys are touched, not by the cron, which a fast
load outruns: 2.6 MB at most for both, where one turn of the cron let them reach 10 MB.
"""
from __future__ import annotations

import random
from typing import Any, Callable, ClassVar, Final, Optional, TYPE_CHECKING

from .errors import WrongTypeError
from .sizes import POINTER, key_size, string_size, table_slots
from .types import UnencodedString

if TYPE_CHECKING:
    from .clock import Clock
    from .config import Config
    from .lazyfree import LazyFree
    from .server import Stats


def is_string(value: Any) -> bool:
    """A string value: bytes, the bytearray of a string changed in place (APPEND,
    SETRANGE, SETBIT, BITFIELD), which Redis reports in its "raw" encoding, or an
    UnencodedString (INCRBYFLOAT's)."""
    t = type(value)
    return t is bytes or t is bytearray or t is UnencodedString


def frozen_string(value: Any) -> Optional[bytes]:
    """The bytes of a string value (a copy of a bytearray), None for other types: for what
    outlives the command, such as the elements of a reply encoded later or of a new list."""
    t = type(value)
    if t is bytes or t is UnencodedString:
        return value
    return bytes(value) if t is bytearray else None


def _not_paused() -> bool:
    """A Database of its own has no CLIENT PAUSE."""
    return False


def _nobody_waits(db: "Database", key: bytes, kind: type) -> None:
    """A Database of its own has no blocked clients to tell."""


def _no_memory_limit(more: int) -> bool:
    """A Database of its own has no maxmemory."""
    return False


class KeyspaceEvents:
    """Where the databases report what happens to their keys. The server wires each kind
    of event to the part that follows it. The optional ones are None while no part follows
    them (notifications off, no tracking client yet): a write pays one attribute check."""

    __slots__ = ("key_ready", "notify", "key_changed", "flushed", "paused", "from_master",
                 "deleted")

    def __init__(self) -> None:
        # Blocked clients: a key some client waits on was written; (db, key, the type of
        # the value it holds now, NoneType once deleted).
        self.key_ready: Callable[["Database", bytes, type], None] = _nobody_waits
        # Keyspace notifications: (db, event class, event, key), for notify-keyspace-events.
        self.notify: Optional[Callable[["Database", str, str, bytes], None]] = None
        # Client tracking: (db, key, by_client) after a key changed; by_client False when
        # the server deleted it (expiry, eviction), not the running command.
        self.key_changed: Optional[Callable[["Database", bytes, bool], None]] = None
        # Client tracking: every key went (FLUSHDB, FLUSHALL).
        self.flushed: Optional[Callable[[], None]] = None
        # CLIENT PAUSE, or a replica: while True the dataset stands still (keys past their
        # TTL are missing but not deleted).
        self.paused: Callable[[], bool] = _not_paused
        # A replica applies its master's stream: the master sees keys it did not delete.
        self.from_master: Callable[[], bool] = _not_paused
        # Propagation: (db, key, lazy) the server deleted key itself (expiry, eviction),
        # to be replayed as DEL or UNLINK; None while nothing follows the stream.
        self.deleted: Optional[Callable[["Database", bytes, bool], None]] = None


class KeyspaceContext:
    """All a Database uses besides its keys, shared by the server's databases."""

    __slots__ = ("clock", "stats", "config", "lazyfree", "events", "lfu", "lru", "dirty",
                 "price", "over_maxmemory_after")

    def __init__(self, clock: "Clock", stats: "Stats", config: "Config",
                 lazyfree: "LazyFree", events: KeyspaceEvents) -> None:
        self.clock = clock          # its per-cycle reading for access times, expiry_ms()
        self.stats = stats          # keyspace hits and misses, expired keys
        self.config = config        # lazyfree-lazy-expire, the LFU parameters
        self.lazyfree = lazyfree    # takes the values UNLINK and lazy expiry let go
        self.events = events
        self.lfu = False            # maxmemory-policy is an LFU one: keys count accesses
        self.lru = False            # maxmemory-policy is an LRU one: every key's time is kept
        self.dirty = 0              # changes since the last save (rdb_changes_since_last_save)
        from .commands.memory import entry_size   # the commands import this module
        self.price = entry_size     # (key, value, config) -> bytes the key costs
        # (bytes) -> allocating that much more would take used memory over maxmemory
        self.over_maxmemory_after: Callable[[int], bool] = _no_memory_limit

    def count_changes(self, count: int = 1) -> None:
        """Changes to save that no key's `written` counted: FLUSHALL's own, SWAPDB,
        FUNCTION LOAD ..."""
        self.dirty += count


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
    context = dbs[0].context
    for db in dbs:
        db.touch_all_watched(None)
    if context.events.flushed is not None:
        context.events.flushed()
    removed = 0
    for db in dbs:
        for key in db.blocking_keys:
            if key in db.data:
                # Its waiters hear of the deletion (XREADGROUP answers an error).
                context.events.key_ready(db, key, type(None))
        removed += len(db.data)
        if lazy:
            context.lazyfree.release(db.data)
        db.data = {}
        db.expires = {}
        db.access = {}
        db.access_older = {}
        db.access_floor = context.clock.cached_ms
        db.lfu = {}
        db.expire_scan = []
        db.random_keys = []
        db.sizes = {}
        db.priced = {}
        db.used = 0
        db.buckets = 0
        db.expire_buckets = 0
    return removed


def swap_databases(a: "Database", b: "Database") -> None:
    """Exchange the contents of two databases (SWAPDB, a replica's load beside its data);
    the clients (and their WATCHes and blocked keys) stay with the database number: a
    watched key that exists on either side counts as changed, and a key waited for is
    ready: its waiters find the value now there, or hear that their stream is gone
    (XREADGROUP)."""
    a.touch_all_watched(b)
    b.touch_all_watched(a)
    a.swap_contents(b)
    a.signal_waited_keys()
    b.signal_waited_keys()


# A collection longer than this is priced again in full only once its length moved by a
# sixteenth since the last full pricing (in between, its price scales with its length):
# pricing a stream walks its nodes, and a write must stay O(1) amortized.
REPRICE_LENGTH: Final = 1024


# Redis's dict: a table may stay at its size while growing it would go over maxmemory, until
# it holds this many entries per bucket; the cron shrinks one filled under MIN_FILL percent.
MAX_LOAD_FACTOR: Final = 1.618
MIN_FILL: Final = 10
MIN_BUCKETS: Final = 4


def _shrunk(used: int, buckets: int) -> int:
    """The buckets of a table after the cron's resize (Redis's htNeedsResize, dictResize)."""
    if buckets > MIN_BUCKETS and used * 100 // buckets < MIN_FILL:
        return table_slots(max(used, MIN_BUCKETS))
    return buckets


# Keys a table of access times holds before it is aged (see the module's docstring).
ACCESS_GENERATION: Final = 1 << 15


# Redis's LFU counter (OBJECT FREQ, allkeys-lfu): logarithmic, starting at 5 for new keys,
# decaying by one every `lfu-decay-time` minutes without access.
LFU_INIT_VAL: Final = 5


class Database:
    __slots__: ClassVar[tuple[str, ...]] = (
        "index", "context", "clock", "stats", "events", "data", "expires", "access",
        "access_older", "access_floor", "access_generation", "lfu", "watched_keys",
        "blocking_keys", "expire_scan", "avg_ttl", "random_keys", "random_budget", "sizes",
        "priced", "used", "buckets", "expire_buckets", "last_expire")

    def __init__(self, context: KeyspaceContext, index: int) -> None:
        self.index = index
        self.context = context
        # The parts of the context the hot paths read, one attribute away.
        self.clock = context.clock
        self.stats = context.stats
        self.events = context.events
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}       # key -> absolute unix time in ms
        self.access: dict[bytes, int] = {}        # key -> last access, unix ms (OBJECT IDLETIME)
        self.access_older: dict[bytes, int] = {}  # the table before, until it is dropped
        self.access_floor = self.clock.cached_ms  # no key in neither was accessed later
        self.access_generation = ACCESS_GENERATION
        self.lfu: dict[bytes, tuple[int, int]] = {}  # key -> (counter, minute of last decay)
        self.watched_keys: dict[bytes, list[WatchedKey]] = {}  # key -> its WATCHers
        self.blocking_keys: dict[bytes, dict] = {}  # key -> {client: None}, in blocking order
        self.expire_scan: list[bytes] = []        # active expiry's pass over `expires`
        self.avg_ttl = 0
        self.random_keys: list[bytes] = []        # RANDOMKEY's snapshot of the key names
        self.random_budget = 0                    # picks left before it is taken again
        self.sizes: dict[bytes, int] = {}         # key -> its price, for values not bytes
        self.priced: dict[bytes, tuple[int, int]] = {}  # long collections: (length, price)
        self.used = 0                             # what the keys cost (MEMORY USAGE's sum)
        self.buckets = 0                          # the tables' bucket counts, as Redis's
        self.expire_buckets = 0                   # dicts would have them (used_memory)
        self.last_expire: Any = 0                 # the int set_expire last kept, to share

    def __len__(self) -> int:
        return len(self.data)

    # -- lookups ------------------------------------------------------------------------

    def get(self, key: bytes, touch: bool = True) -> Any:
        """A read lookup (Redis's lookupKeyRead): the value or None, counted in
        keyspace_hits/misses; an expired key is deleted first (lazy expiry). `touch=False`
        leaves the access time alone (EXISTS, TYPE, TTL, OBJECT)."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            self.stats.keyspace_misses += 1
            notify = self.events.notify
            if notify is not None:
                notify(self, "m", "keymiss", key)
            return None
        self.stats.keyspace_hits += 1
        if touch:
            self.touch(key)
            if self.context.lfu:
                self._lfu_touch(key)
        return value

    def get_for_write(self, key: bytes) -> Any:
        """A write lookup: the value or None, not counted in the hit/miss stats."""
        value = self.data.get(key)
        if value is None or (self.expires and key in self.expires
                             and self.expire_if_needed(key)):
            return None
        self.touch(key)
        if self.context.lfu:
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
        if value is not None and not is_string(value):
            raise WrongTypeError()
        return value

    def mutable_string(self, key: bytes, value: "bytes | bytearray | None") -> bytearray:
        """The string at key (`value`, as get_string(write=True) found it) as a bytearray
        the command changes in place (Redis's dbUnshareStringValue): bytes are replaced by a
        bytearray once, which then grows in place, amortized O(1) per APPEND. A missing key
        (`value` None) is added as an empty string, with its "new" event. The caller tells
        of its change with `written`."""
        if type(value) is bytearray:
            return value
        string = bytearray(value or b"")
        if value is None:
            self.notify("n", "new", key)
            if self.context.lfu:
                self.lfu[key] = (LFU_INIT_VAL, _minutes(self.clock.cached_time))
            if self.expires:
                self.expires.pop(key, None)   # a logically expired key kept while paused
        old = self.data.get(key)   # `value`, or a logically expired one kept while paused
        if old is not None:
            self._unprice(key, old)
        self.data[key] = string
        if old is None and len(self.data) > self.buckets:
            self.buckets = self._grown(len(self.data), self.buckets)
        self.touch(key)
        self._price(key, string)
        return string

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def is_expired(self, key: bytes) -> bool:
        """The key's time has passed (a key expiring at t is still there at t), whether or
        not it has been deleted yet."""
        when = self.expires.get(key)
        if when is None:
            return False
        return when < self.clock.expiry_ms()

    def expire_if_needed(self, key: bytes) -> bool:
        """Delete key if its time has passed."""
        if not self.is_expired(key):
            return False
        if self.events.paused():
            # CLIENT PAUSE or a replica keeps the dataset still: missing, but not deleted;
            # to the master of a replica the key is still there (Redis's expireIfNeeded).
            return not self.events.from_master()
        self.delete_expired(key)
        return True

    def delete_expired(self, key: bytes) -> None:
        """Remove a key whose TTL has passed: counted, notified and signalled."""
        self.stats.expired_keys += 1
        value = self._remove(key)
        context = self.context
        lazy = context.config.lazyfree_lazy_expire
        if lazy:
            context.lazyfree.release(value)
        self.notify("x", "expired", key)
        self.signal_modified(key, by_client=False)
        deleted = self.events.deleted
        if deleted is not None:
            deleted(self, key, lazy)

    def evict(self, key: bytes) -> None:
        """Delete a key maxmemory-policy chose: notified and signalled, as deleted by the
        server, not by the running command."""
        self._remove(key)
        self.signal_modified(key, by_client=False)
        self.notify("e", "evicted", key)
        deleted = self.events.deleted
        if deleted is not None:
            deleted(self, key, self.context.config.lazyfree_lazy_eviction)

    # -- writes -------------------------------------------------------------------------
    #
    # A command changes keys with set/replace/delete/set_expire/persist (or in place), then
    # tells of each change with `written` (or `elements_removed`): one call signals the key
    # to WATCH, blocked clients and client tracking, sends its keyspace event and counts
    # the change to save, in Redis's order of events.

    def set(self, key: bytes, value: Any, keep_ttl: bool = False,
            expire_at: Optional[int] = None) -> None:
        """Create or overwrite key (Redis's setKey, "new" event included): the old TTL goes
        unless keep_ttl, and `expire_at` (unix ms) sets a new one in the same write."""
        data = self.data
        old = data.get(key)
        if old is None or (self.expires and key in self.expires
                           and self.expire_if_needed(key)):
            notify = self.events.notify
            if notify is not None:
                notify(self, "n", "new", key)
            if old is not None:
                old = data.get(key)   # kept while paused, though logically expired
        data[key] = value
        if old is None and len(data) > self.buckets:
            self.buckets = self._grown(len(data), self.buckets)
        self.touch(key)
        context = self.context
        if type(value) is bytes and (old is None or type(old) is bytes):
            # The common case, priced from the strings themselves.
            if old is None:
                self.used += key_size(key, context.config) + string_size(value)
            else:
                self.used += string_size(value) - string_size(old)
        else:
            if old is not None:
                self._unprice(key, old)
            self._price(key, value)
        if context.lfu and key not in self.lfu:
            # A new key starts its counter; an overwrite keeps it, as Redis's dbOverwrite.
            self.lfu[key] = (LFU_INIT_VAL, _minutes(self.clock.cached_time))
        if expire_at is not None:
            self.set_expire(key, expire_at)
        elif not keep_ttl and self.expires:
            self.expires.pop(key, None)

    def replace(self, key: bytes, value: Any) -> None:
        """Give a key that exists (just looked up for writing) a new value, keeping its TTL
        and access statistics (Redis's dbReplaceValue: INCR and friends)."""
        data = self.data
        self._unprice(key, data[key])
        data[key] = value
        self._price(key, value)

    def delete(self, key: bytes, lazy: bool = False) -> bool:
        """Remove key if it exists (expired keys count as missing). True if removed.
        `lazy`: a big value is taken apart later by the cron (UNLINK)."""
        if key not in self.data or (self.expires and key in self.expires
                                     and self.expire_if_needed(key)):
            return False
        value = self._remove(key)
        if lazy:
            self.context.lazyfree.release(value)
        return True

    def _grown(self, used: int, buckets: int) -> int:
        """The buckets of a table holding `used` entries, one more than its `buckets`, after
        the insert (Redis's _dictExpandIfNeeded and dictExpandAllowed)."""
        if not buckets:
            return MIN_BUCKETS
        bigger = table_slots(used)
        if (used - 1 <= buckets * MAX_LOAD_FACTOR
                and self.context.over_maxmemory_after(bigger * POINTER)):
            return buckets
        return bigger

    def resize_tables(self) -> None:
        """Cron (while no child process runs): shrink a table filled under a tenth."""
        self.buckets = _shrunk(len(self.data), self.buckets)
        self.expire_buckets = _shrunk(len(self.expires), self.expire_buckets)

    def _remove(self, key: bytes) -> Any:
        """Drop key and everything kept about it; returns its value."""
        value = self.data.pop(key)
        self._unprice(key, value)
        self.access.pop(key, None)
        if self.access_older:
            self.access_older.pop(key, None)
        if self.lfu:
            self.lfu.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)
        return value

    def account(self, key: bytes, value: Any) -> None:
        """Price key (holding `value`) again after its value changed in place, or after it
        was put in `data` directly in place of another value that is not bytes (a bytes
        value never changes in place: it has nothing to reprice)."""
        if type(value) is not bytes:
            self._price(key, value)

    def _price(self, key: bytes, value: Any) -> None:
        """Add what key, holding `value`, costs to `used`: a new value (the old one's price
        taken back by `_unprice`), or one changed in place. A long collection is priced in
        full only when its length moved by a sixteenth: in between its last full price is
        scaled by its length."""
        context = self.context
        kind = type(value)
        if kind is bytes:
            # Priced from itself, here and again when it goes: no `sizes` entry.
            self.used += key_size(key, context.config) + string_size(value)
            return
        if kind is not bytearray and len(value) > REPRICE_LENGTH:
            length = len(value)
            last = self.priced.get(key)
            if last is not None and abs(length - last[0]) * 16 < last[0]:
                size = last[1] * length // last[0]
            else:
                size = context.price(key, value, context.config)
                self.priced[key] = (length, size)
        else:
            size = context.price(key, value, context.config)
        sizes = self.sizes
        self.used += size - sizes.get(key, 0)
        sizes[key] = size

    def _unprice(self, key: bytes, value: Any) -> None:
        """Take back what key, holding `value`, adds to `used` (it goes, or gets another
        value)."""
        if type(value) is bytes:
            self.used -= key_size(key, self.context.config) + string_size(value)
        else:
            self.used -= self.sizes.pop(key, 0)
            if self.priced:
                self.priced.pop(key, None)

    def load(self, key: bytes, value: Any, expire_at: Optional[int]) -> None:
        """A key read from a snapshot, put without events (loading sends none, as in Redis);
        one already there (a merging load) is replaced, its TTL with it."""
        data = self.data
        old = data.get(key)
        if old is not None:
            self._unprice(key, old)
            if expire_at is None and self.expires:
                self.expires.pop(key, None)
        data[key] = value
        if old is None and len(data) > self.buckets:
            self.buckets = self._grown(len(data), self.buckets)
        self._price(key, value)
        self.touch(key)
        if expire_at is not None:
            self.set_expire(key, expire_at)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        # Keys given a TTL together mostly expire at the same millisecond: they share one
        # int object (32 B each otherwise). last_expire is Any and the table untyped here,
        # so that a compiled build stores the kept object rather than boxing a new int.
        if self.last_expire != when_ms:
            self.last_expire = when_ms
        expires: dict = self.expires
        expires[key] = self.last_expire
        if len(expires) > self.expire_buckets:
            self.expire_buckets = self._grown(len(expires), self.expire_buckets)

    def get_expire(self, key: bytes) -> Optional[int]:
        return self.expires.get(key)

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    def written(self, key: bytes, event_class: str, event: str, changes: int = 1) -> None:
        """A command changed key (Redis's signalModifiedKey, notifyKeyspaceEvent and
        server.dirty in one): WATCH, blocked clients and client tracking hear of it, the
        keyspace event goes out, and `changes` (Redis's count for the command: elements
        added or removed ...; 0 for an extra key of one change) add to the changes to save.
        A value changed in place (anything but bytes, which set/replace priced) is priced
        again."""
        self.context.dirty += changes
        value = self.data.get(key)
        if value is not None and type(value) is not bytes:
            self._price(key, value)
        self.signal_modified(key)
        notify = self.events.notify
        if notify is not None:
            notify(self, event_class, event, key)

    def metadata_written(self, key: bytes, event_class: str, event: str,
                         changes: int = 1) -> None:
        """A command changed what a key keeps beside the value clients read (a stream's
        consumer groups, its last ID): counted and notified as `written`, but WATCH,
        blocked clients and tracking are not told, as Redis does not signal the key."""
        self.context.dirty += changes
        value = self.data.get(key)
        if value is not None:
            self.account(key, value)
        self.notify(event_class, event, key)

    def elements_removed(self, key: bytes, value: Any, event_class: str, event: str,
                         changes: int = 1) -> None:
        """A command removed elements from the collection `value` at key (pops, SREM,
        LTRIM ...): its event, then the key deleted with a "del" event if it was left
        empty, as Redis keeps no empty collection; signalled and counted as `written`."""
        self.context.dirty += changes
        self.notify(event_class, event, key)
        emptied = not len(value)
        if emptied:
            self._remove(key)
        else:
            self.account(key, value)
        self.signal_modified(key)
        if emptied:
            self.notify("g", "del", key)

    def swap_contents(self, other: "Database") -> None:
        """SWAPDB: exchange keys, TTLs and their bookkeeping with another database; the
        clients and what they watch or wait for stay with the database number."""
        for slot in Database.__slots__:
            if slot not in ("index", "context", "clock", "stats", "events", "watched_keys",
                            "blocking_keys"):
                mine, theirs = getattr(self, slot), getattr(other, slot)
                setattr(self, slot, theirs)
                setattr(other, slot, mine)

    def signal_waited_keys(self) -> None:
        """Signal every key clients wait on, after SWAPDB brought other keys under them:
        a value there now may serve them, and a stream gone wakes XREADGROUP with its error
        (Redis's scanDatabaseForReadyKeys and scanDatabaseForDeletedStreams)."""
        for key in self.blocking_keys:
            self.events.key_ready(self, key, type(self.data.get(key)))

    def signal_modified(self, key: bytes, by_client: bool = True) -> None:
        """Tell WATCH, blocked clients and client tracking that key changed (Redis's
        signalModifiedKey + signalKeyAsReady): part of `written`, and alone for a change
        that is no command's write (DEBUG POPULATE). `by_client` False: the server deleted
        the key (expiry, eviction), not the running command."""
        if self.watched_keys and key in self.watched_keys:
            self.touch_watched(key)
        if self.blocking_keys and key in self.blocking_keys:
            # With the type the key holds now: only a value its waiters can use makes it
            # ready (Redis's signalKeyAsReady), which decides the order keys are served in.
            self.events.key_ready(self, key, type(self.data.get(key)))
        key_changed = self.events.key_changed
        if key_changed is not None:
            key_changed(self, key, by_client)

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
            stale_after = (replaced_with is not None and exists_after
                           and replaced_with.is_expired(key))
            for watched in watchers:
                if watched.expired:
                    if not exists_after:
                        watched.expired = False
                        continue
                    if stale_after:
                        continue
                elif not exists and stale_after:
                    watched.expired = True
                    continue
                watched.client.watch_dirty = True

    def notify(self, event_class: str, event: str, key: bytes) -> None:
        """Keyspace notification `event` for key, if `notify-keyspace-events` selects it."""
        notify = self.events.notify
        if notify is not None:
            notify(self, event_class, event, key)

    # -- access statistics (OBJECT IDLETIME / FREQ, RESTORE IDLETIME / FREQ) -----------

    def last_access(self, key: bytes) -> int:
        """When key was last read or written (unix ms), or the latest time it can have been
        if its access is no longer kept (see the module's docstring)."""
        when = self.access.get(key)
        if when is None:
            return self.access_older.get(key, self.access_floor)
        return when

    def touch(self, key: bytes) -> None:
        """An access of key now. A full table of access times is aged first, unless an LRU
        policy evicts by every key's time: it becomes the older one, and the older one goes,
        leaving its latest time as the floor of the keys it held."""
        access = self.access
        if len(access) >= self.access_generation and not self.context.lru:
            self._age_access_times()
            access = self.access
        access[key] = self.clock.cached_ms

    def _age_access_times(self) -> None:
        if self.access_older:
            self.access_floor = max(self.access_floor, max(self.access_older.values()))
        self.access_older = self.access
        self.access = {}

    def idle_ms(self, key: bytes) -> int:
        """Milliseconds since the last access, at Redis's LRU clock resolution (1 s)."""
        return max(0, self.clock.cached_ms // 1000 - self.last_access(key) // 1000) * 1000

    def set_idle(self, key: bytes, seconds: int) -> None:
        self.touch(key)
        self.access[key] = self.clock.cached_ms - seconds * 1000

    def frequency(self, key: bytes) -> int:
        """The key's LFU counter after the decay due since its last access."""
        counter, minute = self.lfu.get(key) or (LFU_INIT_VAL, self._access_minute(key))
        decay = self.context.config.lfu_decay_time
        if decay:
            elapsed = (_minutes(self.clock.cached_time) - minute) & 0xFFFF
            counter = max(0, counter - elapsed // decay)
        return counter

    def set_frequency(self, key: bytes, counter: int) -> None:
        self.lfu[key] = (min(255, max(0, counter)), _minutes(self.clock.cached_time))

    def _lfu_touch(self, key: bytes) -> None:
        counter = self.frequency(key)
        if counter < 255:
            # The counter grows with probability 1 / ((counter - 5) * factor + 1).
            base = max(0, counter - LFU_INIT_VAL)
            if random.random() < 1.0 / (base * self.context.config.lfu_log_factor + 1):
                counter += 1
        self.lfu[key] = (counter, _minutes(self.clock.cached_time))

    def _access_minute(self, key: bytes) -> int:
        return _minutes(self.last_access(key) / 1000)

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
                self.delete_expired(key)
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

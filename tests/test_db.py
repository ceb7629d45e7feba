"""A Database on its own: built from a KeyspaceContext, no Server, its events observed through
a recording KeyspaceEvents sink."""
from __future__ import annotations

import pytest

from pyredis.clock import Clock
from pyredis.commands.memory import entry_size
from pyredis.config import Config
from pyredis.db import Database, KeyspaceContext, KeyspaceEvents
from pyredis.lazyfree import LazyFree
from pyredis.server import Stats


class RecordingEvents:
    """Wires a KeyspaceEvents (`sink`, which the compiled build does not let a test
    subclass) to write down every event, as (kind, db index, details...)."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []
        self.dataset_paused = False
        sink = self.sink = KeyspaceEvents()
        sink.notify = lambda db, event_class, event, key: self.seen.append(
            ("notify", db.index, event_class, event, key))
        sink.key_changed = lambda db, key, by_client: self.seen.append(
            ("changed", db.index, key, by_client))
        sink.key_ready = lambda db, key, kind: self.seen.append(("ready", db.index, key, kind))
        sink.flushed = lambda: self.seen.append(("flushed",))
        sink.paused = lambda: self.dataset_paused

    def take(self) -> list[tuple]:
        seen, self.seen = self.seen, []
        return seen


@pytest.fixture
def keyspace():
    config = Config()
    stats = Stats()
    events = RecordingEvents()
    context = KeyspaceContext(Clock(), stats, config, LazyFree(config, stats), events.sink)
    return Database(context, 3), context, events


def test_set_and_get_count_hits_and_misses(keyspace):
    db, context, events = keyspace
    assert db.get(b"k") is None
    db.set(b"k", b"v")
    assert db.get(b"k") == b"v"
    assert (context.stats.keyspace_hits, context.stats.keyspace_misses) == (1, 1)
    assert events.take() == [("notify", 3, "m", "keymiss", b"k"),
                             ("notify", 3, "n", "new", b"k")]
    db.set(b"k", b"w")          # an overwrite: no "new" event
    assert events.take() == []


def test_written_signals_notifies_and_counts_the_change(keyspace):
    db, context, events = keyspace
    db.set(b"k", b"v")
    events.take()
    db.written(b"k", "$", "set")
    assert events.take() == [("changed", 3, b"k", True), ("notify", 3, "$", "set", b"k")]
    db.written(b"k", "g", "rename_to", changes=0)
    db.written(b"k", "l", "lpush", changes=3)
    assert context.dirty == 4
    context.count_changes()
    assert context.dirty == 5


def test_elements_removed_deletes_an_emptied_collection(keyspace):
    db, context, events = keyspace
    members = {b"a", b"b"}
    db.set(b"s", members)
    events.take()
    members.discard(b"a")
    db.elements_removed(b"s", members, "s", "srem")
    assert events.take() == [("notify", 3, "s", "srem", b"s"), ("changed", 3, b"s", True)]
    members.discard(b"b")
    db.elements_removed(b"s", members, "s", "srem")
    assert b"s" not in db.data
    assert events.take() == [("notify", 3, "s", "srem", b"s"), ("changed", 3, b"s", True),
                             ("notify", 3, "g", "del", b"s")]
    assert context.dirty == 2


def test_a_key_expires_by_the_context_clock(keyspace):
    db, context, events = keyspace
    clock = context.clock
    db.set(b"k", b"v", expire_at=clock.ms() + 10_000)
    events.take()
    assert db.get(b"k") == b"v"
    clock.advance(5)
    clock.frozen_ms = clock.ms() - 6_000     # a script that started before the TTL passed
    assert db.get(b"k") == b"v"
    clock.advance(6)
    assert db.get(b"k") == b"v"
    clock.frozen_ms = None
    assert db.get(b"k") is None
    assert context.stats.expired_keys == 1
    assert context.dirty == 0
    assert events.take() == [("notify", 3, "x", "expired", b"k"),
                             ("changed", 3, b"k", False),
                             ("notify", 3, "m", "keymiss", b"k")]


def test_a_paused_dataset_keeps_expired_keys(keyspace):
    db, context, events = keyspace
    db.set(b"k", b"v", expire_at=context.clock.ms() - 1)
    events.dataset_paused = True
    assert db.get(b"k") is None
    assert b"k" in db.data
    events.dataset_paused = False
    assert db.get(b"k") is None
    assert b"k" not in db.data


def test_used_is_what_memory_usage_prices_the_keys_at(keyspace):
    """Strings keep no price of their own: every path that puts, changes or takes a value
    must leave `used` at the sum of the keys' prices."""
    db, context, events = keyspace

    def priced() -> int:
        return sum(entry_size(key, value, context.config) for key, value in db.data.items())

    db.set(b"a", b"short")
    db.set(b"b", b"12345")                        # an int encoding
    db.set(b"c", b"x" * 100, expire_at=context.clock.ms() + 60_000)   # raw
    db.set(b"a", b"a longer value than before, past the embstr limit of 44 bytes")
    db.replace(b"b", b"123456")                   # INCR's path
    db.set(b"c", {b"m1", b"m2"})                  # a string becomes a set ...
    members = db.data[b"c"]
    members.add(b"m3")
    db.written(b"c", "s", "sadd")
    db.set(b"c", b"back to a string")             # ... and a string again
    db.mutable_string(b"a", db.data[b"a"]).extend(b"!")   # APPEND's bytearray
    db.written(b"a", "$", "append")
    db.load(b"b", b"from a snapshot", None)       # a merging load replaces a key
    db.set(b"gone", b"v", expire_at=context.clock.ms() - 1)
    events.dataset_paused = True
    db.set(b"gone", b"overwritten while logically expired")
    events.dataset_paused = False
    assert db.used == priced() > 0
    for key in list(db.data):
        db.delete(key)
    assert db.used == 0 and db.sizes == {}


def test_tables_keep_the_bucket_counts_of_redis_dicts(keyspace):
    """A table doubles when it holds as many keys as buckets, stays at its size while that
    would go over maxmemory (until 1.618 keys per bucket), and the cron shrinks it once
    filled under a tenth."""
    db, context, events = keyspace
    for i in range(5):
        db.set(b"k%d" % i, b"v")
    assert db.buckets == 8
    context.over_maxmemory_after = lambda more: more == 16 * 8
    for i in range(5, 13):
        db.set(b"k%d" % i, b"v")
    assert db.buckets == 8                      # 13 keys, 12 / 8 <= 1.618 before the last
    db.set(b"k13", b"v")
    assert db.buckets == 16
    for i in range(1, 14):
        db.delete(b"k%d" % i)
    assert db.buckets == 16
    db.resize_tables()
    assert db.buckets == 4


def test_keys_given_the_same_expire_time_share_it(keyspace):
    db, context, events = keyspace
    when = context.clock.ms() + 60_000
    db.set(b"a", b"v", expire_at=when)
    db.set(b"b", b"v", expire_at=int(str(when)))     # equal, another object
    assert db.expires[b"a"] is db.expires[b"b"]
    db.set_expire(b"a", when + 1)
    db.set_expire(b"c", int(str(when + 1)))
    assert db.expires[b"a"] is db.expires[b"c"]
    assert db.expire_buckets == 4


def test_keys_accessed_in_one_cycle_share_their_access_time(keyspace):
    """One int object per loop cycle, not one per key (the compiled build would box the
    clock's reading anew for each key if it read it as an int)."""
    db, context, _ = keyspace
    context.clock.refresh()
    db.set(b"a", b"v")
    db.set(b"b", b"v")
    db.get(b"a")
    assert db.access[b"a"] is db.access[b"b"] is context.clock.cached_ms


def test_idle_times_of_keys_aged_out_count_from_the_floor(keyspace):
    """Without an LRU policy only the recent access times are kept: a key touched while the
    table is full ages it, and a key whose time went is idle since at least the latest time
    that went with it."""
    db, context, _ = keyspace
    clock = context.clock
    db.access_generation = 2

    def later(seconds: int) -> None:
        clock.advance(seconds)
        clock.refresh()

    db.set(b"a", b"1")
    later(3)
    db.set(b"b", b"1")
    later(10)
    db.set(b"c", b"1")                  # a and b: the older table
    assert set(db.access) == {b"c"} and set(db.access_older) == {b"a", b"b"}
    assert db.idle_ms(b"a") == 13_000 and db.idle_ms(b"b") == 10_000
    db.set(b"d", b"1")
    later(5)
    db.set(b"e", b"1")                  # a and b go: their latest time is the floor
    assert set(db.access) == {b"e"} and set(db.access_older) == {b"c", b"d"}
    assert db.idle_ms(b"a") == db.idle_ms(b"b") == 15_000    # a: 18 s, at least 15
    assert db.idle_ms(b"c") == 5_000
    db.get(b"a")
    assert db.idle_ms(b"a") == 0
    context.lru = True                  # LRU eviction compares every key's time
    db.set(b"f", b"1")
    assert set(db.access) == {b"e", b"a", b"f"} and set(db.access_older) == {b"c", b"d"}


def test_the_access_tables_stay_bounded_however_fast_keys_come(keyspace):
    """No cron runs between these writes: the tables are bounded where keys are touched."""
    db, _, _ = keyspace
    for i in range(3 * db.access_generation + 5):
        db.set(b"k%d" % i, b"v")
    assert len(db.access) <= db.access_generation
    assert len(db.access_older) <= db.access_generation
    assert db.idle_ms(b"k0") == 0 and db.last_access(b"k0") == db.access_floor


def test_an_evicted_key_is_told_as_deleted_by_the_server(keyspace):
    db, context, events = keyspace
    db.set(b"k", b"v")
    events.take()
    db.evict(b"k")
    assert b"k" not in db.data
    assert events.take() == [("changed", 3, b"k", False), ("notify", 3, "e", "evicted", b"k")]
    assert context.dirty == 0


def test_a_write_to_a_key_a_client_waits_on_makes_it_ready(keyspace):
    db, _, events = keyspace
    db.blocking_keys[b"queue"] = {object(): None}
    db.set(b"queue", b"v")
    db.written(b"queue", "$", "set")
    assert ("ready", 3, b"queue", bytes) in events.take()
    db.delete(b"queue")
    db.written(b"queue", "g", "del")
    assert ("ready", 3, b"queue", type(None)) in events.take()


def test_watchers_of_a_written_key_fail_their_exec(keyspace):
    db, _, _ = keyspace

    class Watcher:      # what WATCH keeps of a client
        def __init__(self) -> None:
            self.watched: list = []
            self.watch_dirty = False

    watcher = Watcher()
    db.watch(watcher, b"k")
    db.set(b"k", b"v")
    assert not watcher.watch_dirty
    db.written(b"k", "$", "set")
    assert watcher.watch_dirty
    assert watcher.watched == []

"""maxmemory eviction (Redis's performEvictions): while the server uses more memory than
`maxmemory`, keys are evicted as `maxmemory-policy` says, each with an `evicted` keyspace
event (class e) and the write signal (WATCH, client-side caching invalidations).

Used memory is the server's accounting (Server.used_memory: the interpreter's heap at
startup, the keys as MEMORY USAGE prices them, the clients' buffers), which goes down as
keys go: a server over its limit evicts the keys the policy allows until it is under it
again, a bounded number per call (the next command, or the eviction timer CONFIG SET arms,
goes on). When nothing is left to evict, commands that would use memory get Redis's OOM
error. The stream waiting in replicas' output buffers is left out of the figure, as Redis
leaves it out. Candidates are chosen as Redis does,
approximately: a sample of `maxmemory-samples` keys of each database, the best one by
access time (lru), frequency (lfu) or expire time (ttl), or one random key (random).
"""
from __future__ import annotations

import random
from time import perf_counter_ns
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .db import Database
    from .server import Server

# Keys evicted per call at most: the rest waits for the next command or timer tick, so a
# large keyspace never stalls the loop.
EVICTIONS_PER_CALL = 64


def perform_evictions(server: "Server") -> bool:
    """Evict keys while over maxmemory; True when still over with nothing left to evict
    (out of memory), False when under the limit or eviction goes on at the next call."""
    if server.replica.active and server.config.replica_ignore_maxmemory:
        return False    # a replica is its master's exact copy
    if not server.over_maxmemory():
        return False
    policy = server.config.maxmemory_policy
    if policy == "noeviction":
        return _still_over(server)
    latency = server.latency
    cycle_start = perf_counter_ns()
    out_of_memory = False
    with server.propagation.deletions_apart():
        for _ in range(EVICTIONS_PER_CALL):
            found = _pick(server, policy)
            if found is None:
                out_of_memory = _still_over(server)
                break
            db, key = found
            start = perf_counter_ns()
            db.evict(key)
            latency.add_sample_if_needed("eviction-del",
                                         (perf_counter_ns() - start) // 1_000_000)
            server.stats.evicted_keys += 1
            if not server.over_maxmemory():
                break
    latency.add_sample_if_needed("eviction-cycle", (perf_counter_ns() - cycle_start) // 1_000_000)
    return out_of_memory


def _still_over(server: "Server") -> bool:
    """Over the limit with the clients' buffers as they are now, not as the cron last found
    them (clients gone since may have taken theirs away): asked only before refusing a
    command, so the count over every client is not paid per write."""
    server.refresh_buffers_memory()
    return server.over_maxmemory()


class Eviction:
    """The server's part for eviction outside commands: after CONFIG SET lowered maxmemory,
    a timer evicts until the server is under the limit even if no command comes (Redis's
    eviction time proc), one such timer at a time."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.timer_running = False

    def evict_in_background(self) -> None:
        if self.timer_running:
            return
        self.timer_running = True
        self.server.reactor.call_later(0, self._evict_some)

    def _evict_some(self) -> Optional[float]:
        server = self.server
        if server.config.maxmemory and not perform_evictions(server) \
                and server.over_maxmemory():
            return 0.001   # more to evict
        self.timer_running = False
        return None


def _pick(server: "Server", policy: str) -> Optional[tuple["Database", bytes]]:
    volatile = policy.startswith("volatile-")
    kind = policy.split("-", 1)[1]
    dbs = [db for db in server.dbs if (db.expires if volatile else db.data)]
    if not dbs:
        return None
    if kind == "random":
        for db in random.sample(dbs, len(dbs)):
            keys = _sample(db, volatile, 1)
            if keys:
                return db, keys[0]
        return None
    best: Optional[tuple["Database", bytes]] = None
    best_score = None
    samples = server.config.maxmemory_samples
    for db in dbs:
        for key in _sample(db, volatile, samples):
            if kind == "lru":
                score = -db.last_access(key)            # the longest idle first
            elif kind == "lfu":
                score = -db.frequency(key)              # the least used first
            else:
                score = -db.expires.get(key, 0)         # the soonest to expire first
            if best_score is None or score > best_score:
                best, best_score = (db, key), score
    return best


def _sample(db: "Database", volatile: bool, count: int) -> list[bytes]:
    """Up to `count` random keys of the database (with a TTL only, if volatile)."""
    if not volatile:
        keys = []
        for _ in range(count):
            key = db.random_key()
            if key is None:
                break
            keys.append(key)
        return keys
    expires = db.expires
    if len(expires) <= count:
        return list(expires)
    # Random keys that have a TTL, a bounded number of tries; then the oldest TTLs.
    keys = [k for k in (db.random_key() for _ in range(count * 4)) if k in expires][:count]
    return keys or [next(iter(expires))]

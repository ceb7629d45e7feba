"""Active expiry (Redis's activeExpireCycle): reclaims keys whose TTL has passed even when
nobody reads them again, without ever stalling the loop.

A slow cycle runs from the cron (`hz` times a second) with a budget of 25% of the cron period;
a fast cycle of about 1 ms runs before the loop sleeps, but only while the last cycle ran out
of time or many sampled keys were found expired. Each database is checked in slices of 20
keys (more with `active-expire-effort`) and left as soon as a slice finds few expired keys,
so a keyspace of long-lived TTLs costs almost nothing, while a million keys expiring at once
are deleted a slice at a time between the clients' commands.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import Server

KEYS_PER_SLICE = 20
FAST_DURATION = 0.001       # seconds
SLOW_TIME_PERCENT = 25
ACCEPTABLE_STALE = 10       # % of expired keys in a slice below which a database is left
DBS_PER_CALL = 16


class ActiveExpire:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.next_db = 0
        self.time_limit_hit = False     # the last cycle ran out of time: work is waiting
        self.last_fast_start = 0.0

    def enabled(self) -> bool:
        server = self.server
        # DEBUG SET-ACTIVE-EXPIRE 0 turns it off; a paused server keeps its dataset still.
        return server.active_expire_enabled and not server.dataset_paused()

    def expire_all_due(self) -> None:
        """Every key past its TTL in every database, not a sample: after the clock jumps
        forward, tests see the keyspace (DBSIZE, SCAN, notifications) as time left it."""
        if self.enabled():
            with self.server.propagation.deletions_apart():
                for db in self.server.dbs:
                    for key in list(db.expires):
                        db.expire_if_needed(key)

    def run(self, fast: bool = False) -> None:
        server = self.server
        effort = server.config.active_expire_effort - 1
        acceptable = ACCEPTABLE_STALE - effort
        stats = server.stats
        if fast and not self.time_limit_hit and stats.expired_stale_perc < acceptable / 100:
            return   # the usual end of a loop cycle: the slow cycle left no work behind
        if not self.enabled():
            return
        per_slice = KEYS_PER_SLICE + KEYS_PER_SLICE // 4 * effort
        start = time.perf_counter()
        if fast:
            budget = FAST_DURATION + FAST_DURATION / 4 * effort
            if start < self.last_fast_start + 2 * budget:
                return
            self.last_fast_start = start
        else:
            budget = (SLOW_TIME_PERCENT + 2 * effort) / 100 / max(1, server.hz)
        dbs = server.dbs
        dbs_per_call = len(dbs) if self.time_limit_hit else min(DBS_PER_CALL, len(dbs))
        self.time_limit_hit = False
        deadline = start + budget
        total_sampled = total_expired = 0
        now_ms = server.clock.ms()
        with server.propagation.deletions_apart():
            for _ in range(dbs_per_call):
                db = dbs[self.next_db % len(dbs)]
                self.next_db += 1    # next time, start after the database that ran out of time
                while db.expires:
                    sampled, expired = db.expire_sample(per_slice, now_ms)
                    total_sampled += sampled
                    total_expired += expired
                    if time.perf_counter() >= deadline:
                        self.time_limit_hit = True
                        stats.expired_time_cap_reached_count += 1
                        break
                    if sampled and expired * 100 // sampled <= acceptable:
                        break
                if self.time_limit_hit:
                    break
        elapsed_us = int((time.perf_counter() - start) * 1_000_000)
        stats.expire_cycle_time_used += elapsed_us
        server.latency.add_sample_if_needed("expire-cycle", elapsed_us // 1000)
        # A running estimate of the share of keys logically expired but not yet reclaimed.
        current = total_expired / total_sampled if total_sampled else 0.0
        stats.expired_stale_perc = current * 0.05 + stats.expired_stale_perc * 0.95

"""maxmemory eviction, compared with the real redis-server: which keys each policy evicts
once memory is over the limit (all it may, at `maxmemory 1`), their `evicted` events, the
invalidations of clients caching them, and the OOM error once nothing is left to evict."""
import time

import pytest

from helpers import RawConnection, start_server

POLICIES = ["allkeys-random", "allkeys-lru", "allkeys-lfu", "volatile-random", "volatile-lru",
            "volatile-lfu", "volatile-ttl", "noeviction"]


@pytest.fixture(scope="module")
def servers():
    ours, theirs = start_server("pyredis"), start_server("redis")
    yield ours, theirs
    ours.stop()
    theirs.stop()


def _drain(conn: RawConnection, until: bytes) -> list[bytes]:
    conn.send("PING", until)
    seen = []
    while True:
        reply = conn.read_reply()
        if until in reply:
            return seen
        seen.append(reply)


def _evict(port: int, policy: str) -> tuple:
    admin, sub, cache = RawConnection(port), RawConnection(port), RawConnection(port)
    try:
        admin.execute("FLUSHALL")
        admin.execute("CONFIG", "SET", "notify-keyspace-events", "Ee")
        admin.execute("CONFIG", "SET", "maxmemory-policy", policy)
        for i in range(5):
            admin.execute("SET", f"plain{i}", "x")
            admin.execute("SET", f"volatile{i}", "x", "EX", str(1000 + i))
        cache.execute("HELLO", "3")
        cache.execute("CLIENT", "TRACKING", "ON")
        cache.execute("GET", "plain0")
        cache.execute("GET", "volatile0")
        sub.execute("SUBSCRIBE", "__keyevent@0__:evicted")
        admin.execute("CONFIG", "SET", "maxmemory", "1")
        deadline = time.monotonic() + 10
        while admin.execute("DBSIZE") not in (b":0\r\n", b":5\r\n", b":10\r\n") \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        oom = admin.execute("SET", "more", "x")
        read = admin.execute("GET", "plain1")
        events = sorted(_drain(sub, b"end"))
        invalidations = sorted(_drain(cache, b"end"))
        left = admin.execute("DBSIZE")
        return oom, read, events, invalidations, left
    finally:
        admin.execute("CONFIG", "SET", "maxmemory", "0")
        admin.execute("CONFIG", "SET", "maxmemory-policy", "noeviction")
        admin.execute("CONFIG", "SET", "notify-keyspace-events", "")
        for conn in (admin, sub, cache):
            conn.close()


@pytest.mark.parametrize("policy", POLICIES)
def test_policies_match_redis(servers, policy):
    ours, theirs = servers
    assert _evict(ours.port, policy) == _evict(theirs.port, policy)

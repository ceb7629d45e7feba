"""maxmemory eviction, compared with the real redis-server: which keys each policy evicts
once memory is over the limit (all it may, at `maxmemory 1`), their `evicted` events, the
invalidations of clients caching them, and the OOM error once nothing is left to evict;
and a cache under a steady load of writes, which keeps about as many keys as redis-server."""
import random
import time

import pytest
import redis

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


def _fill_cache(port: int, writes: int) -> int:
    """SET `writes` 1 KB values under random names (as redis-benchmark -r does), pipelined;
    any error reply (OOM) raises. Returns the keys left."""
    rng = random.Random(7)
    client = redis.Redis(port=port)
    try:
        for start in range(0, writes, 500):
            pipe = client.pipeline(transaction=False)
            for _ in range(start, min(start + 500, writes)):
                pipe.set(b"key:%012d" % rng.randrange(10_000_000), VALUE)
            pipe.execute()
        return client.dbsize()
    finally:
        client.close()


VALUE = b"x" * 1000


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_cache_holds_about_as_many_keys_as_redis(policy):
    """A cache under steady writes: it keeps accepting them, evicting to stay under
    maxmemory, and holds a key count near redis-server's at the same limit."""
    args = ["--maxmemory", "16mb", "--maxmemory-policy", policy]
    counts = []
    for kind in ("pyredis", "redis"):
        server = start_server(kind, args)
        try:
            counts.append(_fill_cache(server.port, 30_000))
        finally:
            server.stop()
    ours, theirs = counts
    assert 12_000 < theirs < 30_000     # the limit, not the load, bounds it
    assert abs(ours - theirs) <= theirs * 0.25


def _grow_near_the_limit(port: int) -> bytes:
    """4096 keys fill the table's 4096 buckets; with maxmemory 10 KB above used memory,
    doubling the table (64 KB) would go over it: two more keys leave it at its size rather
    than evict."""
    admin = RawConnection(port)
    try:
        admin.execute("FLUSHALL")
        # (A command's first latency histogram would take Redis over the limit by itself.)
        admin.execute("CONFIG", "SET", "latency-tracking", "no")
        admin.execute("DEBUG", "POPULATE", "4096", "", "1")
        info = admin.execute("INFO", "memory")
        used = int(info.split(b"used_memory:")[1].split(b"\r\n")[0])
        admin.execute("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        admin.execute("CONFIG", "SET", "maxmemory", str(used + 10 * 1024))
        admin.execute("SET", "k1", "v1")
        admin.execute("SET", "k2", "v2")
        return admin.execute("DBSIZE")
    finally:
        admin.execute("CONFIG", "SET", "maxmemory", "0")
        admin.execute("CONFIG", "SET", "maxmemory-policy", "noeviction")
        admin.execute("CONFIG", "SET", "latency-tracking", "yes")
        admin.execute("FLUSHALL")
        admin.close()


def test_table_stays_at_its_size_rather_than_evict(servers):
    ours, theirs = servers
    assert _grow_near_the_limit(ours.port) == _grow_near_the_limit(theirs.port) == b":4098\r\n"

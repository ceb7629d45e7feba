"""Client-side caching (CLIENT TRACKING): invalidation messages compared byte for byte with
the real redis-server in RESP3, with REDIRECT to a RESP2 subscriber of
__redis__:invalidate, in BCAST mode with prefixes, NOLOOP, OPTIN / OPTOUT; the tracking
table limit; and redis-py's own client-side cache."""
import re
import socket
import time

import pytest
import redis
from redis.cache import CacheConfig
from redis.connection import CacheProxyConnection

from helpers import RawConnection, start_server, Session


def _client_id(conn: RawConnection) -> int:
    return int(re.search(rb"\$2\r\nid\r\n:(\d+)\r\n", conn.execute("HELLO", "2")).group(1))


def _transcripts(port: int, names: list[str], steps: list) -> list:
    """Run the steps; "{redir}" in a command stands for the id of connection "redir"."""
    session = Session(port, names)
    try:
        session.step(names[0], "FLUSHALL")
        redir = _client_id(session.conns["redir"]) if "redir" in session.conns else 0
        out = []
        for name, *command in steps:
            command = [str(redir) if part == "{redir}" else part for part in command]
            seen = session.step(name, *command)
            out.append({n: [_normalize(reply, redir) for reply in replies]
                        for n, replies in seen.items()})
        return out
    finally:
        session.close()


def _normalize(reply: bytes, redir: int) -> bytes:
    """Client ids differ between the two servers: name them."""
    reply = re.sub(rb"(\$2\r\nid\r\n:)\d+", rb"\1ID", reply)
    return reply.replace(b":%d\r\n" % redir, b":REDIR\r\n") if redir else reply


SCENARIOS = {
    "resp3 default mode": (["c", "w"], [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "ON"), ("c", "GET", "k"),
        ("c", "GET", "k"), ("w", "SET", "k", "1"), ("w", "SET", "k", "2"),
        ("c", "GET", "k"), ("c", "SET", "k", "3"), ("c", "GET", "other"),
        ("w", "FLUSHALL",), ("c", "CLIENT", "TRACKING", "OFF"), ("c", "GET", "k"),
        ("w", "SET", "k", "4"),
    ]),
    "own writes come after the reply, noloop drops them": (["c", "w"], [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "ON"), ("c", "GET", "a"),
        ("c", "SET", "a", "1"), ("c", "GET", "a"), ("c", "MULTI"), ("c", "SET", "a", "2"),
        ("c", "GET", "a"), ("c", "EXEC"), ("c", "GET", "a"), ("c", "FLUSHALL"),
        ("c", "CLIENT", "TRACKING", "ON", "NOLOOP"), ("c", "GET", "a"), ("c", "SET", "a", "3"),
        ("c", "GET", "a"), ("w", "SET", "a", "4"),
    ]),
    "redirect to a resp2 subscriber": (["redir", "c", "w"], [
        ("redir", "SUBSCRIBE", "__redis__:invalidate"),
        ("c", "CLIENT", "TRACKING", "ON", "REDIRECT", "{redir}"), ("c", "GET", "x"),
        ("c", "GET", "y"), ("w", "SET", "x", "1"), ("w", "SET", "y", "1"),
        ("c", "CLIENT", "GETREDIR"), ("c", "CLIENT", "TRACKINGINFO"), ("c", "GET", "x"),
        ("w", "FLUSHALL"),
    ]),
    "bcast with prefixes": (["redir", "c", "w"], [
        ("redir", "SUBSCRIBE", "__redis__:invalidate"),
        ("c", "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", "{redir}", "PREFIX", "a:",
         "PREFIX", "b:"),
        ("w", "SET", "a:1", "x"), ("w", "SET", "c:1", "x"), ("w", "MULTI"),
        ("w", "SET", "a:2", "x"), ("w", "SET", "b:1", "x"), ("w", "SET", "a:1", "y"),
        ("w", "EXEC"), ("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c:"),
        ("w", "SET", "c:1", "x"), ("c", "CLIENT", "TRACKINGINFO"),
        ("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"),
        ("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "d:x", "PREFIX", "d:"),
        ("c", "CLIENT", "TRACKING", "OFF"), ("c", "CLIENT", "TRACKING", "ON", "BCAST"),
        ("c", "SET", "z", "1"), ("w", "SET", "y", "1"),
    ]),
    "bcast noloop in resp3": (["c", "w"], [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"),
        ("c", "SET", "mine", "1"), ("w", "SET", "theirs", "1"), ("c", "MULTI"),
        ("c", "SET", "mine", "2"), ("c", "SET", "mine2", "2"), ("c", "EXEC"),
        ("w", "MULTI"), ("w", "SET", "mine", "3"), ("w", "SET", "x", "3"), ("w", "EXEC"),
    ]),
    "optin and optout": (["c", "w"], [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "ON", "OPTIN"), ("c", "GET", "a"),
        ("w", "SET", "a", "1"), ("c", "CLIENT", "CACHING", "YES"), ("c", "GET", "a"),
        ("c", "GET", "b"), ("w", "SET", "a", "2"), ("w", "SET", "b", "2"),
        ("c", "CLIENT", "CACHING", "YES"), ("c", "MULTI"), ("c", "GET", "a"), ("c", "GET", "b"),
        ("c", "EXEC"), ("w", "SET", "a", "3"), ("w", "SET", "b", "3"),
        ("c", "CLIENT", "CACHING", "YES"), ("c", "CLIENT", "TRACKINGINFO"),
        ("c", "CLIENT", "CACHING", "NO"), ("c", "CLIENT", "TRACKING", "ON", "OPTOUT"),
        ("c", "CLIENT", "TRACKING", "OFF"), ("c", "CLIENT", "TRACKING", "ON", "OPTOUT"),
        ("c", "GET", "a"), ("c", "CLIENT", "CACHING", "NO"), ("c", "GET", "b"),
        ("c", "CLIENT", "TRACKINGINFO"), ("w", "SET", "a", "4"), ("w", "SET", "b", "4"),
        ("c", "CLIENT", "CACHING", "YES"),
    ]),
    "scripts": (["c", "w"], [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "ON"),
        ("c", "EVAL", "redis.call('set', KEYS[1], 'x')", "2", "a", "b"),
        ("w", "MSET", "a", "1", "b", "1"),
        ("c", "EVAL", "return redis.call('get', 'other')", "2", "a", "b"),
        ("w", "MSET", "b", "2", "a", "2"),
        ("c", "EVAL_RO", "return redis.call('ping')", "1", "a"), ("w", "SET", "a", "3"),
        ("c", "EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a"), ("w", "SET", "a", "4"),
        ("c", "CLIENT", "TRACKING", "ON", "NOLOOP"), ("c", "GET", "a"),
        ("c", "EVAL", "return redis.call('set', KEYS[1], '5')", "1", "a"), ("c", "GET", "a"),
        ("w", "SET", "a", "6"),
    ]),
    "option errors": (["c"], [
        ("c", "CLIENT", "TRACKING", "MAYBE"), ("c", "CLIENT", "TRACKING", "ON", "FOO"),
        ("c", "CLIENT", "TRACKING", "ON", "REDIRECT"),
        ("c", "CLIENT", "TRACKING", "ON", "REDIRECT", "abc"),
        ("c", "CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
        ("c", "CLIENT", "TRACKING", "ON", "PREFIX", "a"),
        ("c", "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
        ("c", "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
        ("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
        ("c", "CLIENT", "TRACKING"), ("c", "CLIENT", "CACHING", "YES"),
        ("c", "CLIENT", "GETREDIR"), ("c", "CLIENT", "TRACKINGINFO"),
        ("c", "CLIENT", "TRACKING", "ON"), ("c", "CLIENT", "CACHING", "YES"),
        ("c", "CLIENT", "CACHING", "MAYBE"), ("c", "CLIENT", "TRACKING", "ON", "BCAST"),
        ("c", "CLIENT", "TRACKING", "ON", "OPTIN"), ("c", "CLIENT", "TRACKING", "OFF"),
        ("c", "CLIENT", "TRACKING", "OFF"), ("c", "CLIENT", "GETREDIR", "x"),
        ("c", "CLIENT", "TRACKINGINFO", "x"), ("c", "CLIENT", "CACHING"),
    ]),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenarios_match_redis(server, real_server, name):
    names, steps = SCENARIOS[name]
    ours = _transcripts(server.port, names, steps)
    theirs = _transcripts(real_server.port, names, steps)
    for step, mine, reference in zip(steps, ours, theirs):
        assert mine == reference, step


def test_redirect_broken_when_target_goes_away(server):
    target, c, w = (RawConnection(server.port) for _ in range(3))
    try:
        redir = _client_id(target)
        c.execute("HELLO", "3")
        c.execute("CLIENT", "TRACKING", "ON", "REDIRECT", redir)
        c.execute("GET", "k")
        target.close()
        deadline = time.monotonic() + 10
        while w.execute("CLIENT", "TRACKING", "ON", "REDIRECT", redir).startswith(b"+OK") \
                and time.monotonic() < deadline:
            time.sleep(0.01)   # until the server has noticed the disconnection
        w.execute("SET", "k", "1")
        assert c.read_reply() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % redir
        info = c.execute("CLIENT", "TRACKINGINFO")
        assert b"broken_redirect" in info
    finally:
        for conn in (c, w):
            conn.close()


def test_bcast_announces_keys_of_the_fast_expiry_pass_in_the_same_cycle():
    """The end of a loop cycle runs the fast expiry pass before the BCAST broadcast, as
    Redis's beforeSleep does: a key that pass deletes is announced in that cycle, not a
    cycle later (after the next event or cron tick). In-process, one cycle by hand."""
    from pyredis.server import Server
    server = Server()
    ours, theirs = socket.socketpair()
    try:
        db = server.dbs[0]
        db.set(b"k", b"v", expire_at=server.clock.ms() - 1)   # past its TTL, not deleted yet
        client = server.add_client(ours, None)
        server.process_command(client, [b"HELLO", b"3"])
        server.process_command(client, [b"CLIENT", b"TRACKING", b"ON", b"BCAST"])
        server.active_expire.time_limit_hit = True   # the last cycle left expiry work behind
        server.before_sleep()
        assert b"k" not in db.data
        theirs.setblocking(False)
        received = theirs.recv(65536)   # what the cycle wrote is in the socket already
        assert received.endswith(b"+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
    finally:
        ours.close()
        theirs.close()
        server.reactor.close()


@pytest.fixture
def small_table_server():
    proc = start_server("pyredis", ["--tracking-table-max-keys", "10"])
    yield proc
    proc.stop()


def test_tracking_table_is_bounded(small_table_server):
    port = small_table_server.port
    c = RawConnection(port)
    try:
        c.execute("HELLO", "3")
        c.execute("CLIENT", "TRACKING", "ON")
        for i in range(50):
            c.send("GET", f"key{i}")
        # Each command first brings the table back under its limit, invalidating the oldest.
        c.send("PING")
        evicted = []
        while True:
            reply = c.read_reply()
            if reply == b"+PONG\r\n":
                break
            if reply.startswith(b">"):
                evicted.append(reply)
        assert len(evicted) == 40
        assert evicted[0] == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nkey0\r\n"
    finally:
        c.close()


class _Redis70CacheProxy(CacheProxyConnection):
    # redis-py 8 enables its cache only for servers reporting 7.4+; the protocol it relies
    # on (CLIENT TRACKING ON and RESP3 invalidation pushes) is that of 6.0 and later.
    MIN_ALLOWED_VERSION = "7.0.0"


def test_redis_py_client_side_cache_sees_invalidations(server, monkeypatch):
    import redis.connection
    monkeypatch.setattr(redis.connection, "CacheProxyConnection", _Redis70CacheProxy)
    cached = redis.Redis(port=server.port, protocol=3, cache_config=CacheConfig())
    writer = redis.Redis(port=server.port)
    try:
        writer.set("user:1", "alice")
        assert cached.get("user:1") == b"alice"
        cache = cached.get_cache()
        assert cache.size == 1
        assert cached.get("user:1") == b"alice"   # served from the local cache
        writer.set("user:1", "bob")
        deadline = time.monotonic() + 10
        value = cached.get("user:1")
        while value != b"bob" and time.monotonic() < deadline:
            time.sleep(0.01)
            value = cached.get("user:1")
        assert value == b"bob"
        writer.flushall()
        deadline = time.monotonic() + 10
        while cached.get("user:1") is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cached.get("user:1") is None
    finally:
        cached.close()
        writer.close()

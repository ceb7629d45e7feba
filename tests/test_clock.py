"""The controllable clock: server.clock.advance(seconds), from this process (thread server),
through the control pipe (child process server) or over the wire (DEBUG ADVANCE-CLOCK).
Keys expire, TTLs and idle times move, blocked clients time out: at once, without sleeping
(threads wait only for the server to have acted, in loops bounded in time)."""
from __future__ import annotations

import threading

import pytest
import redis

import pyredis
from helpers import RawConnection


@pytest.fixture(scope="module", params=["thread", "process", "debug-command"])
def clocked(request):
    """(server, advance): advance(seconds) moves the server's clock the way under test."""
    if request.param == "process":
        server = pyredis.Server.start_process(enable_debug_command=True)
    else:
        server = pyredis.Server(enable_debug_command=True).start()
    if request.param == "debug-command":
        control = server.client()

        def advance(seconds):
            assert control.execute_command("DEBUG", "ADVANCE-CLOCK", seconds) == b"OK"
    else:
        advance = server.clock.advance
    yield server, advance
    server.stop()


@pytest.fixture
def r(clocked):
    server, _ = clocked
    client = server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def advance(clocked):
    return clocked[1]


def test_expire_ttl_and_expiry(r, advance):
    r.set("session", "data")
    assert r.expire("session", 100)
    advance(60)
    assert r.ttl("session") in (39, 40)       # 40 s left, rounded as Redis rounds
    advance(39.5)
    assert r.get("session") == b"data"
    advance(1)
    assert r.get("session") is None
    assert r.ttl("session") == -2


def test_pexpire_and_pttl(r, advance):
    r.set("k", "v")
    assert r.pexpire("k", 100_000)
    advance(99.0)
    assert 0 < r.pttl("k") <= 1000
    advance(1.5)
    assert r.exists("k") == 0


def test_set_ex_and_expireat_follow_the_clock(clocked, r, advance):
    server, _ = clocked
    r.set("a", "1", ex=10)
    # EXPIREAT in the server's time: ten seconds from the server's "now"
    server_now = int(server.clock.time())
    r.set("b", "2")
    assert r.expireat("b", server_now + 10)
    advance(3600)
    assert server.clock.time() >= server_now + 3600
    assert server_now + 3600 <= r.time()[0] <= server.clock.time()   # TIME: the same clock
    assert r.mget("a", "b") == [None, None]


def test_expired_keys_are_gone_without_being_read(r, advance):
    """After an advance the whole keyspace is as time left it, not just the keys read."""
    for i in range(50):
        r.set(f"short:{i}", i, ex=5)
        r.set(f"long:{i}", i, ex=500)
        r.set(f"forever:{i}", i)
    advance(10)
    assert r.dbsize() == 100
    assert sorted(r.scan_iter("short:*")) == []
    advance(1000)
    assert r.dbsize() == 50


def test_object_idletime(r, advance):
    r.set("k", "v")
    advance(30)
    assert r.object("idletime", "k") in (30, 31)
    r.get("k")                                 # an access resets it
    assert r.object("idletime", "k") in (0, 1)   # 1 s resolution, as in Redis
    advance(120)
    assert r.object("idletime", "k") in (120, 121)


def test_persist_stops_the_clock_for_a_key(r, advance):
    r.set("k", "v", ex=10)
    assert r.persist("k")
    advance(100)
    assert r.get("k") == b"v" and r.ttl("k") == -1


def blocked_clients(r) -> int:
    return r.info("clients")["blocked_clients"]


def wait_until_blocked(r, count: int) -> None:
    for _ in range(3000):                      # 30 s at most
        if blocked_clients(r) == count:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{count} clients never blocked")


def blpop_in_thread(server, *args):
    """Run BLPOP on a connection of its own in a thread; returns (thread, results)."""
    results = []
    client = server.client()
    thread = threading.Thread(target=lambda: results.append(client.blpop(*args)))
    thread.start()
    return thread, results


def test_blpop_times_out_when_the_clock_passes_its_timeout(clocked, r, advance):
    server, _ = clocked
    thread, results = blpop_in_thread(server, ["queue"], 10)
    wait_until_blocked(r, 1)
    advance(9)
    assert blocked_clients(r) == 1             # the server acted on the advance: still 1 s
    advance(1.5)
    thread.join(30)
    assert not thread.is_alive() and results == [None]
    assert blocked_clients(r) == 0


def test_blpop_without_timeout_waits_whatever_the_clock(clocked, r, advance):
    server, _ = clocked
    thread, results = blpop_in_thread(server, ["queue"], 0)
    wait_until_blocked(r, 1)
    advance(10 ** 6)
    assert blocked_clients(r) == 1
    r.rpush("queue", "job")
    thread.join(30)
    assert results == [(b"queue", b"job")]


def test_advance_rejects_going_back():
    with pyredis.Server() as server:
        for bad in (-1, float("inf"), float("nan"), "5"):
            with pytest.raises(ValueError):
                server.clock.advance(bad)
        assert server.clock.offset == 0


def test_advance_needs_a_running_server():
    server = pyredis.Server()
    with pytest.raises(pyredis.ServerStateError):
        server.clock.advance(1)


def test_debug_advance_clock_errors(server):
    raw = RawConnection(server.port)
    try:
        # the same answer as any DEBUG subcommand given the wrong number of arguments
        assert raw.execute("DEBUG", "ADVANCE-CLOCK") == \
            raw.execute("DEBUG", "SLEEP").replace(b"'SLEEP'", b"'ADVANCE-CLOCK'")
        assert raw.execute("DEBUG", "ADVANCE-CLOCK", "1", "2") == \
            raw.execute("DEBUG", "SLEEP", "1", "2").replace(b"'SLEEP'", b"'ADVANCE-CLOCK'")
        assert raw.execute("DEBUG", "ADVANCE-CLOCK", "soon") == \
            b"-ERR value is not a valid float\r\n"
        for bad in ("-1", "inf"):
            assert raw.execute("DEBUG", "ADVANCE-CLOCK", bad) == (
                b"-ERR the clock only moves forward, by a finite number of seconds\r\n")
        assert raw.execute("DEBUG", "ADVANCE-CLOCK", "0") == b"+OK\r\n"
        assert b"ADVANCE-CLOCK" in raw.execute("DEBUG", "HELP")
    finally:
        raw.close()


def test_debug_advance_clock_needs_enable_debug_command():
    with pyredis.Server() as server:
        with pytest.raises(redis.ResponseError, match="DEBUG command not allowed"):
            server.client().execute_command("DEBUG", "ADVANCE-CLOCK", 10)

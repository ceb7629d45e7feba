"""MULTI / EXEC / DISCARD / WATCH / UNWATCH: reply sequences compared byte for byte with the
real redis-server, WATCH broken by every kind of change, and redis-py's transactional
pipelines and transaction() helper with retries."""
import time

import pytest
import redis

from helpers import RawConnection

# Each sequence runs on one fresh connection against both servers; every reply must match.
SEQUENCES = [
    # basics, empty transaction, queued replies
    [("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("PING",), ("EXEC",)],
    [("MULTI",), ("EXEC",)],
    [("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a")],
    # errors outside a transaction
    [("EXEC",), ("DISCARD",), ("EXEC", "x"), ("DISCARD", "x"), ("UNWATCH",)],
    # nested MULTI and WATCH inside MULTI do not abort the transaction
    [("MULTI",), ("MULTI",), ("WATCH", "a"), ("SET", "a", "1"), ("EXEC",), ("GET", "a")],
    # arity and unknown-command errors while queueing abort EXEC
    [("MULTI",), ("SET", "a", "1"), ("SET", "b"), ("EXEC",), ("GET", "a")],
    [("MULTI",), ("NOSUCHCOMMAND", "x"), ("SET", "a", "1"), ("EXEC",), ("GET", "a")],
    [("MULTI",), ("MULTI", "extra"), ("EXEC",)],
    [("MULTI",), ("EXEC", "extra"), ("PING",)],
    [("MULTI",), ("DISCARD", "extra"), ("EXEC",)],
    # a runtime error inside EXEC does not roll the others back
    [("MULTI",), ("SET", "a", "1"), ("SELECT", "99"), ("SET", "b", "2"), ("EXEC",),
     ("GET", "a"), ("GET", "b")],
    # SELECT inside the transaction moves the connection
    [("MULTI",), ("SELECT", "3"), ("SET", "a", "x"), ("EXEC",), ("GET", "a"), ("SELECT", "0"),
     ("GET", "a")],
    # WATCH: own writes before MULTI break it, UNWATCH and DISCARD forget it
    [("SET", "w", "1"), ("WATCH", "w"), ("SET", "w", "2"), ("MULTI",), ("PING",), ("EXEC",)],
    [("WATCH", "w"), ("SET", "w", "2"), ("UNWATCH",), ("MULTI",), ("PING",), ("EXEC",)],
    [("WATCH", "w"), ("SET", "w", "2"), ("MULTI",), ("DISCARD",), ("MULTI",), ("PING",),
     ("EXEC",)],
    [("WATCH", "w"), ("MULTI",), ("SET", "w", "3"), ("EXEC",), ("MULTI",), ("PING",),
     ("EXEC",)],
    [("WATCH", "w", "w", "x"), ("WATCH", "y"), ("MULTI",), ("GET", "w"), ("EXEC",)],
    # WATCH remembers the database of the key
    [("SELECT", "5"), ("SET", "x", "1"), ("WATCH", "x"), ("SELECT", "1"), ("SET", "x", "2"),
     ("SELECT", "5"), ("MULTI",), ("PING",), ("EXEC",)],
    # FLUSHALL touches watched keys that exist, not missing ones
    [("SET", "x", "1"), ("WATCH", "x"), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",)],
    [("WATCH", "missing"), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",)],
]


def _run(port: int, sequence) -> list[bytes]:
    conn = RawConnection(port)
    try:
        conn.execute("FLUSHALL")
        return [conn.execute(*command) for command in sequence]
    finally:
        conn.close()


@pytest.mark.parametrize("sequence", SEQUENCES, ids=lambda s: " ".join(c[0] for c in s))
def test_reply_sequences_match_redis(server, real_server, sequence):
    assert _run(server.port, sequence) == _run(real_server.port, sequence)


def test_resp3_aborted_exec_is_null(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("HELLO", "3")
    sequence = [("SET", "w", "1"), ("WATCH", "w"), ("SET", "w", "2"), ("MULTI",),
                ("PING",), ("EXEC",)]
    assert [raw.execute(*c) for c in sequence] == [real_raw.execute(*c) for c in sequence]


def _watch_then(r, port: int, change, key: bytes = b"x") -> object:
    """WATCH key on one connection, let `change` run on another, then MULTI/PING/EXEC."""
    watcher = RawConnection(port)
    try:
        assert watcher.execute("WATCH", key) == b"+OK\r\n"
        change(r)
        watcher.execute("MULTI")
        watcher.execute("PING")
        return watcher.execute("EXEC")
    finally:
        watcher.close()


@pytest.mark.parametrize("change", [
    lambda r: r.set("x", "2"),
    lambda r: r.delete("x"),
    lambda r: r.flushdb(),
    lambda r: r.flushall(),
    lambda r: r.expire("x", 100),
    lambda r: r.persist("x"),
    lambda r: r.rename("x", "y"),
    lambda r: r.rename("z", "x"),
    lambda r: r.move("x", 1),
    lambda r: r.swapdb(0, 1),
], ids=["set", "del", "flushdb", "flushall", "expire", "persist", "rename-from", "rename-to",
        "move", "swapdb"])
def test_watch_broken_by_another_client(r, target_server, change):
    r.set("x", "1", ex=1000)
    r.set("z", "2")
    assert _watch_then(r, target_server.port, change) == b"*-1\r\n"


def test_swapdb_breaks_watch_of_a_missing_key_it_brings(r, target_server):
    other_db = redis.Redis(port=target_server.port, db=1)
    try:
        other_db.set("x", "from db 1")
        assert _watch_then(r, target_server.port, lambda r: r.swapdb(0, 1)) == b"*-1\r\n"
        assert _watch_then(r, target_server.port, lambda r: r.swapdb(1, 2)) == b"*1\r\n+PONG\r\n"
    finally:
        other_db.close()


def test_watch_not_broken_by_other_keys_or_databases(r, target_server):
    r.set("x", "1")
    other_db = redis.Redis(port=target_server.port, db=1)
    try:
        assert _watch_then(r, target_server.port,
                           lambda r: (r.set("y", "2"), other_db.set("x", "3"))) \
            == b"*1\r\n+PONG\r\n"
    finally:
        other_db.close()


def test_watch_broken_by_expiry(r, target_server):
    r.set("x", "1", px=50)
    watcher = RawConnection(target_server.port)
    try:
        watcher.execute("WATCH", "x")
        deadline = time.monotonic() + 10
        while r.exists("x") and time.monotonic() < deadline:
            time.sleep(0.02)
        watcher.execute("MULTI")
        watcher.execute("PING")
        assert watcher.execute("EXEC") == b"*-1\r\n"
    finally:
        watcher.close()


def test_watch_of_key_already_stale_survives_its_deletion(r, target_server):
    """A key watched after its TTL passed (not yet deleted) does not fail EXEC when the
    server then deletes it, nor when FLUSHDB removes it."""
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        for change in (lambda: r.exists("x"), lambda: r.flushdb()):
            r.set("x", "1", px=1)
            time.sleep(0.01)
            watcher = RawConnection(target_server.port)
            try:
                watcher.execute("WATCH", "x")
                change()
                watcher.execute("MULTI")
                watcher.execute("PING")
                assert watcher.execute("EXEC") == b"*1\r\n+PONG\r\n"
            finally:
                watcher.close()
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_exec_fails_when_watched_key_expires_before_exec(r, target_server):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    watcher = RawConnection(target_server.port)
    try:
        r.set("x", "1", px=30)
        watcher.execute("WATCH", "x")
        time.sleep(0.05)
        watcher.execute("MULTI")
        watcher.execute("GET", "x")
        assert watcher.execute("EXEC") == b"*-1\r\n"
    finally:
        watcher.close()
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_redis_py_transactional_pipeline(r, target_server):
    conn = redis.Redis(port=target_server.port)
    try:
        pipe = conn.pipeline(transaction=True)
        pipe.set("a", "1").get("a").ping()
        assert pipe.execute() == [True, b"1", True]
    finally:
        conn.close()


def test_redis_py_pipeline_reports_runtime_errors_in_place(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("a", "1").execute_command("SELECT", "99").set("b", "2")
    results = pipe.execute(raise_on_error=False)
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], redis.ResponseError)
    assert r.get("a") == b"1" and r.get("b") == b"2"


def test_redis_py_pipeline_queueing_error_raises_execabort(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("a", "1").execute_command("SET", "only-key").set("b", "2")
    with pytest.raises(redis.ResponseError) as info:
        pipe.execute()
    assert "EXECABORT" in str(info.value) or "wrong number" in str(info.value)
    assert r.exists("a", "b") == 0


def test_redis_py_transaction_helper_retries_after_conflict(r, target_server):
    other = redis.Redis(port=target_server.port)
    r.set("counter", "10")
    attempts = []

    def add_one(pipe):
        value = int(pipe.get("counter"))
        attempts.append(value)
        if len(attempts) == 1:
            other.set("counter", "20")   # a concurrent write: this attempt must fail
        pipe.multi()
        pipe.set("counter", value + 1)

    try:
        r.transaction(add_one, "counter")
    finally:
        other.close()
    assert attempts == [10, 20]
    assert r.get("counter") == b"21"


def test_redis_py_watch_error(r, target_server):
    other = redis.Redis(port=target_server.port)
    try:
        with r.pipeline() as pipe:
            pipe.watch("k")
            other.set("k", "changed")
            pipe.multi()
            pipe.set("k", "mine")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        assert r.get("k") == b"changed"
    finally:
        other.close()


def test_queued_commands_are_not_run_before_exec(r, target_server):
    conn = RawConnection(target_server.port)
    try:
        conn.execute("MULTI")
        assert conn.execute("SET", "q", "1") == b"+QUEUED\r\n"
        assert r.exists("q") == 0
        assert conn.execute("EXEC") == b"*1\r\n+OK\r\n"
        assert r.get("q") == b"1"
    finally:
        conn.close()


@pytest.mark.parametrize("setting", [("maxmemory", "1"), ("min-replicas-to-write", "2")])
def test_exec_refused_by_server_state_changed_after_queueing(server, real_server, setting):
    """Writes queued, then the server starts refusing writes (OOM, too few replicas): EXEC
    is refused with EXECABORT and the reason; a read-only transaction still runs."""
    name, value = setting
    results = []
    for port in (server.port, real_server.port):
        conn, admin = RawConnection(port), RawConnection(port)
        default = admin.execute("CONFIG", "GET", name).split(b"\r\n")[-2]
        try:
            replies = [conn.execute("MULTI"), conn.execute("SET", "x", "1"),
                       conn.execute("GET", "x")]
            replies.append(admin.execute("CONFIG", "SET", name, value))
            replies += [conn.execute("EXEC"), conn.execute("MULTI"), conn.execute("GET", "x"),
                        conn.execute("EXEC")]
            results.append(replies)
        finally:
            admin.execute("CONFIG", "SET", name, default)
            conn.close()
            admin.close()
    assert results[0] == results[1]
    assert results[0][4].startswith(b"-EXECABORT Transaction discarded because of: ")


def test_exec_is_checked_with_the_flags_its_scripts_declare(server, real_server):
    """EXEC counts as a write when a queued command is one, by the flags it had when queued:
    a script with a shebang writes unless it declares no-writes."""
    results = []
    for port in (server.port, real_server.port):
        conn, admin = RawConnection(port), RawConnection(port)
        replies = []
        try:
            for script in ("#!lua flags=no-writes\nreturn 1", "#!lua\nreturn 1", "return 1"):
                replies += [conn.execute("MULTI"), conn.execute("EVAL", script, "0")]
                admin.execute("CONFIG", "SET", "min-replicas-to-write", "2")
                replies.append(conn.execute("EXEC"))
                admin.execute("CONFIG", "SET", "min-replicas-to-write", "0")
            results.append(replies)
        finally:
            admin.execute("CONFIG", "SET", "min-replicas-to-write", "0")
            conn.close()
            admin.close()
    assert results[0] == results[1]
    assert results[0][2] == b"*1\r\n:1\r\n" and results[0][8] == b"*1\r\n:1\r\n"
    assert results[0][5].startswith(b"-EXECABORT Transaction discarded because of: NOREPLICAS")


def test_commands_not_allowed_in_multi(raw, real_raw):
    sequence = [("MULTI",), ("SET", "a", "1"), ("SHUTDOWN",), ("EXEC",),
                ("GET", "a")]
    assert [raw.execute(*c) for c in sequence] == [real_raw.execute(*c) for c in sequence]


def test_redis_py_asyncio_transaction_with_retries(server):
    import asyncio

    import redis.asyncio

    async def scenario():
        client = redis.asyncio.Redis(port=server.port)
        other = redis.asyncio.Redis(port=server.port)
        attempts = []

        async def double(pipe):
            value = int(await pipe.get("n"))
            attempts.append(value)
            if len(attempts) == 1:
                await other.set("n", "7")
            pipe.multi()
            pipe.set("n", value * 2)

        try:
            await client.set("n", "5")
            await client.transaction(double, "n")
            assert attempts == [5, 7]
            assert await client.get("n") == b"14"
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr("n").get("n")
                assert await pipe.execute() == [15, b"15"]
        finally:
            await client.aclose()
            await other.aclose()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_blocked_clients_are_served_after_the_whole_transaction(server, real_server):
    """A push inside MULTI/EXEC wakes a BLPOP only once EXEC is over: the transaction's own
    LPOP takes the first element, the blocked client gets what is left."""
    results = []
    for port in (server.port, real_server.port):
        blocked, writer = RawConnection(port), RawConnection(port)
        try:
            writer.execute("DEL", "l")
            blocked.send("BLPOP", "l", "0")
            deadline = time.monotonic() + 10
            while b"blocked_clients:1" not in writer.execute("INFO", "clients") \
                    and time.monotonic() < deadline:
                time.sleep(0.01)
            replies = [writer.execute(*c) for c in (("MULTI",), ("RPUSH", "l", "a"),
                                                    ("RPUSH", "l", "b"), ("LPOP", "l"),
                                                    ("EXEC",))]
            results.append((replies, blocked.read_reply(), writer.execute("LLEN", "l")))
        finally:
            blocked.close()
            writer.close()
    assert results[0] == results[1]
    assert results[0][1] == b"*2\r\n$1\r\nl\r\n$1\r\nb\r\n"

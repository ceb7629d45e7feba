"""MIGRATE, compared with redis-server: both move keys into a third server (a real
redis-server with a password), with the same replies, the same keys moved, and MONITOR
showing the passwords as "(redacted)"."""
from __future__ import annotations

import re

import pytest

from helpers import RawConnection, start_server
from pyredis.launch import free_port


@pytest.fixture
def target():
    """A new target for each test: MIGRATE keeps its connections (and what AUTH and
    SELECT did on them) between calls."""
    server = start_server("redis", ["--requirepass", "pw"])
    conn = RawConnection(server.port)
    conn.execute("AUTH", "pw")
    yield server.port, conn
    conn.close()
    server.stop()


def _script(port: int) -> list[tuple]:
    host, closed = "127.0.0.1", str(free_port())      # nobody listens there
    return [
        ("MIGRATE", host, port, "nokey", "0", "1000"),
        ("MIGRATE", host, port, "nokey", "0", "1000", "AUTH"),
        ("MIGRATE", host, port, "nokey", "0", "1000", "AUTH2", "u"),
        ("MIGRATE", host, port, "nokey", "0", "1000", "foo"),
        ("MIGRATE", host, port, "nokey", "0", "x"),
        ("MIGRATE", host, port, "nokey", "x", "1000"),
        ("MIGRATE", host, port, "k", "0", "1000", "KEYS", "a"),
        ("MIGRATE", host, port, "", "0", "1000", "KEYS", "a", "b"),
        ("SET", "k", "v"),
        ("MIGRATE", host, port, "k", "0", "1000"),
        ("MIGRATE", host, port, "k", "0", "1000", "AUTH", "bad"),
        ("MIGRATE", host, port, "k", "0", "1000", "AUTH2", "default", "bad"),
        ("MIGRATE", host, port, "k", "0", "1000", "AUTH", "pw", "COPY"),
        ("EXISTS", "k"),
        ("MIGRATE", host, port, "k", "0", "1000", "AUTH", "pw"),
        ("MIGRATE", host, port, "k", "0", "1000", "AUTH", "pw", "REPLACE"),
        ("EXISTS", "k"),
        ("MSET", "a", "1", "b", "2", "c", "3"),
        ("PEXPIRE", "c", "100000"),
        ("MIGRATE", host, port, "", "1", "1000", "AUTH", "pw", "KEYS", "a", "b", "c", "x"),
        ("EXISTS", "a", "b", "c"),
        ("SET", "d", "1"),
        # a failed SELECT leaves the cached connection in the database it had
        ("MIGRATE", host, port, "d", "99", "1000", "AUTH", "pw"),
        ("MIGRATE", host, port, "d", "1", "1000", "AUTH", "pw"),
        ("MIGRATE", host, closed, "d", "0", "100"),
    ]


def _run(conn: RawConnection, target_conn: RawConnection, script: list[tuple]) -> list:
    target_conn.execute("FLUSHALL")
    replies = [conn.execute(*call) for call in script]
    for db in ("0", "1"):
        target_conn.execute("SELECT", db)
        replies.append(sorted(target_conn.execute("KEYS", "*").split(b"\r\n")))
    replies.append(0 < int(target_conn.execute("PTTL", "c")[1:]) <= 100000)
    target_conn.execute("SELECT", "0")
    return replies


def test_migrate_matches_redis(raw, real_raw, target):
    port, target_conn = target
    script = _script(port)
    assert _run(raw, target_conn, script) == _run(real_raw, target_conn, script)


def test_monitor_redacts_migrate_passwords(server, real_server, target):
    port = target[0]
    seen = []
    for source in (server, real_server):
        conn, monitor = RawConnection(source.port), RawConnection(source.port)
        monitor.execute("MONITOR")
        conn.execute("MIGRATE", "127.0.0.1", port, "key", "9", "5000")
        conn.execute("MIGRATE", "127.0.0.1", port, "key", "9", "5000", "AUTH", "user")
        conn.execute("MIGRATE", "127.0.0.1", port, "key", "9", "5000", "AUTH2", "user", "pass")
        conn.execute("MIGRATE", "127.0.0.1", port, "key", "9", "5000", "AUTH")
        conn.execute("PING")
        seen.append([re.sub(rb"^\+[0-9.]+ \[\d+ [^\]]+\] ", b"", monitor.read_reply())
                     for _ in range(5)])
        conn.close()
        monitor.close()
    assert seen[0] == seen[1]
    assert seen[0][1].endswith(b'"AUTH" "(redacted)"\r\n')
    assert seen[0][2].endswith(b'"AUTH2" "(redacted)" "(redacted)"\r\n')
    # a MIGRATE that answers a syntax error ran: it is shown, its lone AUTH as it came
    assert seen[0][3].endswith(b'"AUTH"\r\n') and seen[0][4] == b'"PING"\r\n'


def test_migrate_keys_of_getkeys(raw, real_raw):
    for call in (("MIGRATE", "h", "1", "", "0", "1", "AUTH2", "keys", "keys", "KEYS", "a"),):
        assert raw.execute("COMMAND", "GETKEYS", *call) == \
            real_raw.execute("COMMAND", "GETKEYS", *call)


def _cached_sockets(conn: RawConnection) -> int:
    info = conn.execute("INFO", "stats").decode()
    return int(re.search(r"migrate_cached_sockets:(\d+)", info).group(1))


def test_connections_are_cached_then_released(real_raw, target):
    """A connection stays after MIGRATE (INFO counts it) until 10 idle seconds pass. On a
    server of its own: the test moves that server's clock forward."""
    port, _ = target
    own = start_server("pyredis")
    raw = RawConnection(own.port)
    try:
        for conn in (raw, real_raw):
            before = _cached_sockets(conn)      # (redis-server may keep one to an older target)
            conn.execute("SET", "k", "v")
            assert conn.execute("MIGRATE", "127.0.0.1", port, "k", "0", "1000", "REPLACE",
                                "AUTH", "pw") == b"+OK\r\n"
            assert _cached_sockets(conn) == before + 1
        raw.execute("DEBUG", "ADVANCE-CLOCK", "11")
        for _ in range(200):
            if _cached_sockets(raw) == 0:
                break
            raw.execute("DEBUG", "SLEEP", "0.01")
        assert _cached_sockets(raw) == 0
    finally:
        raw.close()
        own.stop()

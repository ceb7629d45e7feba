"""Shared fixtures: a pyredis server and the real redis-server, each in a subprocess on a free
127.0.0.1 port, redis-py clients on them, and a pyredis server in a thread of the test process
(`live`, one per test module; `fresh` empties it) for looking at what commands do inside."""
from __future__ import annotations

import pytest
import redis

from helpers import LiveServer, RawConnection, start_server


@pytest.fixture(scope="session", params=["selectors", "uvloop"])
def server(request):
    """A pyredis server shared by the session (tests flush it through the `r` fixture), once
    per I/O backend: every test on it runs on both."""
    proc = start_server("pyredis", io=request.param)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def real_server():
    """The real redis-server, the reference for differential tests."""
    proc = start_server("redis")
    yield proc
    proc.stop()


@pytest.fixture
def r(server):
    client = redis.Redis(port=server.port, socket_timeout=30)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(server):
    conn = RawConnection(server.port)
    conn.execute("FLUSHALL")
    yield conn
    conn.close()


@pytest.fixture
def real_raw(real_server):
    conn = RawConnection(real_server.port)
    conn.execute("FLUSHALL")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def live():
    server = LiveServer()
    yield server
    server.stop()


@pytest.fixture
def fresh(live):
    live.client.flushall()
    return live

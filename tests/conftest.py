"""Shared fixtures: pyredis and the real redis-server, each in a child process on a free
127.0.0.1 port, redis-py clients on them, and a pyredis server in a thread of the test process
(`live`, one per test module; `fresh` empties it) for looking at what commands do inside.

Differential by default: a test that takes the redis-py client `r` runs once per target,
pyredis and the real redis-server, each in RESP2 and RESP3 as redis-py decodes them, unless
it is marked `@pytest.mark.pyredis_only("why")` (it looks at pyredis's own behaviour: its
clock control, its internals, its INFO fields). A test that keeps Redis's expectation where
pyredis differs is marked `@pytest.mark.pyredis_bug("the difference")`: a strict xfail on
pyredis, a plain test on redis-server. pyredis's I/O backends share its two targets
(selectors in RESP2, uvloop in RESP3): both backends and both protocols are covered with as
many runs on pyredis as before. Tests on raw connections (`raw`, `server`) run on pyredis once
per I/O backend.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import pytest
import redis

from helpers import LiveServer, RawConnection, start_server
from pyredis.launch import ServerProcess


class Target(NamedTuple):
    kind: str        # "pyredis" or "redis"
    io: str          # pyredis's I/O backend
    protocol: int    # what the redis-py client speaks


TARGETS = {
    "pyredis-resp2": Target("pyredis", "selectors", 2),
    "pyredis-uvloop-resp3": Target("pyredis", "uvloop", 3),
    "redis-resp2": Target("redis", "", 2),
    "redis-resp3": Target("redis", "", 3),
}
IO_BACKENDS = ["selectors", "uvloop"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pyredis_only(reason): the test is about pyredis alone (its clock control, "
                   "internals, embedded API or INFO fields): `r` is not run on redis-server")
    config.addinivalue_line(
        "markers", "pyredis_bug(reason): pyredis differs from Redis here: the test, which "
                   "asserts Redis's behaviour, is a strict xfail on pyredis")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("pyredis_bug")
        if marker is None:
            continue
        params = getattr(item, "callspec", None)
        target = params.params.get("target", "") if params is not None else ""
        if not target or TARGETS[target].kind == "pyredis":
            item.add_marker(pytest.mark.xfail(strict=True, reason=marker.args[0]))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # (A module may define its own `r`, on a server of its own: then there is no target.)
    names = metafunc.fixturenames
    if "r" in names and "target" in names:
        if "server" in names:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: with `r`, take "
                                    "`target_server` (r's server), not `server`")
        marker = metafunc.definition.get_closest_marker("pyredis_only")
        if marker is not None and not (marker.args or marker.kwargs.get("reason")):
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: pyredis_only needs a "
                                    "reason")
        targets = [name for name, target in TARGETS.items()
                   if marker is None or target.kind == "pyredis"]
        metafunc.parametrize("target", targets)


class ServerPool:
    """The session's servers, started when a test first needs them (FLUSHALL between tests
    is the fixtures' job)."""

    def __init__(self) -> None:
        self.servers: dict[tuple[str, str], ServerProcess] = {}

    def get(self, kind: str, io: str = "selectors") -> ServerProcess:
        key = (kind, io if kind == "pyredis" else "")
        if key not in self.servers:
            self.servers[key] = start_server(kind, io=io)
        return self.servers[key]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture(scope="session")
def pool() -> Iterator[ServerPool]:
    servers = ServerPool()
    yield servers
    servers.stop()


@pytest.fixture(scope="session", params=IO_BACKENDS)
def server(request: pytest.FixtureRequest, pool: ServerPool) -> ServerProcess:
    """pyredis, once per I/O backend, for tests on raw connections."""
    return pool.get("pyredis", request.param)


@pytest.fixture
def target_server(target: str, pool: ServerPool) -> ServerProcess:
    """The server `r` talks to (`target` is parametrized for every test that takes `r`)."""
    return pool.get(TARGETS[target].kind, TARGETS[target].io)


@pytest.fixture(scope="session")
def real_server(pool: ServerPool) -> ServerProcess:
    """The real redis-server, the reference for differential tests."""
    return pool.get("redis")


@pytest.fixture
def protocol(target: str) -> int:
    """The RESP version `r` speaks (for assertions on replies redis-py decodes differently)."""
    return TARGETS[target].protocol


@pytest.fixture
def r(target_server: ServerProcess, protocol: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=target_server.port, protocol=protocol, socket_timeout=30)
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

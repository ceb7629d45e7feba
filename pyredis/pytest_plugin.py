"""pytest plugin: a real pyredis server for your tests (registered as the pytest11 entry point
`pyredis.pytest_plugin`; without the installed entry point, `-p pyredis.pytest_plugin`).

Fixtures:
    pyredis_server        the session's server (pyredis.Server): .port, .url, .client(),
                          .clock.advance(seconds); one per xdist worker
    pyredis_client        a redis.Redis on it, every database flushed before the test
    pyredis_async_client  a redis.asyncio.Redis on it, every database flushed before the test

Options: --pyredis-port (default: a free port; xdist worker gwN uses port+N),
--pyredis-config (a redis.conf file), --pyredis-process (run the server in a child process
instead of a thread of the test process).
"""
from __future__ import annotations

import os
from typing import Any, Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyredis", "a real Redis-compatible server (pyredis)")
    group.addoption("--pyredis-port", type=int, default=0, metavar="PORT",
                    help="port of the pyredis_server fixture (default: a free port); "
                         "with pytest-xdist, worker gwN listens on PORT+N")
    group.addoption("--pyredis-config", default=None, metavar="PATH",
                    help="a redis.conf file for the pyredis_server fixture")
    group.addoption("--pyredis-process", action="store_true", default=False,
                    help="run the pyredis_server fixture in a child process instead of a "
                         "thread of the test process")


def _worker_index(config: pytest.Config) -> int:
    """0 without xdist; N for xdist's worker gwN."""
    worker = getattr(config, "workerinput", {}).get("workerid") \
        or os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


@pytest.fixture(scope="session")
def pyredis_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A pyredis server shared by the session (by each xdist worker's session)."""
    from .embedded import EmbeddedServer
    config = request.config
    port = config.getoption("pyredis_port")
    if port:
        port += _worker_index(config)
    config_file = config.getoption("pyredis_config")
    if config.getoption("pyredis_process"):
        server = EmbeddedServer.start_process(port, config_file=config_file)
    else:
        server = EmbeddedServer(port, config_file=config_file).start()
    try:
        yield server
    finally:
        server.stop()


def _flush(server: Any) -> None:
    with server.client() as client:
        client.flushall()


@pytest.fixture
def pyredis_client(pyredis_server: Any) -> Iterator[Any]:
    """A redis-py client on the session's server, every database flushed before the test."""
    _flush(pyredis_server)
    client = pyredis_server.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def pyredis_async_client(pyredis_server: Any) -> Iterator[Any]:
    """A redis.asyncio client on the session's server, every database flushed before the
    test. It connects in the event loop of the test that uses it (pytest-asyncio, anyio, or
    asyncio.run inside the test); what it leaves open is closed after the test."""
    _flush(pyredis_server)
    client = pyredis_server.async_client()
    try:
        yield client
    finally:
        _close_async_client(client)


def _close_async_client(client: Any) -> None:
    """Close the connections a test left open. Their event loop has usually ended with the
    test, so they cannot close through it: each transport is then closed directly, as its
    loop's next step would have (no socket left behind, no ResourceWarning)."""
    pool = client.connection_pool
    for conn in [*pool._available_connections, *pool._in_use_connections]:
        writer = conn._writer
        if writer is None:
            continue
        transport = writer.transport
        try:
            transport.abort()
        except RuntimeError:                 # "Event loop is closed"
            connection_lost = getattr(transport, "_call_connection_lost", None)
            if connection_lost is not None:
                connection_lost(None)
        conn._writer = conn._reader = None

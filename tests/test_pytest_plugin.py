"""The pytest plugin (pyredis.pytest_plugin), run on small test suites with pytester: its
fixtures, its options, xdist, and nothing left behind by failing or interrupted runs."""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import random
import shutil
import signal
import socket
import sys
import threading
import time

import pytest
# Imported here so that they stay loaded: pytester's in-process runs unload what they import.
import redis  # noqa: F401
import redis.asyncio  # noqa: F401
import hypothesis  # noqa: F401  (its pytest plugin imports it when a run ends)

import pyredis
import pyredis.commands
from helpers import ROOT, free_port

# All of pyredis too: were a run to unload a submodule the `pyredis` package still refers to,
# a later import would mix two generations of its classes. (Commands first, in their table's
# order; __main__ would start a server.)
pyredis.commands.load_all()
for _module in pkgutil.walk_packages(pyredis.__path__, "pyredis."):
    if not _module.name.endswith("__main__"):
        importlib.import_module(_module.name)

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "pyredis.pytest_plugin")
# For pytest subprocesses: hypothesis's plugin alone takes seconds to load on a busy machine.
LEAN = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")


@pytest.fixture(autouse=True)
def importable(monkeypatch):
    """Subprocess runs import pyredis from this checkout."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")])))


def test_fixtures(pytester):
    pytester.makepyfile("""
        import asyncio

        SEEN = []

        def test_server(pyredis_server):
            SEEN.append(pyredis_server)
            assert pyredis_server.mode == "thread" and pyredis_server.port > 0
            assert pyredis_server.client().ping()

        def test_client_writes(pyredis_client, pyredis_server):
            pyredis_client.set("k", "v")
            pyredis_server.client(db=5).set("other", "db")
            assert pyredis_client.get("k") == b"v"

        def test_every_database_is_flushed_before_each_test(pyredis_client, pyredis_server):
            assert pyredis_server is SEEN[0]          # one server for the session
            assert pyredis_client.dbsize() == 0
            assert pyredis_server.client(db=5).dbsize() == 0

        def test_async_client(pyredis_async_client):
            async def main():
                await pyredis_async_client.set("a", "1")
                return await pyredis_async_client.get("a")
            assert asyncio.run(main()) == b"1"

        def test_async_client_flushed(pyredis_async_client):
            async def main():
                size = await pyredis_async_client.dbsize()
                await pyredis_async_client.aclose()
                return size
            assert asyncio.run(main()) == 0
    """)
    result = pytester.runpytest(*PLUGIN, "-W", "error::ResourceWarning")
    result.assert_outcomes(passed=5)


def test_options_port_config_and_process(pytester, monkeypatch):
    # The inner run is no xdist worker, even when this test runs in one (workers offset
    # --pyredis-port by their number).
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    port = free_port()
    pytester.makefile(".conf", myredis="databases 3\nrequirepass secret\n")
    pytester.makepyfile(f"""
        import redis, pytest, socket

        def test_options(pyredis_server, pyredis_client):
            assert pyredis_server.port == {port}
            assert pyredis_server.mode == "process"
            assert pyredis_client.ping()                      # with the password
            with socket.create_connection(("127.0.0.1", {port}), timeout=30) as sock:
                sock.sendall(b"PING\\r\\n")
                assert sock.recv(100).startswith(b"-NOAUTH")
            with pytest.raises(redis.ResponseError, match="DB index is out of range"):
                pyredis_client.execute_command("SELECT", 3)
    """)
    result = pytester.runpytest(*PLUGIN, "--pyredis-port", str(port),
                                "--pyredis-config", "myredis.conf", "--pyredis-process")
    result.assert_outcomes(passed=1)


def test_sample_app_suite(pytester):
    """examples/sessions: an app's test suite moved from fakeredis to the plugin's fixtures."""
    shutil.copytree(os.path.join(ROOT, "examples", "sessions"), pytester.path,
                    dirs_exist_ok=True)
    result = pytester.runpytest(*PLUGIN, "-W", "error::ResourceWarning")
    result.assert_outcomes(passed=8)


def test_help_lists_the_options(pytester):
    result = pytester.runpytest(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(["*--pyredis-port=PORT*", "*--pyredis-config=PATH*",
                                 "*--pyredis-process*"])


def two_free_ports() -> int:
    """A port P such that P and P+1 are both free now (below the ephemeral range, where
    the OS would hand P out again and again and client sockets take the ports around it)."""
    for _ in range(100):
        port = random.randrange(20000, 30000)
        try:
            for candidate in (port, port + 1):
                with socket.socket() as sock:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server
                    sock.bind(("127.0.0.1", candidate))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def test_xdist_runs_one_server_per_worker(pytester):
    pytest.importorskip("xdist")
    out = pytester.path / "ports"
    out.mkdir()
    pytester.makepyfile(f"""
        import os, pytest

        @pytest.mark.parametrize("n", range(4))
        def test_record(pyredis_server, pyredis_client, n):
            pyredis_client.set("n", n)
            worker = os.environ["PYTEST_XDIST_WORKER"]
            with open(os.path.join({str(out)!r}, f"{{worker}}-{{n}}"), "w") as f:
                f.write(str(pyredis_server.port))
    """)
    port = two_free_ports()
    result = pytester.runpytest_subprocess(*LEAN, *PLUGIN, "-n", "2", "--pyredis-port",
                                           str(port), timeout=120)
    result.assert_outcomes(passed=4)
    ports: dict[str, set] = {}
    for path in out.iterdir():
        ports.setdefault(path.name.split("-")[0], set()).add(int(path.read_text()))
    # one server per worker, worker gwN on port+N
    assert ports == {w: {port + int(w[2:])} for w in ports}


def test_failing_test_leaves_nothing_behind(pytester):
    record = pytester.path / "dir.txt"
    pytester.makepyfile(f"""
        def test_fails(pyredis_server, pyredis_client):
            with open({str(record)!r}, "w") as f:
                f.write(pyredis_server.dir)
            pyredis_client.set("k", "v")
            assert False, "a failing test"
    """)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    assert not os.path.exists(record.read_text())
    assert not [t for t in threading.enumerate() if t.name.startswith("pyredis-server")]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_interrupted_run_leaves_nothing_behind(pytester, mode):
    """Ctrl-C in the middle of a test: the server stops, its directory goes."""
    mark = pytester.path / "started.json"
    pytester.makepyfile(f"""
        import json, os, time

        def test_uses_the_server(pyredis_server):
            info = {{"dir": pyredis_server.dir,
                     "pid": pyredis_server._process.pid if pyredis_server._process else 0}}
            with open({str(mark)!r} + ".tmp", "w") as f:
                json.dump(info, f)
            os.replace({str(mark)!r} + ".tmp", {str(mark)!r})
            for _ in range(3000):              # waits for Ctrl-C, 30 s at most
                time.sleep(0.01)
    """)
    args = [sys.executable, "-m", "pytest", *LEAN, *PLUGIN]
    if mode == "process":
        args.append("--pyredis-process")
    # A shell that started this suite in the background may have left SIGINT ignored, and a
    # Python started with SIGINT ignored never turns it into KeyboardInterrupt: restore it.
    proc = pytester.popen(args, preexec_fn=_default_sigint)
    try:
        for _ in range(3000):
            if mark.exists() or proc.poll() is not None:
                break
            time.sleep(0.01)
        info = json.loads(mark.read_text())
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 2           # pytest's "interrupted"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert not os.path.exists(info["dir"])
    if info["pid"]:
        assert not os.path.exists(f"/proc/{info['pid']}") or \
            open(f"/proc/{info['pid']}/stat").read().split(") ")[1][0] == "Z"


def test_entry_point_is_declared():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    assert project["entry-points"]["pytest11"] == {
        "pyredis.pytest_plugin": "pyredis.pytest_plugin"}

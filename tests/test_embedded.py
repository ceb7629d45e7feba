"""The embedded server (pyredis.Server): in a thread and in a child process, its
configuration keywords, its errors, and what it leaves behind (nothing)."""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading

import pytest
import redis

import pyredis
from helpers import ROOT, RawConnection


def server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pyredis-server")]


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(params=["thread", "process"])
def start(request):
    """Start a server in the mode under test; every server is stopped afterwards."""
    started = []

    def start_server(**kwargs):
        if request.param == "thread":
            server = pyredis.Server(**kwargs).start()
        else:
            server = pyredis.Server.start_process(**kwargs)
        started.append(server)
        return server

    yield start_server
    for server in started:
        server.stop()


def test_server_answers_on_a_free_port_and_cleans_up(start):
    server = start(port=0)
    assert server.state == "running" and server.port > 0
    assert server.url == f"redis://127.0.0.1:{server.port}"
    client = server.client()
    assert client.set("greeting", "hello") and client.get("greeting") == b"hello"
    assert redis.Redis.from_url(server.url).get("greeting") == b"hello"
    data_dir = server.dir
    assert os.path.isdir(data_dir)
    pid = server._process.pid if server.mode == "process" else None
    server.stop()
    assert server.state == "stopped"
    assert not os.path.exists(data_dir)
    assert server_threads() == []
    if pid is not None:
        assert not process_alive(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    server.stop()                                  # stopping twice does nothing


def test_config_keywords_use_redis_names(start):
    server = start(requirepass="s3cret", databases=4, notify_keyspace_events="Kx",
                   enable_debug_command=True)
    assert server.url == f"redis://:s3cret@127.0.0.1:{server.port}"
    client = server.client()                       # the password is passed along
    assert client.ping()
    assert client.execute_command("SELECT", 3)
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        client.execute_command("SELECT", 4)
    raw = RawConnection(server.port)
    assert raw.execute("PING").startswith(b"-NOAUTH")
    raw.close()


def test_config_file_then_keywords(start, tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("databases 2\nrequirepass fromfile\nport 1\n")
    server = start(config_file=str(conf), requirepass="fromkwargs")
    client = server.client()
    assert client.execute_command("SELECT", 1)                # from the file
    with pytest.raises(redis.ResponseError):
        client.execute_command("SELECT", 2)
    assert server.password == "fromkwargs"                     # keywords win
    assert server.port != 1                                    # the port argument wins


@pytest.mark.parametrize("kwargs, message", [
    ({"maxmemory": "lots"}, "invalid config maxmemory='lots': argument must be a memory value"),
    ({"appendonly": "maybe"}, "invalid config appendonly='maybe': argument must be 'yes' or 'no'"),
    ({"maxmemroy": "1mb"}, "invalid config maxmemroy='1mb': Bad directive or wrong number of "
                           "arguments (did you mean maxmemory?)"),
    ({"save": ["3600"]}, "invalid config save='3600': Invalid save parameters"),
    ({"hz": {}}, "invalid config hz={}: expected a string, a number, True/False or a list"),
    ({"port": 70000}, "invalid port 70000"),
    ({"dir": "/no/such/dir"}, "invalid config dir='/no/such/dir': No such file or directory"),
])
def test_bad_config_is_refused_before_anything_starts(kwargs, message):
    before = set(os.listdir(tempfile.gettempdir()))
    with pytest.raises(pyredis.ConfigError) as info:
        pyredis.Server(**kwargs)
    assert str(info.value).startswith(message)
    with pytest.raises(pyredis.ConfigError):
        pyredis.Server.start_process(**kwargs)
    assert server_threads() == []
    assert set(os.listdir(tempfile.gettempdir())) - before == set()


def test_bad_config_file_is_refused(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("# test\nmaxmemory lots\n")
    with pytest.raises(pyredis.ConfigError, match=r"line 2 \('maxmemory lots'\): argument "
                                                  r"must be a memory value"):
        pyredis.Server(config_file=str(conf))
    with pytest.raises(pyredis.ConfigError, match="can't open config file"):
        pyredis.Server(config_file=str(tmp_path / "missing.conf"))
    conf.write_text(f"include {tmp_path / 'missing.conf'}\n")
    with pytest.raises(pyredis.ConfigError, match="can't open config file"):
        pyredis.Server(config_file=str(conf))


def test_port_already_taken(start):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="Address already in use") as info:
            start(port=port)
        assert info.value.errno == 98
    assert server_threads() == []


def test_start_twice_and_restart_are_refused(start):
    server = start()
    with pytest.raises(pyredis.ServerStateError, match="already running"):
        server.start()
    server.stop()
    with pytest.raises(pyredis.ServerStateError, match="was stopped"):
        server.start()
    with pytest.raises(pyredis.ServerStateError, match="was stopped"):
        with server:
            pass
    with pytest.raises(pyredis.ServerStateError, match="was stopped"):
        server.client()


def test_with_block_starts_in_a_thread_and_stops():
    with pyredis.Server() as server:
        assert server.mode == "thread"
        assert server.client().ping()
    assert server.state == "stopped" and server_threads() == []


def test_stop_from_another_thread_while_clients_are_connected():
    server = pyredis.Server().start()
    client = server.client()
    client.set("k", "v")
    raw = RawConnection(server.port)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive() and server_threads() == []
    with pytest.raises((ConnectionError, OSError)):
        raw.execute("PING")
    raw.close()


def test_thread_logs_go_to_the_pyredis_logger(caplog):
    caplog.set_level(logging.INFO, logger="pyredis")
    with pyredis.Server():
        pass
    messages = [r.getMessage() for r in caplog.records if r.name == "pyredis"]
    assert "Ready to accept connections" in messages
    assert "User requested shutdown..." in messages


def test_process_logs_are_relayed_when_it_stops(caplog):
    caplog.set_level(logging.INFO, logger="pyredis")
    server = pyredis.Server.start_process()
    server.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == "pyredis"]
    assert "Ready to accept connections" in messages


def test_a_process_server_does_not_outlive_its_parent(tmp_path):
    """The child watches its stdin: when the parent dies (even SIGKILLed), it exits and
    removes its directory."""
    script = ("import os, sys, pyredis\n"
              "s = pyredis.Server.start_process()\n"
              "print(s._process.pid, s.dir, flush=True)\n"
              "os._exit(0)\n")                     # no cleanup at all in the parent
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, PYTHONPATH=ROOT))
    pid, data_dir = out.stdout.split()
    deadline_polls = 500
    while process_alive(int(pid)) and deadline_polls:
        threading.Event().wait(0.02)
        deadline_polls -= 1
    assert not process_alive(int(pid))
    assert not os.path.exists(data_dir)


def test_startup_benchmark_smoke_run(tmp_path):
    """benchmarks/startup.py runs each case and writes its table into a README (one run: a
    check that it works, not of speed)."""
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- startup results: start -->\nold\n<!-- startup results: end -->\n")
    out = subprocess.run([sys.executable, "-m", "benchmarks.startup", "--runs", "1",
                          "--readme", str(readme)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    for row in ("pyredis.Server().start()  (thread)", "pyredis.Server.start_process()",
                "first start, imports included", "redis-server 7"):
        assert f"| {row}" in out.stdout
    text = readme.read_text()
    assert "old" not in text and "| pyredis.Server.start_process()" in text
    assert server_threads() == []

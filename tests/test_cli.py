"""The command line and config file, as redis-server's, and redis-cli's bulk modes."""
import os
import socket
import subprocess
import sys

import pytest

from helpers import ROOT, start_server, free_port
from pyredis.launch import ServerProcess, pyredis_command

PYREDIS = [sys.executable, "-m", "pyredis"]
ENV = dict(os.environ, PYTHONPATH=ROOT)


def _run_both(args, tmp_path, stdin=None):
    ours = subprocess.run(PYREDIS + args, capture_output=True, text=True, timeout=30,
                          env=ENV, cwd=tmp_path, input=stdin)
    theirs = subprocess.run(["redis-server"] + args, capture_output=True, text=True,
                            timeout=30, cwd=tmp_path, input=stdin)
    return ours, theirs


@pytest.mark.parametrize("args", [
    ["--port", "0", "--no-such-directive", "1"],
    ["--port", "0", "--maxmemory", "lots"],
    ["--port", "0", "--appendonly", "maybe"],
    ["--port", "0", "--loglevel", "loud"],
    ["--port", "0", "--save", "10"],
    ["--port", "0", "--client-output-buffer-limit", "bogus 1 2 3"],
])
def test_fatal_config_errors_match_redis(args, tmp_path):
    ours, theirs = _run_both(args, tmp_path)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr + ours.stdout == theirs.stderr + theirs.stdout


def test_fatal_error_in_config_file_matches_redis(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# a comment\nport 0\n\nsave \"\"\nbind 127.0.0.1\nhz ten\n")
    ours, theirs = _run_both([str(conf)], tmp_path)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr + ours.stdout == theirs.stderr + theirs.stdout


def test_config_file_then_options(tmp_path):
    """The file is read first, command-line options override it, `-` reads stdin."""
    port = free_port()
    conf = tmp_path / "redis.conf"
    conf.write_text(f"port 1\nbind 127.0.0.1\nsave \"\"\n")
    more = tmp_path / "stdin.conf"
    more.write_text("databases 4\n")
    with open(more, "rb") as stdin:
        proc = ServerProcess(pyredis_command([str(conf), "--port", str(port), "-"]), port,
                             cwd=str(tmp_path), stdin=stdin)
    try:
        out = subprocess.run(["redis-cli", "-p", str(port), "SELECT", "4"],
                             capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == "ERR DB index is out of range"
    finally:
        proc.stop()


def test_version_flag():
    out = subprocess.run(PYREDIS + ["--version"], capture_output=True, text=True, env=ENV,
                         timeout=30)
    assert out.stdout.startswith("Redis server v=7.0.15 ")


def test_sigterm_shuts_down_cleanly(tmp_path):
    server = start_server("pyredis")
    try:
        server.proc.terminate()
        assert server.proc.wait(10) == 0
    finally:
        server.stop()


def test_unix_socket(tmp_path):
    path = str(tmp_path / "pyredis.sock")
    server = start_server("pyredis", ["--unixsocket", path])
    try:
        out = subprocess.run(["redis-cli", "-s", path, "PING"], capture_output=True,
                             text=True, timeout=30)
        assert out.stdout.strip() == "PONG"
    finally:
        server.stop()
    assert not os.path.exists(path), "the socket file is removed at shutdown"


def test_redis_cli_pipe_mass_insertion(target_server, r):
    """redis-cli --pipe: 100,000 SETs, then its closing ECHO, all acknowledged."""
    n = 100_000
    payload = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n"
                       % (len(b"key:%d" % i), i, len(b"val:%d" % i), i) for i in range(n))
    out = subprocess.run(["redis-cli", "-p", str(target_server.port), "--pipe"], input=payload,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert b"errors: 0, replies: %d" % n in out.stdout
    assert r.dbsize() == n
    assert r.get("key:99999") == b"val:99999"


def test_redis_cli_scan(target_server, r):
    r.mset({f"user:{i}": i for i in range(2000)})
    r.mset({f"other:{i}": i for i in range(500)})
    out = subprocess.run(["redis-cli", "-p", str(target_server.port), "--scan", "--pattern",
                          "user:*"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert sorted(out.stdout.split()) == sorted(f"user:{i}" for i in range(2000))


def test_redis_benchmark_runs_without_error_replies(server):
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-t",
                          "ping,set,get,incr,mset", "-P", "16", "-c", "50", "-n", "20000", "-q"],
                         capture_output=True, text=True, timeout=120)
    # redis-benchmark exits non-zero at the first error reply
    assert out.returncode == 0, out.stdout + out.stderr
    for test in ("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET"):
        assert f"\n{test}" in out.stdout


@pytest.mark.parametrize("protected", ["yes", "no"])
def test_protected_mode_refuses_non_loopback_peers_as_redis(protected):
    """With no password, a peer other than 127.0.0.1 / ::1 gets Redis's DENIED text."""
    replies = []
    for kind in ("pyredis", "redis"):
        server = start_server(kind, ["--protected-mode", protected])
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10,
                                          source_address=("127.0.0.2", 0)) as sock:
                sock.sendall(b"PING\r\n")
                data = b""
                while not data.endswith(b"\r\n"):
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                replies.append(data)
        finally:
            server.stop()
    assert replies[0] == replies[1]
    assert replies[0].startswith(b"-DENIED" if protected == "yes" else b"+PONG")

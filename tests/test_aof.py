"""The append-only file: Redis 7's multi-part layout written and read both ways with
redis-server and accepted by redis-check-aof, replay at start-up, BGREWRITEAOF and
CONFIG SET appendonly at run time, and what a kill -9 or a full disk leaves behind."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import pyredis
from pyredis.launch import PACKAGE_ROOT, ServerProcess, free_port, launch, pyredis_command

AOF_ARGS = ["--appendonly", "yes", "--enable-debug-command", "yes"]
WAIT = 20.0      # seconds a background job may take before a test gives up


def start(kind: str, folder: str, *args: str) -> ServerProcess:
    os.makedirs(folder, exist_ok=True)
    return launch(kind, [*AOF_ARGS, *args], cwd=folder)


def client(server: ServerProcess) -> redis.Redis:
    # No retries: a command whose reply did not come is not acknowledged.
    return redis.Redis(port=server.port, socket_timeout=30, retry=Retry(NoBackoff(), 0))


def fill(c: redis.Redis) -> None:
    """Keys of every type, with an expiry and a second database, a function library."""
    c.set("s", "hello")
    c.set("n", 12345)
    c.rpush("l", *[f"i{i}" for i in range(150)])
    c.sadd("set", *range(100), "x")
    c.zadd("z", {"a": 1.5, "b": -2, "c": 1e100, "d": float("inf")})
    c.hset("h", mapping={f"f{i}": f"v{i}" for i in range(70)})
    c.xadd("st", {"f": "v"}, id="1-1")
    c.xadd("st", {"g": "w", "h": "x"}, id="2-1")
    c.xgroup_create("st", "grp", id="0")
    c.xreadgroup("grp", "alice", {"st": ">"}, count=1)
    c.xgroup_createconsumer("st", "grp", "bob")
    c.set("ttl", "v", px=3_600_000)
    c.execute_command("SELECT", 3)  # the client's own connection: one database for it
    c.function_load("#!lua name=lib\nredis.register_function('f', function() return 1 end)")


def fill_other_db(c: redis.Redis) -> None:
    c.set_response_callback("INCRBYFLOAT", lambda reply, **options: reply)   # QUEUED
    c.execute_command("MULTI")
    c.execute_command("SELECT", 5)
    c.execute_command("SET", "in5", "v")
    c.execute_command("INCRBYFLOAT", "fl", "1.5")
    c.execute_command("EXEC")


def wait_rewrite(c: redis.Redis) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        info = c.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"] \
                and info.get("aof_enabled") == 1:
            return
        time.sleep(0.02)
    raise TimeoutError("the AOF rewrite did not finish")


def written_files(folder: str) -> dict:
    aof_dir = os.path.join(folder, "appendonlydir")
    return {name: open(os.path.join(aof_dir, name), "rb").read()
            for name in sorted(os.listdir(aof_dir))}


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_files_interchange_with_redis_server(tmp_path, preamble: str) -> None:
    """Each server loads what the other wrote (a rewritten base and an incremental file),
    to the same DEBUG DIGEST; redis-check-aof accepts pyredis's directory."""
    digests = {}
    for writer, reader in (("redis", "pyredis"), ("pyredis", "redis")):
        folder = str(tmp_path / writer)
        server = start(writer, folder, "--aof-use-rdb-preamble", preamble)
        try:
            c = client(server)
            fill(c)
            c.bgrewriteaof()
            wait_rewrite(c)
            fill_other_db(c)
            c.delete("n")
            digests[writer] = c.execute_command("DEBUG", "DIGEST")
        finally:
            server.stop()
        if writer == "pyredis":
            check = subprocess.run(
                ["redis-check-aof", os.path.join(folder, "appendonlydir",
                                                 "appendonly.aof.manifest")],
                capture_output=True, text=True, timeout=WAIT)
            assert "All AOF files and manifest are valid" in check.stdout, check.stdout
            base = [n for n in written_files(folder) if ".base." in n]
            assert base == ["appendonly.aof.2.base." + ("rdb" if preamble == "yes" else "aof")]
        copy = str(tmp_path / f"{writer}-read-by-{reader}")
        shutil.copytree(folder, copy)
        server = start(reader, copy)
        try:
            assert client(server).execute_command("DEBUG", "DIGEST") == digests[writer]
        finally:
            server.stop()
    assert digests["redis"] == digests["pyredis"]


def test_same_bytes_as_redis_server(tmp_path) -> None:
    """The incremental file and the manifest of the same commands, byte for byte."""
    files = {}
    for kind in ("redis", "pyredis"):
        folder = str(tmp_path / kind)
        server = start(kind, folder, "--appendfsync", "always")
        try:
            c = client(server)
            c.set("k", "v", ex=100)
            fill_other_db(c)
            c.rpush("l", "a", "b")
            c.lpop("l")
            c.delete("nothing")
        finally:
            server.stop()
        files[kind] = written_files(folder)
        files[kind].pop("appendonly.aof.1.base.rdb")    # ctime and used-mem differ
        incr = "appendonly.aof.1.incr.aof"
        files[kind][incr] = re.sub(rb"PXAT\r\n\$13\r\n\d{13}", b"PXAT", files[kind][incr])
    assert files["pyredis"] == files["redis"]


def test_config_set_appendonly_and_rewrite_scheduling(tmp_path) -> None:
    """appendonly yes at run time writes a base by a rewrite; BGSAVE and BGREWRITEAOF wait
    for each other as in Redis; INFO persistence has Redis's aof_* fields."""
    replies = {}
    for kind in ("redis", "pyredis"):
        folder = str(tmp_path / kind)
        os.makedirs(folder)
        server = launch(kind, ["--enable-debug-command", "yes"], cwd=folder)
        try:
            c = client(server)
            c.set("before", 1)
            c.config_set("rdb-key-save-delay", 1_000_000)   # a slow child: 1 s a key
            out = [c.config_set("appendonly", "yes"),
                   c.info("persistence")["aof_enabled"]]
            for command in (["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["BGREWRITEAOF"]):
                try:
                    out.append(c.execute_command(*command))
                except redis.ResponseError as exc:
                    out.append(str(exc))
            c.config_set("rdb-key-save-delay", 0)
            os.kill(int(subprocess.check_output(["pgrep", "-P", str(server.pid)])),
                    signal.SIGKILL)
            wait_rewrite(c)      # the failed rewrite is scheduled again
            c.set("after", 2)
            info = c.info("persistence")
            out.append(info["aof_last_bgrewrite_status"])
            out.append([name for name in info if name.startswith(("aof_", "module_fork"))])
            replies[kind] = out
        finally:
            server.stop()
        server = start(kind, folder)
        try:
            assert client(server).mget("before", "after") == [b"1", b"2"]
        finally:
            server.stop()
    assert replies["pyredis"] == replies["redis"]


def test_bad_files_stop_the_start(tmp_path) -> None:
    """A truncated tail is cut with aof-load-truncated; a corrupt command or manifest stops
    the server with Redis's log, nothing half-loaded is served."""
    folder = str(tmp_path / "p")
    server = start("pyredis", folder, "--appendfsync", "always")
    try:
        client(server).set("a", 1)
        client(server).set("b", 2)
    finally:
        server.stop()
    aof_dir = os.path.join(folder, "appendonlydir")
    incr = os.path.join(aof_dir, "appendonly.aof.1.incr.aof")
    with open(incr, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1")      # a write cut short by a crash
    server = start("pyredis", folder)
    try:
        assert client(server).mget("a", "b", "c") == [b"1", b"2", None]
    finally:
        server.stop()
    log = os.path.join(folder, "log")
    cases = [(b"!bad\r\n", "incr", "Bad file format reading the append only file"),
             (b"file x seq 1 type x\n", "manifest", "Unknown AOF file type")]
    for garbage, which, message in cases:
        path = incr if which == "incr" else os.path.join(aof_dir, "appendonly.aof.manifest")
        saved = open(path, "rb").read()
        with open(path, "ab") as f:
            f.write(garbage)
        proc = subprocess.run(pyredis_command([*AOF_ARGS, "--port", str(free_port()),
                                               "--logfile", log]),
                              cwd=folder, env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT),
                              timeout=WAIT)
        assert proc.returncode == 1
        assert message in open(log).read()
        with open(path, "wb") as f:
            f.write(saved)


def write_load(server: ServerProcess, clients: int, per_client: int
               ) -> tuple[list[list[bytes]], list[threading.Thread]]:
    """Threads writing their own keys until the server dies or they are done; the keys
    each got a reply for, in order, fill in as they go."""
    acked: list[list[bytes]] = [[] for _ in range(clients)]

    def run(index: int) -> None:
        c = client(server)
        for i in range(per_client):
            key = b"c%d:%d" % (index, i)
            try:
                c.set(key, i)
            except (redis.ConnectionError, redis.TimeoutError):
                return
            acked[index].append(key)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    return acked, threads


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_kill_9_under_load(tmp_path, policy: str) -> None:
    """kill -9 while clients write (with always, once more while a rewrite runs): with
    always every acknowledged write is there after the restart; with everysec what is lost
    is the last writes of each client, never one in the middle."""
    folder = str(tmp_path / "p")
    for iteration in range(2 if policy == "always" else 1):
        server = start("pyredis", folder, "--appendfsync", policy)
        c = client(server)
        child = None
        if iteration == 1:
            c.config_set("rdb-key-save-delay", 20_000)    # 20 ms a key: seconds in all
            c.bgrewriteaof()
            child = int(subprocess.check_output(["pgrep", "-P", str(server.pid)]))
        acked, threads = write_load(server, clients=4, per_client=400)
        deadline = time.monotonic() + WAIT
        while sum(map(len, acked)) < 200 * (iteration + 1) and time.monotonic() < deadline:
            time.sleep(0.005)
        if child is not None:
            assert c.info("persistence")["aof_rewrite_in_progress"] == 1
        os.kill(server.pid, signal.SIGKILL)
        if child is not None:
            os.kill(child, signal.SIGKILL)
        for thread in threads:
            thread.join(WAIT)
        server.wait()
        server = start("pyredis", folder)
        try:
            c = client(server)
            for keys in acked:
                present = [v is not None for v in c.mget(keys)] if keys else []
                if policy == "always":
                    assert all(present)
                else:
                    assert present == sorted(present, reverse=True)
        finally:
            server.stop()


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_full_disk(tmp_path, policy: str) -> None:
    """Files limited in size (RLIMIT_FSIZE): with everysec writes are refused with MISCONF
    until the disk has room again; with always the server stops. Nothing acknowledged is
    lost."""
    folder = str(tmp_path / "p")
    os.makedirs(folder)
    port = free_port()
    args = [*AOF_ARGS, "--port", str(port), "--save", "", "--appendfsync", policy]
    server = ServerProcess(["prlimit", "--fsize=4000:unlimited", *pyredis_command(args)], port,
                           cwd=folder, env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    c = client(server)
    acked = []
    refused = ""
    try:
        for i in range(200):
            try:
                c.set(b"k%d" % i, b"x" * 50)
            except redis.ResponseError as exc:
                refused = str(exc)
                break
            except redis.ConnectionError:
                break
            acked.append(b"k%d" % i)
        if policy == "everysec":
            assert refused.startswith("MISCONF Errors writing to the AOF file: ")
            assert c.info("persistence")["aof_last_write_status"] == "err"
            subprocess.run(["prlimit", "--pid", str(server.pid), "--fsize=unlimited"],
                           check=True)
            deadline = time.monotonic() + WAIT
            while c.info("persistence")["aof_last_write_status"] != "ok" and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            c.set("later", 1)
            acked.append(b"later")
        else:
            assert server.wait() == 1
            assert 10 < len(acked) < 200
    finally:
        server.stop()
    server = start("pyredis", folder)
    try:
        assert None not in client(server).mget(acked)
    finally:
        server.stop()


def test_embedded_server_keeps_its_aof(tmp_path) -> None:
    """A server embedded with appendonly=True writes the AOF in its dir and loads it when
    started again there."""
    with pyredis.Server(appendonly=True, appendfsync="always", dir=str(tmp_path)) as server:
        redis.Redis(port=server.port).rpush("l", "a", "b")
    assert sorted(os.listdir(tmp_path / "appendonlydir")) == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    with pyredis.Server(appendonly=True, dir=str(tmp_path)) as server:
        assert redis.Redis(port=server.port).lrange("l", 0, -1) == [b"a", b"b"]

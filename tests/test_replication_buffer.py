"""Redis 7's shared replication buffer, SHUTDOWN waiting for replicas, and the replication
byte counters of INFO stats: pyredis and redis-server side by side, with redis-server
replicas where a replica is needed."""
from __future__ import annotations

import os
import signal
import socket
import time
from typing import Callable, Iterator

import pytest
import redis

from helpers import start_server
from pyredis.launch import ServerProcess

KINDS = ["pyredis", "redis"]
NO_DELAY = ["--repl-diskless-sync-delay", "0"]    # a replica syncs at once


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def read_until(sock: socket.socket, marker: bytes, limit: int = 4 << 20) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk and len(data) < limit, data[:200]
        data += chunk
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_a_replica_waiting_for_its_rdb_holds_the_stream_for_every_replica(kind: str) -> None:
    """While a replica waits for its RDB, the backlog keeps all it has to send, past
    repl-backlog-size: INFO counts it once, and another replica continues from there with a
    partial resync. Once no replica needs it, the backlog is back to its size."""
    server = start_server(kind, ["--repl-backlog-size", "16kb", "--repl-diskless-sync", "no",
                                 "--client-output-buffer-limit", "replica 0 0 0"])
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    try:
        r = redis.Redis(port=server.port, socket_timeout=20)
        r.mset({"a": "1", "b": "2", "c": "3"})
        r.config_set("rdb-key-save-delay", 1_000_000)     # a second a key: the RDB waits
        slow.sendall(b"PSYNC ? -1\r\n")
        assert read_until(slow, b"\r\n").startswith(b"+FULLRESYNC")
        wait_for(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 1)
        info = r.info("replication")
        start = info["master_repl_offset"] + 1
        for i in range(64):
            r.set(f"big{i}", "x" * 16384)
        info, memory = r.info("replication"), r.info("memory")
        assert info["repl_backlog_histlen"] > 64 * 16384
        assert info["repl_backlog_first_byte_offset"] <= start
        assert memory["mem_total_replication_buffers"] >= info["repl_backlog_histlen"]
        assert memory["mem_clients_slaves"] > 0
        assert memory["mem_not_counted_for_evict"] > 0

        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as other:
            other.sendall(b"REPLCONF capa psync2\r\n")
            assert read_until(other, b"\r\n") == b"+OK\r\n"
            other.sendall(b"PSYNC %s %d\r\n" % (info["master_replid"].encode(), start))
            data = read_until(other, b"big63")
            assert data.startswith(b"+CONTINUE")
            assert b"big0\r\n" in data
        assert r.info("stats")["sync_partial_ok"] == 1

        slow.close()
        wait_for(lambda: r.info("replication")["connected_slaves"] == 0)
        wait_for(lambda: r.info("replication")["repl_backlog_histlen"] < 3 * 16384)
        assert r.info("memory")["mem_total_replication_buffers"] < 4 * 16384
        r.close()
    finally:
        slow.close()
        server.stop()


@pytest.fixture
def redis_replica() -> Iterator[ServerProcess]:
    replica = start_server("redis")
    yield replica
    os.kill(replica.pid, signal.SIGCONT)
    replica.stop()


def follow(replica: ServerProcess, master: ServerProcess) -> redis.Redis:
    client = redis.Redis(port=replica.port, socket_timeout=20)
    client.replicaof("127.0.0.1", master.port)
    wait_for(lambda: client.info("replication")["master_link_status"] == "up")
    return client


@pytest.mark.parametrize("kind", KINDS)
def test_shutdown_waits_for_a_lagging_replica(kind: str, redis_replica: ServerProcess) -> None:
    """SHUTDOWN with a replica behind pauses writes and waits; ABORT answers the waiting
    client with an error; a second SHUTDOWN exits once the replica caught up."""
    master = start_server(kind, ["--logfile", "log.txt", *NO_DELAY])
    try:
        r = redis.Redis(port=master.port, socket_timeout=20)
        replica = follow(redis_replica, master)
        r.set("k", 1)
        wait_for(lambda: replica.get("k") == b"1")
        os.kill(redis_replica.pid, signal.SIGSTOP)
        r.incr("k")
        waiting = socket.create_connection(("127.0.0.1", master.port), timeout=20)
        waiting.sendall(b"SHUTDOWN\r\n")
        wait_for(lambda: r.info("server").get("shutdown_in_milliseconds", 0) > 0)
        assert r.info("clients")["blocked_clients"] == 1
        assert r.execute_command("SHUTDOWN", "ABORT") is True
        assert read_until(waiting, b"\r\n") == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        assert "shutdown_in_milliseconds" not in r.info("server")

        waiting.sendall(b"SHUTDOWN NOSAVE\r\n")
        wait_for(lambda: r.info("server").get("shutdown_in_milliseconds", 0) > 0)
        os.kill(redis_replica.pid, signal.SIGCONT)
        assert master.proc.wait(20) == 0     # (the log is read before stop() removes it)
        assert waiting.recv(100) == b""     # closed, unanswered, as the server exited
        waiting.close()
        assert replica.get("k") == b"2"
        with open(os.path.join(master.dir, "log.txt")) as f:
            log = f.read()
        assert "Waiting for replicas before shutting down." in log
        assert "Shutdown manually aborted." in log
        assert "1 of 1 replicas are in sync when shutting down." in log
        assert "Lagging replica" not in log
    finally:
        master.stop()


def test_shutdown_timeout_leaves_a_lagging_replica(redis_replica: ServerProcess) -> None:
    master = start_server("pyredis", ["--logfile", "log.txt", "--shutdown-timeout", "1",
                                      *NO_DELAY])
    try:
        replica = follow(redis_replica, master)
        os.kill(redis_replica.pid, signal.SIGSTOP)
        redis.Redis(port=master.port, socket_timeout=20).set("k", 1)
        master.proc.terminate()     # SIGTERM: shutdown-on-sigterm's default, as SHUTDOWN
        assert master.proc.wait(20) == 0     # (the log is read before stop() removes it)
        with open(os.path.join(master.dir, "log.txt")) as f:
            log = f.read()
        assert "Lagging replica 127.0.0.1:%d reported offset" % redis_replica.port in log
        assert "0 of 1 replicas are in sync when shutting down." in log
        replica.close()
    finally:
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_replication_bytes_in_info_stats(kind: str) -> None:
    """The stream a master sends and its replica reads count as replication bytes (inside
    the totals too), as many as the offsets moved; their rates show while it flows."""
    master = start_server(kind, NO_DELAY)
    replica_server = start_server(kind)
    try:
        r = redis.Redis(port=master.port, socket_timeout=20)
        replica = follow(replica_server, master)
        wait_for(lambda: replica.info("replication")["slave_repl_offset"]
                 == r.info("replication")["master_repl_offset"])
        sent, received = r.info("stats"), replica.info("stats")
        assert sent["total_net_repl_output_bytes"] > 0        # the RDB at least
        assert received["total_net_repl_input_bytes"] > 0
        offset = r.info("replication")["master_repl_offset"]
        for i in range(100):
            r.set(f"k{i}", "v" * 10_000)
        time.sleep(0.3)     # a sample of the rates after the burst
        final = r.info("replication")["master_repl_offset"]
        wait_for(lambda: replica.info("replication")["slave_repl_offset"] == final)
        sent_after, received_after = r.info("stats"), replica.info("stats")
        moved = final - offset
        assert sent_after["total_net_repl_output_bytes"] - \
            sent["total_net_repl_output_bytes"] == moved
        assert received_after["total_net_repl_input_bytes"] - \
            received["total_net_repl_input_bytes"] == moved
        assert sent_after["total_net_output_bytes"] - sent["total_net_output_bytes"] >= moved
        assert received_after["total_net_input_bytes"] - \
            received["total_net_input_bytes"] >= moved
        assert sent_after["instantaneous_output_repl_kbps"] > 0
        assert received_after["instantaneous_input_repl_kbps"] > 0
        r.close()
        replica.close()
    finally:
        replica_server.stop()
        master.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_a_stopped_replica_s_buffer_does_not_make_evictions(
        kind: str, redis_replica: ServerProcess) -> None:
    """maxmemory leaves out what the replication buffer holds past repl-backlog-size: a
    replica that does not read costs memory but evicts nothing."""
    master = start_server(kind, [*NO_DELAY, "--maxmemory-policy", "allkeys-random",
                                 "--client-output-buffer-limit", "replica 0 0 0",
                                 "--shutdown-timeout", "0"])   # stops without the replica
    try:
        r = redis.Redis(port=master.port, socket_timeout=20)
        for i in range(10):
            r.setrange(f"key:{i}", 1 << 20, "x")
        follow(redis_replica, master).close()
        memory = r.info("memory")
        # Room for a 1 MB request in the query buffer, not for the replica's buffer.
        r.config_set("maxmemory", memory["used_memory"]
                     - memory["mem_not_counted_for_evict"] + (4 << 20))
        os.kill(redis_replica.pid, signal.SIGSTOP)
        for _ in range(64):     # up to 64 MB of stream, past what the sockets hold
            r.setrange("key:0", 0, "A" * (1 << 20))
            # Well past 4 MB: the sockets' buffers still grow and take some of it meanwhile.
            memory = r.info("memory")
            if memory["mem_clients_slaves"] > 8 << 20:
                break
        assert memory["mem_clients_slaves"] > 4 << 20
        assert memory["mem_not_counted_for_evict"] > 4 << 20
        assert memory["used_memory"] > int(r.config_get("maxmemory")["maxmemory"])
        assert r.info("stats")["evicted_keys"] == 0
        assert r.dbsize() == 10
        r.close()
    finally:
        master.stop()

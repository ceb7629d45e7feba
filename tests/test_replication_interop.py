"""Replication between pyredis and redis-server, pyredis as master, as replica, and both: the
replica takes a full resync of every type, follows the stream of a write load, resumes a
cut link with a partial resync, and takes the master's role with FAILOVER; WAIT counts it;
a fault test cuts the link and kills the master at random moments of a write load (the
master with appendfsync always). Equal DEBUG DIGESTs on both sides are the proof
that the replica holds the master's dataset."""
from __future__ import annotations

import os
import random
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpers import start_server
from pyredis.launch import ServerProcess, free_port, launch

# (master, replica): pyredis on either side and on both.
PAIRS = [("pyredis", "redis"), ("redis", "pyredis"), ("pyredis", "pyredis")]
# No delay before a diskless transfer: a replica is served as soon as it asks.
MASTER_ARGS = ["--repl-diskless-sync-delay", "0"]
LINK_TIMEOUT = 20.0


def wait_for(check: Callable[[], bool], what: str, timeout: float = LINK_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.02)


@dataclass
class Pair:
    master_server: ServerProcess
    replica_server: ServerProcess
    master: redis.Redis
    replica: redis.Redis

    def linked(self) -> bool:
        """The replica's link is up and the master streams to it."""
        try:
            if self.replica.info("replication").get("master_link_status") != "up":
                return False
            info = self.master.info("replication")
        except redis.ConnectionError:
            return False
        return info.get("connected_slaves") == 1 and info["slave0"]["state"] == "online"

    def wait_linked(self) -> None:
        wait_for(self.linked, "the replica is online")

    def in_sync(self) -> None:
        """Every write so far is on the replica: the digests match. (WAIT waits for the
        stream up to its connection's last command: a PING there first makes that now.)"""
        with self.master.client() as connection:
            connection.ping()
            assert connection.wait(1, 10000) == 1
        assert self.master.execute_command("DEBUG", "DIGEST") == \
            self.replica.execute_command("DEBUG", "DIGEST")

    def stats(self) -> tuple[int, int]:
        info = self.master.info("stats")
        return info["sync_full"], info["sync_partial_ok"]

    def stop(self) -> None:
        self.master.close()
        self.replica.close()
        self.replica_server.stop()
        self.master_server.stop()


def start_pair(master_kind: str, replica_kind: str, master_args: tuple[str, ...] = (),
               cwd: str | None = None, port: int = 0) -> Pair:
    """A master with a replica attached and online."""
    master_server = launch(master_kind, ["--enable-debug-command", "yes", *MASTER_ARGS,
                                         *master_args], cwd=cwd, port=port)
    replica_server = start_server(replica_kind, [*MASTER_ARGS, "--replicaof", "127.0.0.1",
                                                 str(master_server.port)])
    pair = Pair(master_server, replica_server,
                redis.Redis(port=master_server.port, socket_timeout=20),
                redis.Redis(port=replica_server.port, socket_timeout=20))
    pair.wait_linked()
    return pair


@pytest.fixture(scope="module")
def pairs() -> Iterator[dict[tuple[str, str], Pair]]:
    started: dict[tuple[str, str], Pair] = {}
    try:
        for kinds in PAIRS:
            started[kinds] = start_pair(*kinds)
        yield started
    finally:
        for pair in started.values():
            pair.stop()


@pytest.fixture(params=PAIRS, ids=lambda kinds: "-".join(kinds))
def pair(request: pytest.FixtureRequest, pairs: dict[tuple[str, str], Pair]) -> Iterator[Pair]:
    pair = pairs[request.param]
    pair.wait_linked()
    pair.master.flushall()
    yield pair


def fill_every_type(r: redis.Redis) -> None:
    """Small and large encodings of every type, streams with groups, expires, two dbs."""
    p = r.pipeline(transaction=False)
    p.set("str", "value")
    p.set("int", 12345)
    p.set("big", "x" * 5000)
    p.setbit("bits", 1000, 1)
    p.set("ttl", "soon", ex=3000)
    p.rpush("list", *range(10))
    p.rpush("biglist", *(f"item-{i}" * 3 for i in range(500)))
    p.hset("hash", mapping={"a": 1, "b": "two"})
    p.hset("bighash", mapping={f"f{i}": f"v{i}" for i in range(300)})
    p.expire("bighash", 5000)
    p.sadd("intset", *range(20))
    p.sadd("set", *(f"m{i}" for i in range(300)))
    p.zadd("zset", {"a": 1, "b": 2.5})
    p.zadd("bigzset", {f"m{i}": i / 3 for i in range(300)})
    for i in range(60):
        p.xadd("stream", {"n": i, "tag": "t" * (i % 5)}, id=f"{1000 + i}-{i % 3}")
    p.xgroup_create("stream", "g1", id="0")
    p.xgroup_create("stream", "g2", id="1030-0")
    p.xreadgroup("g1", "alice", {"stream": ">"}, count=7)
    p.xreadgroup("g1", "bob", {"stream": ">"}, count=3)
    p.xack("stream", "g1", "1001-1")
    p.xgroup_createconsumer("stream", "g2", "carol")
    p.pfadd("hll", *(f"e{i}" for i in range(100)))
    p.pfadd("bighll", *(f"e{i}" for i in range(3000)))
    p.geoadd("geo", (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"))
    p.pexpireat("list", int(time.time() * 1000) + 4_000_000)
    p.execute()
    r.execute_command("SELECT", 3)
    r.set("in-db-3", "v", px=9_000_000)
    r.execute_command("SELECT", 0)


def test_full_sync_of_every_type(pair: Pair) -> None:
    with pair.master.client() as r:     # a connection of its own: SELECT stays in it
        fill_every_type(r)
    full, _ = pair.stats()
    # A replica with a history of its own asks again: a full resync.
    pair.replica.execute_command("REPLICAOF", "NO", "ONE")
    pair.replica.execute_command("REPLICAOF", "127.0.0.1", pair.master_server.port)
    pair.wait_linked()
    pair.in_sync()
    assert pair.stats()[0] == full + 1
    assert pair.replica.execute_command("XINFO", "GROUPS", "stream") == \
        pair.master.execute_command("XINFO", "GROUPS", "stream")


def write_load(port: int, writer: int, count: int) -> None:
    """`count` writes of every kind, in pipelines, some on keys every writer shares."""
    r = redis.Redis(port=port, socket_timeout=20)
    r.xgroup_create(f"x:{writer}", "g", id="$", mkstream=True)
    p = r.pipeline(transaction=False)
    for i in range(count):
        op = i % 8
        if op == 0:
            p.set(f"s:{writer}:{i % 50}", i)
        elif op == 1:
            p.incr("shared-counter")
        elif op == 2:
            p.rpush(f"l:{writer}", i)
        elif op == 3:
            p.hset("shared-hash", f"f{i % 40}", writer)
        elif op == 4:
            p.zadd("shared-zset", {f"m{i % 60}": i})
        elif op == 5:
            p.xadd(f"x:{writer}", {"i": i}, maxlen=100, approximate=True)
        elif op == 6:
            p.lpop(f"l:{writer}")
        elif i % 16 == 7:
            p.set(f"e:{writer}:{i % 20}", i, px=60000)
        else:
            # A reader of the writer's stream: deliveries the replica must record too.
            p.xreadgroup("g", f"c{i % 3}", {f"x:{writer}": ">"}, count=2)
        if i % 50 == 49:
            p.execute()
    p.execute()
    r.close()


def test_live_stream_under_a_write_load(pair: Pair) -> None:
    writers = [threading.Thread(target=write_load, args=(pair.master_server.port, n, 1500))
               for n in range(3)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    assert not any(thread.is_alive() for thread in writers)
    pair.in_sync()
    assert pair.replica.get("shared-counter") == pair.master.get("shared-counter")


def test_a_cut_link_resumes_with_a_partial_resync(pair: Pair) -> None:
    pair.master.set("before", 1)
    pair.in_sync()
    full, partial = pair.stats()
    assert pair.master.client_kill_filter(_type="replica") == 1
    for i in range(100):
        pair.master.rpush("while-cut", i)
    pair.wait_linked()
    pair.in_sync()
    assert pair.stats() == (full, partial + 1)


def test_wait(pair: Pair) -> None:
    m = pair.master
    m.set("k", "v")
    assert m.wait(1, 5000) == 1
    assert m.wait(0, 0) == 1
    # More replicas than there are: the count once the timeout passed.
    assert m.wait(2, 50) == 1
    with m.pipeline(transaction=True) as p:
        p.set("k", "w")
        p.execute_command("WAIT", 2, 0)       # cannot block inside MULTI: at once
        reply = p.execute()
        assert reply[0] is True and reply[1] in (0, 1)
    # A WAIT blocked for ever, released by CLIENT UNBLOCK: the count (the replica may not
    # have acknowledged the stream's last bytes yet), or the error.
    with m.client() as waiter:
        for error in (False, True):
            waiter_id = waiter.client_id()
            result: list = []
            thread = threading.Thread(target=lambda: result.append(
                _reply(lambda: waiter.execute_command("WAIT", 5, 0))))
            thread.start()
            wait_for(lambda: m.info("clients")["blocked_clients"] == 1, "WAIT blocks")
            assert m.client_unblock(waiter_id, error=error)
            thread.join(10)
            if error:
                assert "UNBLOCKED" in str(result[0])
            else:
                assert result[0] in (0, 1)


def _reply(call: Callable[[], object]) -> object:
    try:
        return call()
    except redis.ResponseError as exc:
        return exc


@pytest.mark.parametrize("args, error", [
    (["WAIT", "x", "0"], "value is not an integer or out of range"),
    (["WAIT", "1", "x"], "timeout is not an integer or out of range"),
    (["WAIT", "1", "-1"], "timeout is negative"),
    (["WAIT", "1", "1.5"], "timeout is not an integer or out of range"),
])
def test_wait_errors(r: redis.Redis, args: list[str], error: str) -> None:
    with pytest.raises(redis.ResponseError, match=error):
        r.execute_command(*args)


def test_wait_without_replicas(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.wait(0, 0) == 0
    assert r.wait(1, 10) == 0


def test_replica_and_failover_errors(pair: Pair) -> None:
    port = str(pair.replica_server.port)
    for server, args, error in [
            (pair.master, ["FAILOVER", "FORCE", "TO", "127.0.0.1", port],
             "FAILOVER with force option requires both a timeout and target HOST and IP."),
            (pair.master, ["FAILOVER", "TO", "127.0.0.1", "1"],
             "FAILOVER target HOST and PORT is not a replica."),
            (pair.replica, ["FAILOVER"], "FAILOVER is not valid when server is a replica."),
            (pair.replica, ["WAIT", "1", "0"], "WAIT cannot be used with replica instances. "
             "Please also note that since Redis 4.0 if a replica is configured to be writable "
             "(which is not the default) writes to replicas are just local and are not "
             "propagated.")]:
        with pytest.raises(redis.ResponseError) as raised:
            server.execute_command(*args)
        assert str(raised.value) == error


@pytest.mark.parametrize("args, error", [
    (["FAILOVER", "ABORT"], "No failover in progress."),
    (["FAILOVER"], "FAILOVER requires connected replicas."),
    (["FAILOVER", "TO", "127.0.0.1", "1", "FORCE"], "FAILOVER requires connected replicas."),
    (["FAILOVER", "TIMEOUT", "0"], "FAILOVER timeout must be greater than 0"),
    (["FAILOVER", "TIMEOUT", "x"], "value is not an integer or out of range"),
    (["FAILOVER", "TO", "127.0.0.1"], "syntax error"),
    (["FAILOVER", "FORCE", "FORCE"], "syntax error"),
    (["FAILOVER", "ABORT", "TIMEOUT", "5"], "syntax error"),
])
def test_failover_errors(r: redis.Redis, args: list[str], error: str) -> None:
    with pytest.raises(redis.ResponseError) as raised:
        r.execute_command(*args)
    assert str(raised.value) == error


def test_failover_and_back(pair: Pair) -> None:
    """FAILOVER: the replica becomes the master once it has the whole stream, and the old
    master follows it, continuing its history (a partial resync); FAILOVER TO the old
    master brings the roles back."""
    pair.master.set("before", 1)
    pair.in_sync()
    full_syncs = pair.replica.info("stats")["sync_full"]
    assert pair.master.execute_command("FAILOVER") == b"OK"
    swapped = Pair(pair.replica_server, pair.master_server, pair.replica, pair.master)
    swapped.wait_linked()
    assert swapped.master.info("replication")["master_failover_state"] == "no-failover"
    swapped.master.set("after", 2)
    swapped.in_sync()
    assert swapped.stats()[0] == full_syncs
    assert swapped.master.execute_command(
        "FAILOVER", "TO", "127.0.0.1", pair.master_server.port, "TIMEOUT", 10000) == b"OK"
    pair.wait_linked()
    pair.master.set("back", 3)
    pair.in_sync()
    assert pair.replica.mget("before", "after", "back") == [b"1", b"2", b"3"]


def test_failover_waits_for_the_replica(pair: Pair) -> None:
    """While the replica lags, FAILOVER holds the writes (and gives up at its timeout, or
    when aborted), then they go on."""
    m = pair.master
    os.kill(pair.replica_server.pid, signal.SIGSTOP)
    try:
        m.set("k", 1)            # the stopped replica acknowledges nothing more
        assert m.execute_command("FAILOVER", "TIMEOUT", 60000) == b"OK"
        assert m.info("replication")["master_failover_state"] == "waiting-for-sync"
        with pytest.raises(redis.ResponseError, match="FAILOVER already in progress."):
            m.execute_command("FAILOVER")
        result: list = []
        writer = threading.Thread(target=lambda: result.append(
            redis.Redis(port=pair.master_server.port, socket_timeout=20).set("w", 1)))
        writer.start()
        wait_for(lambda: m.info("clients")["blocked_clients"] == 1, "the write held")
        assert m.execute_command("FAILOVER", "ABORT") == b"OK"
        writer.join(10)
        assert result == [True]
        assert m.info("replication")["master_failover_state"] == "no-failover"
        assert m.execute_command("FAILOVER", "TIMEOUT", 50) == b"OK"
        wait_for(lambda: m.info("replication")["master_failover_state"] == "no-failover",
                 "the failover's timeout")
        assert m.set("k", 2)
    finally:
        os.kill(pair.replica_server.pid, signal.SIGCONT)
    pair.wait_linked()
    pair.in_sync()


# -- faults ------------------------------------------------------------------------------------

class Writers:
    """Clients that each append 1, 2, 3 ... to a list of their own, in batches with a WAIT 1
    after each, until stopped, their master is gone or `writes` are made: what each sent
    last, what the master acknowledged last and what a WAIT confirmed last."""

    BATCH = 5

    def __init__(self, port: int, count: int, writes: int = 3000) -> None:
        self.port = port
        self.writes = writes
        self.stopped = threading.Event()
        self.sent = [0] * count
        self.replied = [0] * count
        self.acked = [0] * count
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(count)]
        for thread in self.threads:
            thread.start()

    def run(self, n: int) -> None:
        # No retries: a write is sent once, so that `sent` bounds what may have arrived.
        r = redis.Redis(port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
        try:
            for first in range(1, self.writes + 1, self.BATCH):
                if self.stopped.is_set():
                    break
                last = min(first + self.BATCH - 1, self.writes)
                pipe = r.pipeline(transaction=False)
                for value in range(first, last + 1):
                    pipe.rpush(f"log:{n}", value)
                self.sent[n] = last
                pipe.execute()
                self.replied[n] = last
                if r.wait(1, 100) >= 1:
                    self.acked[n] = last
        except redis.ConnectionError:
            pass      # the master was killed
        finally:
            r.close()

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in self.threads)


WRITERS = 2


def replica_logs(replica: redis.Redis) -> list[list[int]]:
    """Each writer's list; and no key the writers did not write."""
    assert set(replica.keys()) <= {b"log:%d" % n for n in range(WRITERS)}
    return [[int(v) for v in replica.lrange(f"log:{n}", 0, -1)] for n in range(WRITERS)]


def cut_link(pair: Pair, writers: Writers, side: str, rand: random.Random, seed: int) -> None:
    """The link cut from one side at a random moment of the load: the replica resumes with
    a partial resync and holds exactly what was written."""
    full, partial = pair.stats()
    time.sleep(rand.uniform(0.02, 0.2))
    if side == "master":
        assert pair.master.client_kill_filter(_type="replica") == 1
    else:
        assert pair.replica.client_kill_filter(_type="master") == 1
    time.sleep(0.1)
    writers.stop()
    pair.wait_linked()
    pair.in_sync()
    assert replica_logs(pair.replica) == \
        [list(range(1, sent + 1)) for sent in writers.sent], f"seed {seed}"
    assert pair.stats() == (full, partial + 1), f"seed {seed}"


def kill_master(pair: Pair, writers: Writers, restart: Callable[[], ServerProcess],
                rand: random.Random, seed: int) -> None:
    """SIGKILL of the master at a random moment of the load. The replica holds a prefix of
    each writer's writes: every one a WAIT confirmed, none its client had not sent. The
    master restarts from its append-only file with every write it acknowledged and every
    write the replica holds (the AOF is written before the stream goes out), and the
    replica converges to it."""
    time.sleep(rand.uniform(0.05, 0.4))
    os.kill(pair.master_server.pid, signal.SIGKILL)
    writers.stop()
    pair.master_server.wait()
    held = replica_logs(pair.replica)
    for n in range(WRITERS):
        assert held[n] == list(range(1, len(held[n]) + 1)), f"seed {seed}"
        assert writers.acked[n] <= len(held[n]) <= writers.sent[n], f"seed {seed}"
    pair.master.close()
    pair.master_server = restart()
    pair.master = redis.Redis(port=pair.master_server.port, socket_timeout=20)
    restored = replica_logs(pair.master)
    for n in range(WRITERS):
        assert restored[n] == list(range(1, len(restored[n]) + 1)), f"seed {seed}"
        assert max(len(held[n]), writers.replied[n]) <= len(restored[n]) \
            <= writers.sent[n], f"seed {seed}"
    pair.wait_linked()
    pair.in_sync()
    assert replica_logs(pair.replica) == restored, f"seed {seed}"


@pytest.mark.parametrize("master_kind,replica_kind", PAIRS, ids=lambda kind: kind)
def test_faults_cut_links_and_a_killed_master(master_kind: str, replica_kind: str) -> None:
    """A write load with WAIT 1 after each batch; at random moments of it the link is cut
    (from the master's side, then from the replica's) and the master, with appendfsync
    always, is killed with SIGKILL, twice."""
    seed = random.randrange(1 << 30)
    rand = random.Random(seed)
    run_dir = tempfile.mkdtemp(prefix="pyredis-fault-")
    port = free_port()
    master_args = ("--appendonly", "yes", "--appendfsync", "always")

    def restart() -> ServerProcess:
        return launch(master_kind, ["--enable-debug-command", "yes", *MASTER_ARGS,
                                    *master_args], cwd=run_dir, port=port)

    pair = start_pair(master_kind, replica_kind, master_args, cwd=run_dir, port=port)
    try:
        for fault in ("cut from the master", "cut from the replica", "kill", "kill"):
            pair.master.delete(*(f"log:{n}" for n in range(WRITERS)))
            # The replica has the deletion (after a full resync, the master streams on its
            # first ACK, up to a second later).
            pair.in_sync()
            writers = Writers(port, WRITERS)
            if fault == "kill":
                kill_master(pair, writers, restart, rand, seed)
            else:
                cut_link(pair, writers, fault.split()[-1], rand, seed)
    finally:
        pair.stop()
        shutil.rmtree(run_dir, ignore_errors=True)

"""The replica side of replication, against redis-server both ways: REPLICAOF, the full
sync of a dataset with every type, the live stream, a dropped link resumed with a partial
resync, a promotion with REPLICAOF NO ONE that the old master's other replica continues
from (PSYNC2), chained replicas, -READONLY, expired keys on a replica, ROLE and INFO."""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Callable, Iterator

import pytest
import redis

from helpers import NO_RETRY, start_server
from pyredis.launch import ServerProcess

FAST = ["--repl-diskless-sync-delay", "0"]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def conn(server: ServerProcess) -> redis.Redis:
    return redis.Redis(port=server.port, socket_timeout=20, retry=NO_RETRY)


def info(server: ServerProcess, section: str = "replication") -> dict:
    return conn(server).info(section)


def follow(replica: ServerProcess, master: ServerProcess) -> None:
    """REPLICAOF, then wait until the link is up and the replica caught up."""
    assert conn(replica).replicaof("127.0.0.1", master.port)
    wait_for(lambda: info(replica).get("master_link_status") == "up", "the link")
    # The master counts it online once it acknowledged (after a diskless transfer, its first
    # ACK): only then ROLE and WAIT see it.
    wait_for(lambda: any(isinstance(v, dict) and v.get("port") == replica.port
                         and v.get("state") == "online" for v in info(master).values()),
             "the master to see the replica online")
    caught_up(replica, master)


def caught_up(replica: ServerProcess, master: ServerProcess) -> None:
    target = info(master)["master_repl_offset"]
    wait_for(lambda: info(replica)["master_repl_offset"] >= target, "the replica's offset")
    # Every byte read was applied (a request split between reads counts whole).
    assert info(replica)["slave_repl_offset"] == info(replica)["slave_read_repl_offset"]


def same_data(a: ServerProcess, b: ServerProcess) -> None:
    assert conn(a).execute_command("DEBUG", "DIGEST") == \
        conn(b).execute_command("DEBUG", "DIGEST")


def dataset(r: redis.Redis) -> None:
    """Every type, several databases, keys with a time to live."""
    r.set("string", "v")
    r.set("int", 12345)
    r.rpush("list", *range(20))
    r.hset("hash", mapping={f"f{i}": i for i in range(10)})
    r.sadd("set", *range(10))
    r.sadd("strset", "a", "b")
    r.zadd("zset", {f"m{i}": i / 3 for i in range(10)})
    r.xadd("stream", {"a": 1})
    r.xgroup_create("stream", "g", id="0")
    r.pfadd("hll", "a", "b", "c")
    r.set("ttl", "v", ex=1000)
    r.execute_command("SELECT", 3)
    r.set("db3", "x")


def load(r: redis.Redis, n: int) -> None:
    """A small bounded write load over several databases and kinds of writes."""
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"k{i}", i)
        pipe.incr("counter")
        pipe.lpush("list", i)
        pipe.expire(f"k{i}", 1000)
        pipe.set(f"big{i % 3}", b"v" * (i * 997))    # requests split between reads
    pipe.execute()
    with r.pipeline(transaction=True) as tx:
        tx.hset("hash", "multi", 1)
        tx.sadd("set", "multi")
        tx.execute()
    r2 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=5)
    r2.set("db5", "y")
    r2.delete("string")


@pytest.fixture
def servers() -> Iterator[Callable[..., ServerProcess]]:
    with ExitStack() as stack:
        def start(kind: str, *args: str) -> ServerProcess:
            server = start_server(kind, [*FAST, *args])
            stack.callback(server.stop)
            return server
        yield start


PAIRS = [("redis", "pyredis"), ("pyredis", "pyredis"), ("pyredis", "redis")]


@pytest.mark.parametrize("master_kind,replica_kind", PAIRS)
def test_full_sync_stream_and_partial_resync(servers: Callable[..., ServerProcess],
                                             master_kind: str, replica_kind: str) -> None:
    master, replica = servers(master_kind), servers(replica_kind)
    dataset(conn(master))
    follow(replica, master)
    same_data(master, replica)
    load(conn(master), 100)
    caught_up(replica, master)
    same_data(master, replica)
    # The link drops (from either end): the replica continues where it was.
    if replica_kind == "pyredis":
        conn(replica).client_kill_filter(_type="master")
    else:
        conn(master).client_kill_filter(_type="replica")
    load(conn(master), 20)
    wait_for(lambda: info(replica).get("master_link_status") == "up", "the link back")
    caught_up(replica, master)
    same_data(master, replica)
    stats = info(master, "stats")
    assert (stats["sync_full"], stats["sync_partial_ok"]) == (1, 1)


@pytest.mark.parametrize("other_kind", ["pyredis", "redis"])
def test_promoted_replica_is_continued_by_the_other(servers: Callable[..., ServerProcess],
                                                    other_kind: str) -> None:
    master = servers("redis")
    promoted, other = servers("pyredis"), servers(other_kind)
    dataset(conn(master))
    follow(promoted, master)
    follow(other, master)
    load(conn(master), 30)
    caught_up(promoted, master)
    caught_up(other, master)
    old_id = info(promoted)["master_replid"]
    assert conn(promoted).replicaof("no", "one")
    shifted = info(promoted)
    assert shifted["role"] == "master"
    assert shifted["master_replid2"] == old_id
    assert shifted["second_repl_offset"] == shifted["master_repl_offset"] + 1
    conn(promoted).set("after", "promotion")
    follow(other, promoted)
    assert info(promoted, "stats")["sync_partial_ok"] == 1
    assert info(promoted, "stats")["sync_full"] == 0
    same_data(promoted, other)


@pytest.mark.parametrize("last_kind", ["pyredis", "redis"])
def test_chained_replica_gets_the_same_stream(servers: Callable[..., ServerProcess],
                                              last_kind: str) -> None:
    top, middle, last = servers("redis"), servers("pyredis"), servers(last_kind)
    dataset(conn(top))
    follow(middle, top)
    follow(last, middle)
    load(conn(top), 50)
    caught_up(middle, top)
    caught_up(last, top)
    same_data(top, last)
    # The same bytes all the way down: the offsets and ids agree.
    assert info(last)["master_repl_offset"] == info(top)["master_repl_offset"]
    assert info(last)["master_replid"] == info(top)["master_replid"]


@pytest.mark.parametrize("replica_kind", ["pyredis", "redis"])
def test_replica_refuses_writes_and_keeps_expired_keys(servers: Callable[..., ServerProcess],
                                                       replica_kind: str) -> None:
    master, replica = servers("redis"), servers(replica_kind)
    m, r = conn(master), conn(replica)
    m.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")   # only an access deletes it
    m.set("short", "v", px=200)
    follow(replica, master)
    with pytest.raises(redis.ResponseError, match="^You can't write against a read only"):
        r.set("x", "y")
    time.sleep(0.3)
    # Past its time: missing to readers, still held until the master deletes it.
    assert r.get("short") is None
    assert r.exists("short") == 0
    assert r.dbsize() == 1
    assert m.get("short") is None                      # the master expires it: DEL follows
    caught_up(replica, master)
    assert r.dbsize() == 0
    r.config_set("replica-read-only", "no")
    assert r.set("x", "y")


@pytest.mark.parametrize("replica_kind", ["pyredis", "redis"])
def test_role_and_info_of_a_replica(servers: Callable[..., ServerProcess],
                                    replica_kind: str) -> None:
    master, replica = servers("redis"), servers(replica_kind)
    r = conn(replica)
    fields = set(info(replica))
    follow(replica, master)
    role = r.execute_command("ROLE")
    offset = info(replica)["slave_repl_offset"]
    assert role[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"]
    assert isinstance(role[4], int) and role[4] <= offset
    master_role = conn(master).execute_command("ROLE")
    assert master_role[0] == b"master" and master_role[2][0][:2] == [
        b"127.0.0.1", str(replica.port).encode()]
    up = info(replica)
    assert up["role"] == "slave" and up["master_port"] == master.port
    assert "master_link_down_since_seconds" not in up
    assert {"slave_read_repl_offset", "slave_priority", "slave_read_only",
            "replica_announced", "master_last_io_seconds_ago",
            "master_sync_in_progress"} <= set(up)
    assert "master_host" not in fields
    assert r.execute_command("REPLICAOF", "127.0.0.1", master.port) == \
        b"OK Already connected to specified master"
    master.stop()
    wait_for(lambda: info(replica)["master_link_status"] == "down", "the link down")
    down = info(replica)
    assert down["master_link_down_since_seconds"] >= 0
    assert down["master_last_io_seconds_ago"] == -1
    r.config_set("replica-serve-stale-data", "no")
    with pytest.raises(redis.ResponseError, match="^Link with MASTER is down"):
        r.get("x")
    with pytest.raises(redis.ResponseError, match="^Link with MASTER is down"):
        r.ping()
    assert r.execute_command("ROLE")[3] in (b"connect", b"connecting")
    assert r.replicaof("no", "one")
    assert info(replica)["role"] == "master"


def test_served_blocked_pops_reach_the_replica(servers: Callable[..., ServerProcess]) -> None:
    """A pop served to a blocked client happens outside any call: it still replicates."""
    master, replica = servers("pyredis"), servers("redis")
    follow(replica, master)
    m = conn(master)
    for command, push in ((["BLPOP", "list", 5], ["RPUSH", "list", "a", "b"]),
                          (["BLMOVE", "src", "dst", "LEFT", "RIGHT", 5],
                           ["RPUSH", "src", "a", "b"]),
                          (["BZPOPMIN", "zset", 5], ["ZADD", "zset", 1, "a", 2, "b"]),
                          (["BLMPOP", 5, 1, "list2", "LEFT", "COUNT", 1],
                           ["RPUSH", "list2", "a", "b"])):
        blocked = redis.Connection(port=master.port, socket_timeout=20)
        blocked.send_command(*command)             # answered once the push serves it
        wait_for(lambda: m.info("clients")["blocked_clients"] == 1, "the client blocked")
        m.execute_command(*push)
        assert blocked.read_response()
        blocked.disconnect()
    caught_up(replica, master)
    same_data(master, replica)


@pytest.mark.parametrize("master_kind,replica_kind", PAIRS)
def test_an_error_to_the_master_is_logged_and_counted(
        servers: Callable[..., ServerProcess], master_kind: str, replica_kind: str) -> None:
    """DEBUG REPLICATE sends the replica a command it cannot run: the replica's error to its
    master is unexpected (INFO unexpected_error_replies, a CRITICAL log line); with
    propagation-error-behavior ignore it goes on."""
    master = servers(master_kind, "--enable-debug-command", "yes")
    replica = servers(replica_kind)
    follow(replica, master)
    m = conn(master)
    assert m.execute_command("DEBUG", "REPLICATE", "fake-command-1") == b"OK"
    m.set("after", "1")
    assert m.wait(1, 5000) == 1
    caught_up(replica, master)
    assert info(replica, "stats")["unexpected_error_replies"] == 1
    assert conn(replica).get("after") == b"1"


@pytest.mark.parametrize("master_kind", ["redis", "pyredis"])
def test_master_stream_waits_while_a_script_is_busy(
        servers: Callable[..., ServerProcess], master_kind: str) -> None:
    """A replica's long script holds the master's stream (it is not answered -BUSY and
    lost): the writes are applied once the script is killed."""
    master, replica = servers(master_kind), servers("pyredis", "--busy-reply-threshold", "100")
    follow(replica, master)
    result: list = []
    script = threading.Thread(target=lambda: result.append(
        _script_outcome(conn(replica), "local i = 0 while true do i = i + 1 end")))
    script.start()
    try:
        wait_for(lambda: _busy(replica), "the script to be busy")
        conn(master).set("written", "during")
        time.sleep(0.3)   # the stream reaches the replica while its script runs
    finally:
        conn(replica).script_kill()
        script.join(15)
    assert "killed" in result[0]
    wait_for(lambda: conn(replica).get("written") == b"during", "the write to be applied")
    assert info(replica, "stats")["unexpected_error_replies"] == 0


def _script_outcome(r: redis.Redis, body: str) -> str:
    try:
        r.eval(body, 0)
    except redis.ResponseError as exc:
        return str(exc)
    return "finished"


def _busy(server: ServerProcess) -> bool:
    try:
        conn(server).ping()
    except redis.exceptions.BusyLoadingError:
        return False
    except redis.ResponseError as exc:
        return str(exc).startswith("BUSY")
    return False

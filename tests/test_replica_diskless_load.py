"""repl-diskless-load on a pyredis replica, of a redis-server master and of a pyredis master:
the RDB parsed straight from the socket (`$<size>` and `$EOF:` framings), swapdb and
on-empty-db, and a transfer the master cuts: with swapdb the old data stays, served
meanwhile when the master continues the replica's own history (async loading)."""
from __future__ import annotations

import os
from typing import Callable

import pytest
import redis

from test_replica import caught_up, conn, dataset, follow, info, load, same_data, servers, \
    wait_for
from pyredis.launch import ServerProcess

__all__ = ["servers"]     # the fixture, shared

LIBRARY = ("#!lua name=lib\nredis.register_function{function_name='f', "
           "callback=function() return '%s' end, flags={'no-writes'}}")


def log_text(server: ServerProcess) -> str:
    with open(os.path.join(server.dir, "server.log"), errors="replace") as f:
        return f.read()


def persistence(server: ServerProcess) -> dict:
    return info(server, "persistence")


@pytest.mark.parametrize("master_kind,mode,master_diskless", [
    ("redis", "swapdb", "yes"), ("redis", "on-empty-db", "no"),
    ("pyredis", "swapdb", "no"), ("pyredis", "on-empty-db", "yes")])
def test_diskless_load_full_sync_and_stream(servers: Callable[..., ServerProcess],
                                            master_kind: str, mode: str,
                                            master_diskless: str) -> None:
    master = servers(master_kind, "--repl-diskless-sync", master_diskless)
    replica = servers("pyredis", "--repl-diskless-load", mode, "--logfile", "server.log")
    dataset(conn(master))
    conn(master).function_load(LIBRARY % "new")
    if mode == "swapdb":
        # Keys and a library of its own, which the master's replace.
        conn(replica).set("replica-only", "x")
        conn(replica).function_load(LIBRARY % "old")
    conn(replica).replicaof("127.0.0.1", master.port)
    load(conn(master), 30)      # while the payload is made and sent: the stream after it
    follow(replica, master)
    same_data(master, replica)
    assert conn(replica).get("replica-only") is None
    assert conn(replica).fcall("f", 0) == b"new"
    text = log_text(replica)
    assert "from master to parser" in text or "with EOF to parser" in text
    assert ("Swapping active DB with loaded DB" in text) == (mode == "swapdb")
    assert not [name for name in os.listdir(replica.dir) if name.startswith("temp-")]
    load(conn(master), 50)
    caught_up(replica, master)
    same_data(master, replica)


def test_on_empty_db_goes_to_disk_with_keys(servers: Callable[..., ServerProcess]) -> None:
    master = servers("redis")
    replica = servers("pyredis", "--repl-diskless-load", "on-empty-db", "--logfile",
                      "server.log")
    conn(master).set("k", "v")
    conn(replica).set("old", "v")
    follow(replica, master)
    same_data(master, replica)
    assert "with EOF to disk" in log_text(replica)


def slow_master(servers: Callable[..., ServerProcess], kind: str) -> ServerProcess:
    """A diskless master whose RDB takes seconds to make: 200 keys of 10 KB, 10 ms each."""
    master = servers(kind, "--repl-diskless-sync", "yes", "--rdbcompression", "no")
    conn(master).execute_command("DEBUG", "POPULATE", 200, "master", 10000)
    return master


@pytest.mark.parametrize("master_kind", ["redis", "pyredis"])
def test_swapdb_keeps_the_old_data_when_the_transfer_is_cut(
        servers: Callable[..., ServerProcess], master_kind: str) -> None:
    """Another master's history: the replica answers -LOADING while it loads, and after
    the master drops the link mid-transfer its old keys are all there."""
    master = slow_master(servers, master_kind)
    replica = servers("pyredis", "--repl-diskless-load", "swapdb", "--logfile", "server.log",
                      "--loading-process-events-interval-bytes", "1024")
    r = conn(replica)
    r.execute_command("DEBUG", "POPULATE", 20, "replica", 10)
    r.set("mykey", "myvalue")
    conn(master).config_set("rdb-key-save-delay", 10000)
    r.replicaof("127.0.0.1", master.port)
    wait_for(lambda: persistence(replica)["loading"] == 1, "the replica to load")
    fields = persistence(replica)
    assert fields["async_loading"] == 0
    assert fields["loading_total_bytes"] == 0       # a diskless master's size is not known
    assert {"loading_start_time", "loading_loaded_perc", "loading_eta_seconds"} <= set(fields)
    with pytest.raises(redis.exceptions.BusyLoadingError):
        r.get("mykey")
    conn(master).config_set("repl-diskless-sync-delay", 5)   # no new transfer at once
    conn(master).client_kill_filter(_type="replica")
    wait_for(lambda: persistence(replica)["loading"] == 0, "the load to fail")
    assert r.get("mykey") == b"myvalue"
    assert r.dbsize() == 21
    assert "loading_start_time" not in persistence(replica)
    text = log_text(replica)
    assert "Internal error in RDB" in text
    assert "Discarding temporary DB in background" in text
    conn(master).config_set("rdb-key-save-delay", 0)


def test_swapdb_serves_the_old_data_while_it_loads_the_same_history(
        servers: Callable[..., ServerProcess]) -> None:
    """A full sync of the history the replica already follows (its backlog position was
    lost): async loading, the old keys and functions served until the new ones replace
    them; a cut transfer leaves them, a finished one swaps them."""
    master = servers("redis", "--repl-diskless-sync", "yes", "--rdbcompression", "no")
    replica = servers("pyredis", "--repl-diskless-load", "swapdb", "--replica-read-only",
                      "no", "--loading-process-events-interval-bytes", "1024")
    follow(replica, master)
    r, m = conn(replica), conn(master)
    m.execute_command("DEBUG", "POPULATE", 200, "master", 10000)    # not propagated
    r.set("mykey", "myvalue")
    r.function_load(LIBRARY % "old")
    m.function_load(LIBRARY % "new")      # the replica has one of that name: an error there
    m.config_set("rdb-key-save-delay", 10000)
    # Out of the backlog's reach: the next PSYNC gets a full sync of the same history.
    with m.pipeline(transaction=True) as pipe:
        pipe.client_kill_filter(_type="replica")
        pipe.config_set("repl-backlog-size", 16384)
        for i in range(10):
            pipe.set(f"filler{i}", "A" * 16384)
        pipe.execute()
    wait_for(lambda: persistence(replica)["async_loading"] == 1, "async loading")
    assert persistence(replica)["loading"] == 0
    assert r.get("mykey") == b"myvalue" and r.dbsize() == 1
    assert r.fcall("f", 0) == b"old"
    with pytest.raises(redis.exceptions.BusyLoadingError):
        r.replicaof("no", "one")
    m.config_set("repl-diskless-sync-delay", 1)
    m.client_kill_filter(_type="replica")
    wait_for(lambda: persistence(replica)["async_loading"] == 0, "the load to fail")
    assert r.get("mykey") == b"myvalue" and r.dbsize() == 1
    assert r.fcall("f", 0) == b"old"
    m.config_set("rdb-key-save-delay", 0)
    wait_for(lambda: info(replica).get("master_link_status") == "up", "the new full sync",
             timeout=30)
    caught_up(replica, master)
    assert r.get("mykey") is None and r.dbsize() == 210
    assert r.fcall("f", 0) == b"new"
    same_data(master, replica)

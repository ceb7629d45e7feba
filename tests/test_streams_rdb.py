"""Streams in RDB files and DUMP payloads: what redis-server writes loads in pyredis with the
same content (entries, IDs, counters, groups, PELs, consumers), what pyredis writes loads in
redis-server and passes redis-check-rdb, and DUMP/RESTORE goes both ways."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import redis

from helpers import start_server

CHECK_RDB = shutil.which("redis-check-rdb")


def _fill(client: redis.Redis) -> None:
    """Streams with deleted entries, several nodes, groups, PELs and consumers."""
    client.config_set("stream-node-max-entries", 5)
    for i in range(1, 40):
        fields = {"f": i} if i % 4 else {"g": "x" * i, "h": -i}
        client.xadd("s", fields, id=f"{i}-{i % 3}")
    client.xdel("s", "3-0", "10-1", "39-0")
    client.xtrim("s", maxlen=33, approximate=False)
    client.xgroup_create("s", "g1", id="0")
    client.xgroup_create("s", "g2", id="20-0", entries_read=7)
    client.xgroup_create("s", "g3", id="$")
    client.xreadgroup("g1", "alice", {"s": ">"}, count=4)
    client.xreadgroup("g1", "bob", {"s": ">"}, count=3)
    client.xreadgroup("g2", "carol", {"s": ">"}, count=2)
    client.xgroup_createconsumer("s", "g2", "dave")
    client.xclaim("s", "g1", "carol", 0, ["13-1"], retrycount=9)
    client.execute_command("XADD", "empty", "1-1", "a", "b")
    client.execute_command("XDEL", "empty", "1-1")
    client.execute_command("XSETID", "empty", "5-5", "ENTRIESADDED", "9", "MAXDELETEDID", "3-3")
    client.config_set("stream-node-max-entries", 100)


def _content(client: redis.Redis) -> dict:
    return {key: client.execute_command("XINFO", "STREAM", key, "FULL", "COUNT", 0)
            for key in (b"s", b"empty")}


@pytest.mark.parametrize("writer,reader", [("redis", "pyredis"), ("pyredis", "redis")])
def test_rdb_file_round_trip(writer, reader, tmp_path):
    source = start_server(writer, ["--dir", str(tmp_path)])
    try:
        client = redis.Redis(port=source.port)
        _fill(client)
        expected = _content(client)
        client.save()
    finally:
        source.stop()
    if CHECK_RDB:
        check = subprocess.run([CHECK_RDB, str(tmp_path / "dump.rdb")], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    target = start_server(reader, ["--dir", str(tmp_path)])
    try:
        loaded = _content(redis.Redis(port=target.port))
    finally:
        target.stop()
    assert _comparable(loaded) == _comparable(expected)


def _comparable(content: dict) -> dict:
    """XINFO FULL without the radix tree figures (pyredis writes nodes without their
    deleted entries, so a node holds what Redis's did, less its tombstones)."""
    return {key: {name: value for name, value in info.items()
                  if name not in ("radix-tree-keys", "radix-tree-nodes")}
            for key, info in content.items()}


def test_dump_restore_both_ways(server, real_server):
    ours = redis.Redis(port=server.port)
    real = redis.Redis(port=real_server.port)
    for client in (ours, real):
        client.flushall()
        _fill(client)
    for source, target in ((real, ours), (ours, real)):
        payload = source.dump("s")
        target.restore("copy", 0, payload)
        assert _comparable({1: target.execute_command("XINFO", "STREAM", "copy", "FULL")}) == \
            _comparable({1: source.execute_command("XINFO", "STREAM", "s", "FULL")})
        target.delete("copy")
    ours.close()
    real.close()

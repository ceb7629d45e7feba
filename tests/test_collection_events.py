"""Keyspace notifications of the list and hash commands, blocked clients served included,
compared message for message (and in order) with redis-server."""
from __future__ import annotations

import time

import pytest

from helpers import RawConnection, start_server


@pytest.fixture(scope="module")
def servers():
    procs = [start_server(kind, ["--notify-keyspace-events", "KEA"])
             for kind in ("pyredis", "redis")]
    yield procs
    for proc in procs:
        proc.stop()


def drain(stream: RawConnection) -> list[bytes]:
    """The notifications received so far: the reply to a PING marks their end."""
    stream.send("PING")
    messages = []
    while True:
        reply = stream.read_reply()
        if reply.startswith(b"*2\r\n$4\r\npong"):
            return messages
        messages.append(reply)


@pytest.fixture
def pairs(servers):
    conns = [RawConnection(proc.port) for proc in servers]
    streams = [RawConnection(proc.port) for proc in servers]
    for conn in conns:
        conn.execute("FLUSHALL")
    for stream in streams:
        stream.execute("PSUBSCRIBE", "__key*__:*")
        drain(stream)
    yield conns, streams
    for conn in conns + streams:
        conn.close()


LIST_SCRIPT = [
    ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LPUSHX", "nokey", "a"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("LINSERT", "l", "BEFORE", "a", "x"),
    ("LINSERT", "l", "AFTER", "nope", "y"), ("LSET", "l", "0", "q"), ("LREM", "l", "0", "zz"),
    ("LREM", "l", "1", "q"), ("LTRIM", "l", "0", "-1"), ("RPUSH", "l", "m", "n"),
    ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l"), ("LMPOP", "2", "x", "l",
                                                                      "LEFT", "COUNT", "9"),
    ("RPUSH", "t", "1", "2", "3"), ("LTRIM", "t", "5", "6"), ("RPUSH", "b", "v"),
    ("BLPOP", "b", "0"), ("RPUSH", "b", "v"), ("BLMOVE", "b", "l2", "RIGHT", "LEFT", "0"),
    ("RPUSH", "b", "v", "w"), ("BLMPOP", "0", "1", "b", "RIGHT", "COUNT", "5"),
]

HASH_SCRIPT = [
    ("HSET", "h", "a", "1", "b", "2"), ("HSETNX", "h", "a", "x"), ("HSETNX", "h", "c", "3"),
    ("HMSET", "h", "d", "4"), ("HINCRBY", "h", "a", "5"), ("HINCRBYFLOAT", "h", "b", "0.5"),
    ("HDEL", "h", "zz"), ("HDEL", "h", "a", "b"), ("HGET", "h", "c"), ("HDEL", "h", "c", "d"),
    ("HINCRBY", "g", "n", "1"), ("HINCRBY", "g", "n", "x"), ("DEL", "g"),
]


@pytest.mark.parametrize("script", [LIST_SCRIPT, HASH_SCRIPT], ids=["lists", "hashes"])
def test_events_match_redis(pairs, script):
    conns, streams = pairs
    for command in script:
        replies = [conn.execute(*command) for conn in conns]
        assert replies[0] == replies[1], command
        assert drain(streams[0]) == drain(streams[1]), command


def test_events_of_served_blocked_clients_match_redis(servers, pairs):
    conns, streams = pairs
    waiters = [RawConnection(proc.port) for proc in servers]
    for waiter in waiters:
        waiter.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    for conn in conns:        # both servers report the waiter blocked before the push
        deadline = time.monotonic() + 10
        while b"blocked_clients:1" not in conn.execute("INFO", "clients"):
            assert time.monotonic() < deadline
            time.sleep(0.005)
    for conn in conns:
        conn.execute("RPUSH", "src", "only")
    assert [w.read_reply() for w in waiters] == [b"$4\r\nonly\r\n"] * 2
    assert drain(streams[0]) == drain(streams[1])
    for waiter in waiters:
        waiter.close()

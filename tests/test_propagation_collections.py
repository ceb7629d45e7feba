"""What the collection commands propagate, read as a replica reads it: each test attaches
with SYNC, runs commands, and compares the commands that reach the replica with what Redis
7.0 sends (blocking pops as pops, SPOP as SREM, HINCRBYFLOAT as HSET, XADD with its ID and
an exact trim, XREADGROUP as XCLAIM ...). The same expectations run on redis-server, so they
are Redis's own. Times and generated stream IDs are normalised; a PUBLISH, which Redis
forces to its replicas, marks the end of each run.
"""
from __future__ import annotations

import re
import time
from typing import Iterator

import pytest
import redis

from helpers import RawConnection, start_server
from pyredis.launch import ServerProcess
from test_replication_stream import StreamReader

FENCE = b"end-of-run"
TIMESTAMP = re.compile(rb"1[0-9]{12}(-[0-9]+)?\Z")   # unix ms, or a stream ID made of one


class ReplicaLink:
    """A replica's view of a server (its reader attached with SYNC), with a client connection
    whose replies are not looked at."""

    def __init__(self, port: int) -> None:
        self.reader = StreamReader(port)
        self.client = RawConnection(port)
        self.fences = 0

    def commands(self) -> list[list[bytes]]:
        """What reached the replica since the last call, up to a fence published now."""
        self.fences += 1
        mark = b"%s-%d" % (FENCE, self.fences)
        self.client.execute("PUBLISH", "fence", mark)
        seen = []
        while True:
            argv = self.reader.command()
            if argv[0].lower() == b"publish" and argv[-1] == mark:
                return seen
            if argv[0].lower() != b"ping":                  # the master's heartbeat
                seen.append([TIMESTAMP.sub(lambda m: b"<ms>" + (m.group(1) or b""), a)
                             for a in argv])

    def run(self, *commands: str) -> list[list[bytes]]:
        """Run commands (a refused one propagates nothing either), then see what came."""
        for text in commands:
            self.client.execute(*text.split())
        return self.commands()

    def close(self) -> None:
        self.client.close()
        self.reader.close()


@pytest.fixture(scope="module", params=["pyredis", "redis"])
def origin(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A server of this module's own: a replica left attached does not reach other tests."""
    server = start_server(request.param)
    yield server
    server.stop()


@pytest.fixture
def r(origin: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=origin.port, socket_timeout=30)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def replica(r: redis.Redis, origin: ServerProcess) -> Iterator[ReplicaLink]:
    link = ReplicaLink(origin.port)
    link.commands()             # the SELECT that starts the stream comes with the first fence
    yield link
    link.close()


def cmd(text: str) -> list[bytes]:
    return text.encode().split()


def blocked(r: redis.Redis, port: int, *command: str) -> RawConnection:
    """A connection left blocked in `command` (waited for, bounded)."""
    before = r.info("clients")["blocked_clients"]
    conn = RawConnection(port)
    conn.send(*command)
    deadline = time.monotonic() + 10
    while r.info("clients")["blocked_clients"] == before:
        assert time.monotonic() < deadline, f"{command} never blocked"
        time.sleep(0.005)
    return conn


def expect(*lines: str) -> list[list[bytes]]:
    return [cmd(line) for line in lines]


# -- lists ------------------------------------------------------------------------------------

def test_list_pops_and_moves_propagate_as_plain_pops(r, replica):
    r.rpush("l", *"abcdef")
    replica.commands()
    assert replica.run("LMPOP 2 nope l LEFT", "LMPOP 1 l RIGHT COUNT 10",
                       "RPUSH l 1 2 3 4 5", "BLMPOP 0 1 l RIGHT COUNT 2", "BLPOP nope l 0",
                       "BRPOP l 0", "blmove l m right Left 0", "BRPOPLPUSH m l 0") == expect(
        "LPOP l 1", "RPOP l 5", "RPUSH l 1 2 3 4 5", "RPOP l 2", "LPOP l",
        "RPOP l", "LMOVE l m right Left", "RPOPLPUSH m l")


def test_list_writes_that_change_nothing_propagate_nothing(r, replica):
    r.rpush("l", "a", "b")
    replica.commands()
    assert replica.run("LPOP nope", "LPOP l 0", "LMPOP 1 nope LEFT", "LTRIM l 0 -1",
                       "LREM l 0 x", "LPUSHX nope a", "LINSERT l BEFORE x y", "RPOPLPUSH nope l",
                       "BLPOP nope 0.01", "MULTI", "BLMPOP 0 1 nope LEFT", "EXEC") == []


def test_blocked_list_clients_served_propagate_their_pops(r, replica, origin):
    waiters = [blocked(r, origin.port, "BLPOP", "q", "0"),
               blocked(r, origin.port, "BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "2"),
               blocked(r, origin.port, "BRPOP", "q", "0"),
               blocked(r, origin.port, "BLMOVE", "q", "m", "RIGHT", "LEFT", "0"),
               blocked(r, origin.port, "BRPOPLPUSH", "q", "m", "0"),
               blocked(r, origin.port, "BLMPOP", "0", "1", "q", "LEFT", "COUNT", "9")]
    r.rpush("q", *"1234567")
    for conn in waiters:
        conn.read_reply()
        conn.close()
    assert replica.commands() == expect(
        "RPUSH q 1 2 3 4 5 6 7", "LPOP q", "RPOP q 2", "RPOP q",
        "LMOVE q m right left", "RPOPLPUSH q m", "LPOP q 1")


# -- sets -------------------------------------------------------------------------------------

def test_spop_propagates_as_srem_or_del(r, replica):
    r.sadd("one", "x")
    r.sadd("all", "a", "b")
    replica.commands()
    assert replica.run("SPOP one", "SPOP all 5", "SPOP nope", "SPOP nope 3", "SADD s a",
                       "SPOP s 0") == expect("SREM one x", "DEL all", "SADD s a")


def test_spop_with_a_count_propagates_one_srem_a_member(r, replica):
    # Both of Redis's ways of choosing: a few members out of many, and most of them.
    for count in (3, 18):
        r.sadd("s", *range(20))
        replica.commands()
        popped = r.spop("s", count)
        stream = replica.commands()
        assert stream[-count - 2] == cmd("MULTI") and stream[-1] == cmd("EXEC")
        srems = stream[-count - 1:-1]
        assert {tuple(argv[:2]) for argv in srems} == {(b"SREM", b"s")}
        assert [argv[2] for argv in srems] == popped
        r.delete("s")


# -- sorted sets ------------------------------------------------------------------------------

def test_sorted_set_pops_propagate_as_zpopmin_zpopmax(r, replica, origin):
    r.zadd("z", {m: i for i, m in enumerate("abcdef")})
    replica.commands()
    assert replica.run("ZMPOP 2 nope z MIN", "ZMPOP 1 z MAX COUNT 2", "BZPOPMIN z 0",
                       "BZPOPMAX nope z 0", "BZMPOP 0 1 z MIN COUNT 5", "ZPOPMIN z",
                       "ZMPOP 1 z MIN") == expect(
        "ZPOPMIN z 1", "ZPOPMAX z 2", "ZPOPMIN z", "ZPOPMAX z",
        "ZPOPMIN z 1")
    waiters = [blocked(r, origin.port, "BZPOPMIN", "q", "0"),
               blocked(r, origin.port, "BZMPOP", "0", "1", "q", "MAX", "COUNT", "2"),
               blocked(r, origin.port, "BZPOPMAX", "q", "0"),
               blocked(r, origin.port, "BZMPOP", "0", "1", "q", "MIN", "COUNT", "9")]
    r.zadd("q", {m: i for i, m in enumerate("abcde")})
    for conn in waiters:
        conn.read_reply()
        conn.close()
    assert replica.commands() == expect(
        "ZADD q 0 a 1 b 2 c 3 d 4 e", "ZPOPMIN q", "ZPOPMAX q 2", "ZPOPMAX q", "ZPOPMIN q 1")


# -- hashes, geo ------------------------------------------------------------------------------

def test_hincrbyfloat_propagates_as_hset_of_the_value_reached(r, replica):
    r.hset("h", "f", "1.5")
    replica.commands()
    assert replica.run("HINCRBYFLOAT h f 0.1", "HINCRBYFLOAT h g 5.0e3",
                       "HINCRBYFLOAT h f x", "HSETNX h f 1") == expect(
        "HSET h f 1.6", "HSET h g 5000")


def test_geoadd_propagates_as_zadd_and_stores_as_themselves(r, replica):
    assert replica.run("GEOADD g 13.361389 38.115556 Palermo",
                       "GEOADD g NX CH 15.087269 37.502669 Catania 13.361389 38.115556 Palermo",
                       "GEOADD g XX 200 200 bad",
                       "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 1 km",
                       "GEORADIUS g 15 37 200 km STORE d",
                       "GEOSEARCHSTORE d nope FROMLONLAT 0 0 BYRADIUS 1 km") == expect(
        "zadd g 3479099956230698 Palermo",
        "zadd g NX CH 3479447370796909 Catania 3479099956230698 Palermo",
        "GEORADIUS g 15 37 200 km STORE d",
        "GEOSEARCHSTORE d nope FROMLONLAT 0 0 BYRADIUS 1 km")


# -- streams ----------------------------------------------------------------------------------

def test_xadd_propagates_its_id_and_an_exact_trim(r, replica):
    r.config_set("stream-node-max-entries", 2)     # nodes of two entries: trims by twos
    try:
        assert replica.run("XADD s 1-1 f v", "XADD s 1-* f v", "XADD s 2-* f v",
                           "XADD s 2-* f v", "XADD s MAXLEN ~ 1 3-* f v",
                           "XADD s MINID ~ 3-1 LIMIT 5 3-* f v", "XADD nope NOMKSTREAM * f v",
                           "XTRIM s MAXLEN ~ 5", "XTRIM s MAXLEN ~ 0", "XTRIM s MAXLEN 0",
                           "XADD t MINID ~ 1 * f v", "XTRIM t MINID ~ 2", "XDEL t 1-1",
                           "XADD u MINID ~ 9 1-1 f v") == expect(
            "XADD s 1-1 f v", "XADD s 1-2 f v", "XADD s 2-0 f v", "XADD s 2-1 f v",
            "XADD s MAXLEN = 1 3-0 f v", "XADD s MINID = 3-0 LIMIT 5 3-1 f v",
            "XTRIM s MAXLEN = 0", "XADD t MINID = <ms>-0 <ms>-0 f v",
            # Nothing left: the first ID of an empty stream is the greatest one.
            "XADD u MINID = 18446744073709551615-18446744073709551615 1-1 f v")
    finally:
        r.config_set("stream-node-max-entries", 100)


def test_consumer_groups_propagate_as_xclaim_and_xgroup_setid(r, replica):
    for seq in (1, 2, 3):
        r.xadd("s", {"f": "v"}, id=f"1-{seq}")
    r.xgroup_create("s", "g", id="0")
    replica.commands()
    claim = "XCLAIM s g {} 0 {} TIME <ms> RETRYCOUNT {} FORCE JUSTID LASTID {}"
    assert replica.run("XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
                       "XREADGROUP GROUP g alice STREAMS s 0",
                       "XREADGROUP GROUP g bob NOACK STREAMS s >",
                       "XREADGROUP GROUP g bob NOACK STREAMS s >") == expect(
        "MULTI", claim.format("alice", "1-1", 1, "1-1"),
        claim.format("alice", "1-2", 1, "1-2"), "EXEC",
        "MULTI", "XGROUP CREATECONSUMER s g bob", "XGROUP SETID s g 1-3 ENTRIESREAD 3",
        "EXEC")
    assert replica.run("XDEL s 1-1", "XCLAIM s g carol 0 1-1 1-2 JUSTID",
                       "XCLAIM s g carol 0 1-9 LASTID 5-0",
                       "XCLAIM s g carol 0 1-3 FORCE RETRYCOUNT 7",
                       "XAUTOCLAIM s g dave 0 0 COUNT 1", "XACK s g 1-9",
                       "XACK s g 1-2") == expect(
        # 1-1 is gone: its pending entry leaves, as the XCLAIM of a missing entry replays.
        "XDEL s 1-1", "MULTI", claim.format("alice", "1-1", 2, "1-3"),
        claim.format("carol", "1-2", 2, "1-3"), "EXEC",
        "XGROUP SETID s g 5-0 ENTRIESREAD 3", claim.format("carol", "1-3", 7, "5-0"),
        claim.format("dave", "1-2", 3, "5-0"), "XACK s g 1-2")


def test_blocked_group_readers_served_propagate_xclaim(r, replica, origin):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    replica.commands()
    waiters = [blocked(r, origin.port, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0",
                       "STREAMS", "s", ">"),
               blocked(r, origin.port, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0",
                       "NOACK", "STREAMS", "s", ">")]
    r.xadd("s", {"f": "v"}, id="1-1")
    r.xadd("s", {"f": "v"}, id="1-2")
    for conn in waiters:
        conn.read_reply()
        conn.close()
    assert replica.commands() == expect(
        "XADD s 1-1 f v",
        "XCLAIM s g alice 0 1-1 TIME <ms> RETRYCOUNT 1 FORCE JUSTID LASTID 1-1",
        "XADD s 1-2 f v", "MULTI", "XGROUP CREATECONSUMER s g bob",
        "XGROUP SETID s g 1-2 ENTRIESREAD 2", "EXEC")


# -- strings of bits, HyperLogLogs, SORT ------------------------------------------------------

def test_bits_hyperloglogs_and_sort_propagate_what_changed(r, replica):
    r.rpush("l", 3, 1, 2)
    replica.commands()
    assert replica.run("SETBIT b 7 1", "SETBIT b 7 1", "BITFIELD b SET u8 0 255",
                       "BITFIELD b GET u8 0", "BITFIELD b OVERFLOW FAIL INCRBY u8 0 10",
                       "BITOP AND d nope", "BITOP NOT d b", "PFADD h a b", "PFADD h a",
                       "PFCOUNT h", "PFCOUNT h", "PFMERGE h", "SORT l STORE o",
                       "SORT nope STORE p", "SORT nope STORE o") == expect(
        "SETBIT b 7 1", "BITFIELD b SET u8 0 255", "BITOP NOT d b",
        "PFADD h a b", "PFCOUNT h", "PFMERGE h", "SORT l STORE o", "SORT nope STORE o")

"""Stream commands: differential scripts against the real redis-server in RESP2 and RESP3
(generated IDs and times normalised), redis-py (sync and asyncio), blocking reads, keyspace
events and what every key does (TYPE, OBJECT ENCODING, COPY, RENAME, MOVE, SCAN TYPE, WATCH)."""
from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
import redis
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from differential import both

# IDs made from the clock (13 digits of ms) and times in ms or idle ms differ between servers.
_GENERATED_ID = re.compile(rb"\d{13}-\d+")
_TIME_FIELD = re.compile(rb"(idle|seen-time)\r\n:\d+")


def _normalised(reply: bytes) -> bytes:
    return _TIME_FIELD.sub(rb"\1\r\n:T", _GENERATED_ID.sub(b"<id>", reply))


def _run_script(ours, real, script: str, proto: int) -> None:
    both(ours, real, "HELLO", proto)
    for line in script.strip().splitlines():
        args = line.split()
        mine, theirs = both(ours, real, *args)
        assert _normalised(mine) == _normalised(theirs), (proto, args, mine, theirs)


ENTRIES_SCRIPT = """
XADD s 1-1 a 1
XADD s 1-1 a 1
XADD s 1-* b 2
XADD s 2 c 3 d 4
XADD s 0-0 a 1
XADD s 0-* a 1
XADD s 3-x a 1
XADD s - a 1
XADD s 5-1 a
XADD s NOMKSTREAM 6-1 a 1
XADD nos NOMKSTREAM 6-1 a 1
XADD s MAXLEN 2 7-1 a 1
XRANGE s - +
XREAD STREAMS s s 0 1-1
XADD s MAXLEN ~ 2 8-1 a 1
XADD s MAXLEN = 2 9-1 a 1
XADD s MAXLEN 2 MINID 1 10-1 a 1
XADD s LIMIT 10 11-1 a 1
XADD s MAXLEN 2 LIMIT 10 12-1 a 1
XADD s MAXLEN ~ 2 LIMIT 10 13-1 a 1
XADD s MAXLEN -1 14-1 a 1
XADD s MAXLEN ~ 2 LIMIT -1 14-1 a 1
XADD s MINID 9 15-1 a 1
XADD s * x 1
XADD s 18446744073709551615-18446744073709551615 a 1
XADD s * a 1
XADD s 18446744073709551615-* a 1
XRANGE s - +
XRANGE s (9-1 + COUNT 1
XRANGE s - (15-1
XRANGE s ( +
XRANGE s - + COUNT 0
XRANGE s - + COUNT -3
XRANGE s - + FOO
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XREVRANGE s + - COUNT 2
XREVRANGE s 13 10
XRANGE nokey - +
XDEL s 13-1 99-1
XDEL s bad
XLEN s
XTRIM s
XTRIM s MAXLEN 1
XTRIM s LIMIT 1
XTRIM nokey MAXLEN 0
XADD e 01-01 a 1
XADD e +5-2 a 1
XADD e -01-3 a 1
XRANGE e - +
XSETID e 1-1
XSETID e 100-1 ENTRIESADDED 1
XSETID e 100-1 ENTRIESADDED 50 MAXDELETEDID 200-0
XSETID e 100-1 ENTRIESADDED 50 MAXDELETEDID 20-0
XSETID nokey 100-1
XSETID e 100-1 FOO
XINFO STREAM e
XINFO STREAM e FULL
SET str x
XADD str 1-1 a 1
XLEN str
XRANGE str - +
XREAD STREAMS str 0
TYPE e
OBJECT ENCODING e
XREAD STREAMS e 0 nokey 0
XREAD COUNT 1 STREAMS e 0
XREAD STREAMS e $
XREAD STREAMS e >
XREAD GROUP g c STREAMS e 0
XREAD NOACK STREAMS e 0
XREAD STREAMS e
XREAD FOO STREAMS e 0
XREAD COUNT 2
"""

GROUPS_SCRIPT = """
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XADD s 4-1 d 4
XGROUP CREATE s g 0
XGROUP CREATE s g 0
XGROUP CREATE nok g $
XGROUP CREATE nok g $ MKSTREAM
XGROUP CREATE nok g2 0 MKSTREAM ENTRIESREAD 3
XGROUP CREATE nok g3 0 ENTRIESREAD -2
XGROUP CREATE nok g3 0 FOO
XGROUP SETID nok g9 0
XGROUP SETID nok g2 0 MKSTREAM
XGROUP HELP
XGROUP FOO
XINFO HELP
XGROUP CREATECONSUMER nok g2 alice
XGROUP CREATECONSUMER nok g2 alice
XGROUP DELCONSUMER nok g2 alice
XGROUP DELCONSUMER nok g2 bob
XGROUP DESTROY nok g2
XGROUP DESTROY nok g2
XREADGROUP GROUP g alice COUNT 2 STREAMS s >
XREADGROUP GROUP g bob STREAMS s >
XREADGROUP GROUP g bob STREAMS s >
XREADGROUP GROUP g bob STREAMS s 0
XREADGROUP GROUP g bob STREAMS s $
XREADGROUP GROUP g bob STREAMS nokey >
XREADGROUP GROUP g9 bob STREAMS s >
XREADGROUP GROUP g bob STREAMS s
XREADGROUP STREAMS s >
XPENDING s g
XPENDING s g - + 0
XPENDING s g - + 10 nobody
XPENDING s g9
XPENDING nokey g
XPENDING s g - +
XPENDING s g IDLE 0 - +
XACK s g 1-1 9-9
XACK s g bad
XACK s g9 bad
XACK nokey g 1-1
XDEL s 2-1
XREADGROUP GROUP g alice STREAMS s 0
XCLAIM s g carol 0 2-1 3-1 JUSTID
XCLAIM s g carol 0 3-1 RETRYCOUNT 7 JUSTID
XCLAIM s g carol 0 4-1
XCLAIM s g carol 0 1-1 FORCE JUSTID
XCLAIM s g carol 0 4-1 FORCE
XCLAIM s g carol 0 4-1 BOGUS
XCLAIM s g carol x 4-1
XCLAIM s g carol 0 4-1 IDLE x
XCLAIM s g9 carol 0 4-1
XCLAIM s g carol 0 4-1 LASTID 50-0 JUSTID
XINFO GROUPS s
XPENDING s g
XADD s 5-1 e 5
XADD s 6-1 f 6
XREADGROUP GROUP g dave STREAMS s >
XREADGROUP GROUP g dave NOACK STREAMS s >
XGROUP SETID s g 0 ENTRIESREAD 0
XREADGROUP GROUP g erin NOACK COUNT 1 STREAMS s >
XINFO GROUPS s
XAUTOCLAIM s g frank 0 0
XAUTOCLAIM s g frank 0 0 COUNT 1
XAUTOCLAIM s g frank 0 0 COUNT 0
XAUTOCLAIM s g frank 0 0 JUSTID
XAUTOCLAIM s g frank 0 (0 JUSTID COUNT 1
XAUTOCLAIM s g9 frank 0 0
XAUTOCLAIM s g frank x 0
XAUTOCLAIM s g frank 0 0 FOO
XGROUP DELCONSUMER s g frank
XPENDING s g
XGROUP CREATE s g2 0
XGROUP CREATE s g3 $
XGROUP CREATE s g4 3-1
XDEL s 5-1
XINFO GROUPS s
XINFO CONSUMERS s g
XINFO CONSUMERS s g9
XINFO CONSUMERS nokey g
XTRIM s MAXLEN 0
XINFO GROUPS s
XINFO STREAM s
XINFO STREAM s FOO
XINFO STREAM s FULL COUNT
XINFO STREAM nokey
"""


@pytest.mark.parametrize("proto", [2, 3])
def test_entries_differential(raw, real_raw, proto):
    _run_script(raw, real_raw, ENTRIES_SCRIPT, proto)


@pytest.mark.parametrize("proto", [2, 3])
def test_groups_differential(raw, real_raw, proto):
    _run_script(raw, real_raw, GROUPS_SCRIPT, proto)


@pytest.mark.parametrize("proto", [2, 3])
def test_node_layout_differential(raw, real_raw, proto):
    """Approximate trimming removes whole nodes, so node sizes (entries and listpack bytes)
    must match Redis's; XINFO shows the radix tree's keys and nodes."""
    both(raw, real_raw, "HELLO", proto)
    for config in (("stream-node-max-entries", "7"), ("stream-node-max-bytes", "300")):
        both(raw, real_raw, "CONFIG", "SET", *config)
        for i in range(1, 120):
            fields = ("f", "v" * (i % 9)) if i % 5 else ("g", str(i), "h", "12345")
            both(raw, real_raw, "XADD", "s", f"{i}-{i % 3}", *fields)
            if i % 11 == 0:
                both(raw, real_raw, "XDEL", "s", f"{i - 3}-{(i - 3) % 3}")
        for args in (("XTRIM", "s", "MAXLEN", "~", "50"), ("XTRIM", "s", "MINID", "~", "90"),
                     ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "9"),
                     ("XTRIM", "s", "MAXLEN", "=", "5"), ("XINFO", "STREAM", "s", "FULL")):
            mine, theirs = both(raw, real_raw, *args)
            assert mine == theirs, (config, args, mine, theirs)
        both(raw, real_raw, "DEL", "s")
    both(raw, real_raw, "CONFIG", "SET", "stream-node-max-entries", "100")
    both(raw, real_raw, "CONFIG", "SET", "stream-node-max-bytes", "4096")


def _streams(reply) -> list:
    """XREAD/XREADGROUP as redis-py gives them in RESP2 ([[key, entries]]); in RESP3 it
    gives {key: [entries]}."""
    if isinstance(reply, dict):
        return [[key, value[0]] for key, value in reply.items()]
    return reply


def test_redis_py_entries(r):
    first = r.xadd("s", {"a": "1"})
    assert re.fullmatch(rb"\d+-0", first)
    r.xadd("s", {"b": "2"}, id="99999999999999-1")
    assert r.xlen("s") == 2
    assert r.xrange("s", count=1) == [(first, {b"a": b"1"})]
    assert r.xrevrange("s", count=1) == [(b"99999999999999-1", {b"b": b"2"})]
    assert _streams(r.xread({"s": first})) == [[b"s", [(b"99999999999999-1", {b"b": b"2"})]]]
    assert r.xtrim("s", maxlen=1, approximate=False) == 1
    assert r.xdel("s", b"99999999999999-1") == 1
    assert r.xlen("s") == 0 and r.exists("s") == 1    # an empty stream stays
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        r.xadd("s", {"a": "1"}, id="1-1")


def test_redis_py_consumer_groups(r):
    for i in range(1, 4):
        r.xadd("s", {"n": str(i)}, id=f"{i}-0")
    r.xgroup_create("s", "g", id="0")
    assert _streams(r.xreadgroup("g", "alice", {"s": ">"}, count=2)) == \
        [[b"s", [(b"1-0", {b"n": b"1"}), (b"2-0", {b"n": b"2"})]]]
    summary = r.xpending("s", "g")
    assert summary["pending"] == 2 and summary["consumers"] == [{"name": b"alice",
                                                                  "pending": 2}]
    detail = r.xpending_range("s", "g", "-", "+", 10)
    assert [d["message_id"] for d in detail] == [b"1-0", b"2-0"]
    assert all(d["times_delivered"] == 1 for d in detail)
    assert r.xclaim("s", "g", "bob", 0, [b"1-0"], justid=True) == [b"1-0"]
    assert r.xautoclaim("s", "g", "carol", 0, "0", justid=True) == [b"1-0", b"2-0"]
    assert r.xack("s", "g", b"1-0", b"2-0") == 2
    groups = r.xinfo_groups("s")
    assert groups[0]["name"] == b"g" and groups[0]["entries-read"] == 2 and groups[0]["lag"] == 1
    consumers = {c["name"]: c["pending"] for c in r.xinfo_consumers("s", "g")}
    assert consumers == {b"alice": 0, b"bob": 0, b"carol": 0}
    assert r.xgroup_delconsumer("s", "g", "alice") == 0
    assert r.xgroup_destroy("s", "g") == 1


def _in_thread(func):
    result: dict = {}

    def run():
        try:
            result["value"] = func()
        except redis.ResponseError as exc:
            result["error"] = str(exc)
    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _wait_blocked(r, count: int = 1) -> None:
    for _ in range(500):
        if r.info("clients")["blocked_clients"] >= count:
            return
        time.sleep(0.01)
    raise AssertionError("the client did not block")


def test_blocking_xread_served_by_xadd(target_server, r):
    r.xadd("s", {"a": "1"}, id="1-0")
    other = redis.Redis(port=target_server.port)
    thread, result = _in_thread(lambda: other.xread({"s": "$"}, block=0))
    _wait_blocked(r)
    r.xadd("s", {"b": "2"}, id="2-0")
    thread.join(10)
    assert result["value"] == [[b"s", [(b"2-0", {b"b": b"2"})]]]
    other.close()


def test_blocking_xread_times_out_and_unblocks(target_server, r):
    assert _streams(r.xread({"s": "$"}, block=50)) in ([], {})
    other = redis.Redis(port=target_server.port)
    thread, result = _in_thread(lambda: other.xread({"s": "$"}, block=0))
    _wait_blocked(r)
    client_id = [c["id"] for c in r.client_list() if c["cmd"] == "xread"][0]
    assert r.client_unblock(client_id) == 1
    thread.join(10)
    assert result["value"] == []
    other.close()


def test_blocking_xreadgroup_errors_when_stream_or_group_goes(target_server, r):
    other = redis.Redis(port=target_server.port)
    for action, expected in ((lambda: r.delete("s"), "UNBLOCKED the stream key no longer exists"),
                             (lambda: r.xgroup_destroy("s", "g"),
                              "NOGROUP the consumer group this client was blocked on no "
                              "longer exists")):
        r.xgroup_create("s", "g", id="$", mkstream=True)
        thread, result = _in_thread(lambda: other.xreadgroup("g", "c", {"s": ">"}, block=0))
        _wait_blocked(r)
        action()
        thread.join(10)
        assert result["error"] == expected
        r.delete("s")
    other.close()


def test_blocking_xreadgroup_delivers_to_the_group(target_server, r):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    other = redis.Redis(port=target_server.port)
    thread, result = _in_thread(lambda: other.xreadgroup("g", "c", {"s": ">"}, block=0))
    _wait_blocked(r)
    r.xadd("s", {"a": "1"}, id="5-0")
    thread.join(10)
    assert result["value"] == [[b"s", [(b"5-0", {b"a": b"1"})]]]
    assert r.xpending("s", "g")["pending"] == 1
    other.close()


def test_xread_block_in_multi_answers_null(r):
    pipe = r.pipeline(transaction=True)
    pipe.xread({"s": "$"}, block=0)
    assert [_streams(reply) for reply in pipe.execute()] in ([[]], [{}])


def test_asyncio_blocking_xread(server):
    async def scenario():
        reader = redis.asyncio.Redis(port=server.port)
        writer = redis.asyncio.Redis(port=server.port)
        await writer.delete("as")
        waiting = asyncio.ensure_future(reader.xread({"as": "$"}, block=0))
        for _ in range(500):
            if (await writer.info("clients"))["blocked_clients"]:
                break
            await asyncio.sleep(0.01)
        await writer.xadd("as", {"k": "v"}, id="7-0")
        got = await asyncio.wait_for(waiting, 10)
        await reader.aclose()
        await writer.aclose()
        return got
    assert asyncio.run(scenario()) == [[b"as", [(b"7-0", {b"k": b"v"})]]]


def test_keyspace_events(target_server, r):
    r.config_set("notify-keyspace-events", "KEt")
    sub = redis.Redis(port=target_server.port).pubsub()
    sub.psubscribe("__keyevent@0__:*")
    sub.get_message(timeout=5)
    try:
        r.xadd("s", {"a": "1"}, id="1-0")
        r.xadd("s", {"a": "1"}, id="2-0", maxlen=1, approximate=False)
        r.xdel("s", "2-0")
        r.execute_command("XSETID", "s", "9-0")
        r.xgroup_create("s", "g", id="0")
        r.xgroup_setid("s", "g", id="0")
        r.xgroup_createconsumer("s", "g", "c")
        r.xgroup_delconsumer("s", "g", "c")
        r.xgroup_destroy("s", "g")
        r.xadd("s", {"a": "1"}, id="10-0")
        r.xtrim("s", maxlen=0)
        events = []
        for _ in range(100):
            message = sub.get_message(timeout=5)
            if message is None:
                break
            events.append(message["channel"].split(b":", 1)[1])
            if len(events) == 12:
                break
    finally:
        r.config_set("notify-keyspace-events", "")
        sub.close()
    assert events == [b"xadd", b"xadd", b"xtrim", b"xdel", b"xsetid", b"xgroup-create",
                      b"xgroup-setid", b"xgroup-createconsumer", b"xgroup-delconsumer",
                      b"xgroup-destroy", b"xadd", b"xtrim"]


def test_what_every_key_does(r):
    r.xadd("s", {"a": "1"}, id="1-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"})
    assert r.type("s") == b"stream"
    assert r.object("encoding", "s") == b"stream"
    assert r.copy("s", "t") is True
    r.xadd("t", {"b": "2"}, id="2-0")
    r.xack("t", "g", "1-0")
    assert r.xlen("s") == 1 and r.xpending("s", "g")["pending"] == 1
    assert r.rename("t", "u") is True and r.xlen("u") == 2
    assert r.move("u", 1) is True
    assert list(r.scan_iter(_type="stream")) == [b"s"]
    assert r.memory_usage("s") > 0
    with r.pipeline() as pipe:
        pipe.watch("s")
        r.xadd("s", {"c": "3"}, id="3-0")
        pipe.multi()
        pipe.xlen("s")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.delete("s") == 1 and r.unlink("s") == 0


_ids = st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(0, 30), st.integers(0, 2))
_commands = st.one_of(
    st.tuples(st.just("XADD"), st.just("s"), _ids, st.sampled_from(["f", "g"]),
              st.sampled_from(["1", "v", "-7", "x" * 70])),
    st.tuples(st.just("XADD"), st.just("s"), st.sampled_from(["MAXLEN", "MINID"]),
              st.sampled_from(["~", "="]), st.sampled_from(["3", "5-1", "12"]), _ids,
              st.just("f"), st.just("v")),
    st.tuples(st.just("XDEL"), st.just("s"), _ids, _ids),
    st.tuples(st.just("XTRIM"), st.just("s"), st.sampled_from(["MAXLEN", "MINID"]),
              st.sampled_from(["~", "="]), st.sampled_from(["0", "4", "9-0", "20"])),
    st.tuples(st.just("XRANGE"), st.just("s"), st.sampled_from(["-", "(3-1", "5"]),
              st.sampled_from(["+", "(20-0", "18"]), st.just("COUNT"),
              st.sampled_from(["0", "2", "100"])),
    st.tuples(st.just("XREVRANGE"), st.just("s"), st.just("+"), st.just("-")),
    st.tuples(st.just("XREADGROUP"), st.just("GROUP"), st.just("g"),
              st.sampled_from(["a", "b"]), st.just("COUNT"), st.just("2"),
              st.just("STREAMS"), st.just("s"), st.sampled_from([">", "0"])),
    st.tuples(st.just("XACK"), st.just("s"), st.just("g"), _ids),
    st.tuples(st.just("XCLAIM"), st.just("s"), st.just("g"), st.just("c"), st.just("0"),
              _ids, st.just("JUSTID")),
    st.tuples(st.just("XAUTOCLAIM"), st.just("s"), st.just("g"), st.just("a"), st.just("0"),
              st.just("0"), st.just("COUNT"), st.just("3"), st.just("JUSTID")),
    st.tuples(st.just("XINFO"), st.just("GROUPS"), st.just("s")),
    st.tuples(st.just("XINFO"), st.just("STREAM"), st.just("s")),
    st.tuples(st.just("XPENDING"), st.just("s"), st.just("g")),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_commands, max_size=40))
def test_random_commands_differential(raw, real_raw, commands):
    for conn in (raw, real_raw):
        conn.execute("FLUSHALL")
        conn.execute("CONFIG", "SET", "stream-node-max-entries", "4")
    try:
        both(raw, real_raw, "XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
        for args in commands:
            mine, theirs = both(raw, real_raw, *args)
            assert _normalised(mine) == _normalised(theirs), (args, mine, theirs)
    finally:
        for conn in (raw, real_raw):
            conn.execute("CONFIG", "SET", "stream-node-max-entries", "100")

"""List commands: redis-py behaviour, keyspace events, and command sequences compared byte for
byte with redis-server (hypothesis-generated)."""
from __future__ import annotations

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def require(r, *names: str) -> None:
    """Skip while the server lacks commands another part of the project provides."""
    for name in names:
        try:
            r.execute_command(name)
        except redis.ResponseError as exc:
            if "unknown command" in str(exc):
                pytest.skip(f"{name} not available yet")


def test_push_pop_and_lengths(r):
    assert r.rpush("l", "a", "b", "c") == 3
    assert r.lpush("l", "x", "y") == 5
    assert r.lrange("l", 0, -1) == [b"y", b"x", b"a", b"b", b"c"]
    assert r.lpop("l") == b"y"
    assert r.rpop("l") == b"c"
    assert r.lpop("l", 2) == [b"x", b"a"]
    assert r.rpop("l", 5) == [b"b"]
    assert r.exists("l") == 0
    assert r.lpop("l") is None
    assert r.lpop("l", 2) is None
    assert r.llen("l") == 0


def test_pushx_only_on_existing_lists(r):
    assert r.lpushx("l", "a") == 0
    assert r.rpushx("l", "a") == 0
    assert r.exists("l") == 0
    r.rpush("l", "a")
    assert r.lpushx("l", "b", "c") == 3
    assert r.rpushx("l", "d") == 4
    assert r.lrange("l", 0, -1) == [b"c", b"b", b"a", b"d"]


def test_lindex_lset_linsert(r):
    r.rpush("l", "a", "b", "c")
    assert r.lindex("l", 0) == b"a"
    assert r.lindex("l", -1) == b"c"
    assert r.lindex("l", 3) is None
    assert r.lset("l", -1, "C")
    with pytest.raises(redis.ResponseError, match="index out of range"):
        r.lset("l", 3, "x")
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.lset("missing", 0, "x")
    assert r.linsert("l", "BEFORE", "b", "B") == 4
    assert r.linsert("l", "after", "C", "D") == 5
    assert r.linsert("l", "after", "nope", "D") == -1
    assert r.linsert("missing", "after", "a", "b") == 0
    assert r.lrange("l", 0, -1) == [b"a", b"B", b"b", b"C", b"D"]


def test_lrem_ltrim(r):
    r.rpush("l", *"abacabaa")
    assert r.lrem("l", 2, "a") == 2
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a", b"b", b"a", b"a"]
    assert r.lrem("l", -1, "a") == 1
    assert r.lrem("l", 0, "a") == 2
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"b"]
    assert r.ltrim("l", 1, -1)
    assert r.lrange("l", 0, -1) == [b"c", b"b"]
    assert r.ltrim("l", 5, 10)
    assert r.exists("l") == 0


def test_lrem_many_matches_in_a_long_list(r):
    r.rpush("l", *(["x", "y"] * 500))
    assert r.lrem("l", 300, "x") == 300
    assert r.llen("l") == 700
    assert r.lrange("l", 0, 3) == [b"y"] * 4
    assert r.lrange("l", -2, -1) == [b"x", b"y"]


def test_lpos_options(r):
    r.rpush("l", *"abcabcabc")
    assert r.lpos("l", "c") == 2
    assert r.lpos("l", "c", rank=2) == 5
    assert r.lpos("l", "c", rank=-1) == 8
    assert r.lpos("l", "c", count=0) == [2, 5, 8]
    assert r.lpos("l", "c", rank=-2, count=2) == [5, 2]
    assert r.lpos("l", "c", maxlen=2) is None
    assert r.lpos("l", "c", count=0, maxlen=6) == [2, 5]
    assert r.lpos("l", "z") is None
    assert r.lpos("missing", "z", count=2) == []
    with pytest.raises(redis.ResponseError, match="RANK can't be zero"):
        r.lpos("l", "a", rank=0)


def test_lmove_rpoplpush_lmpop(r):
    r.rpush("src", "a", "b", "c")
    assert r.lmove("src", "dst", "LEFT", "RIGHT") == b"a"
    assert r.rpoplpush("src", "dst") == b"c"
    assert r.lrange("dst", 0, -1) == [b"c", b"a"]
    assert r.lmove("src", "src", "RIGHT", "LEFT") == b"b"
    assert r.lmove("missing", "dst", "LEFT", "LEFT") is None
    assert r.lmpop(2, "missing", "dst", direction="RIGHT", count=5) == [b"dst", [b"a", b"c"]]
    assert r.lmpop(1, "missing", direction="LEFT") is None


def test_wrongtype_everywhere(r):
    r.set("s", "v")
    for args in (("LPUSH", "s", "a"), ("RPOP", "s"), ("LLEN", "s"), ("LRANGE", "s", 0, 1),
                 ("LINDEX", "s", 0), ("LSET", "s", 0, "a"), ("LINSERT", "s", "BEFORE", "a", "b"),
                 ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1), ("LPOS", "s", "a"),
                 ("LMOVE", "s", "d", "LEFT", "LEFT"), ("BLPOP", "s", 0),
                 ("BLMPOP", 0, 1, "s", "LEFT")):
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            r.execute_command(*args)
    r.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.lmove("l", "s", "LEFT", "LEFT")
    assert r.lrange("l", 0, -1) == [b"a"]


def test_object_encoding_and_type(r):
    r.rpush("l", "a")
    assert r.type("l") == b"list"
    assert r.object("encoding", "l") == b"quicklist"


def test_copy_is_independent(r):
    r.rpush("l", "a", "b")
    assert r.copy("l", "c")
    r.rpush("c", "x")
    assert r.lrange("l", 0, -1) == [b"a", b"b"]


def test_blocking_forms_in_multi_do_not_block(r):
    pipe = r.pipeline(transaction=True)
    pipe.blpop("missing", 0)
    pipe.brpoplpush("missing", "d", 0)
    pipe.blmove("missing", "d", 0, "LEFT", "LEFT")
    pipe.execute_command("BLMPOP", 0, 1, "missing", "LEFT")
    assert pipe.execute() == [None, None, None, None]


def test_keyspace_events(r):
    require(r, "CONFIG", "PSUBSCRIBE")
    r.config_set("notify-keyspace-events", "KEl")
    pubsub = r.pubsub()
    pubsub.psubscribe("__keyspace@0__:*")
    pubsub.get_message(timeout=5)
    r.rpush("l", "a", "b", "c")
    r.lpush("l", "z")
    r.lpop("l")
    r.rpop("l")
    r.linsert("l", "BEFORE", "a", "x")
    r.lset("l", 0, "y")
    r.lrem("l", 0, "b")
    r.ltrim("l", 0, 0)
    r.lmove("l", "m", "LEFT", "RIGHT")
    events = []
    for _ in range(20):
        message = pubsub.get_message(timeout=5)
        if message is None:
            break
        events.append((message["channel"].split(b":", 1)[1], message["data"]))
        if message["data"] == b"lpop" and message["channel"].endswith(b":l") and \
                len(events) > 8:
            break
    r.config_set("notify-keyspace-events", "")
    pubsub.close()
    assert events == [(b"l", b"rpush"), (b"l", b"lpush"), (b"l", b"lpop"), (b"l", b"rpop"),
                      (b"l", b"linsert"), (b"l", b"lset"), (b"l", b"lrem"), (b"l", b"ltrim"),
                      (b"m", b"rpush"), (b"l", b"lpop")]


# -- differential ---------------------------------------------------------------------------

KEYS = st.sampled_from(["k1", "k2", "s"])
VALUES = st.sampled_from(["a", "b", "c", "1", "-1", "", "aa"])
INDEXES = st.sampled_from(["0", "1", "-1", "2", "-3", "10", "-10", "x", "9223372036854775808"])
SIDES = st.sampled_from(["LEFT", "RIGHT", "left", "up"])
TIMEOUTS = st.sampled_from(["0.01", "-1", "x"])

COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), KEYS,
              VALUES).map(list) | st.tuples(st.just("RPUSH"), KEYS, VALUES, VALUES).map(list),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS).map(list),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS, INDEXES).map(list),
    st.tuples(st.sampled_from(["LLEN"]), KEYS).map(list),
    st.tuples(st.sampled_from(["LRANGE", "LTRIM"]), KEYS, INDEXES, INDEXES).map(list),
    st.tuples(st.just("LINDEX"), KEYS, INDEXES).map(list),
    st.tuples(st.just("LSET"), KEYS, INDEXES, VALUES).map(list),
    st.tuples(st.just("LINSERT"), KEYS, st.sampled_from(["BEFORE", "AFTER", "x"]), VALUES,
              VALUES).map(list),
    st.tuples(st.just("LREM"), KEYS, INDEXES, VALUES).map(list),
    st.tuples(st.just("LPOS"), KEYS, VALUES).map(list)
    | st.tuples(st.just("LPOS"), KEYS, VALUES, st.sampled_from(["RANK", "COUNT", "MAXLEN"]),
                INDEXES).map(list)
    | st.tuples(st.just("LPOS"), KEYS, VALUES, st.just("RANK"), INDEXES, st.just("COUNT"),
                INDEXES, st.just("MAXLEN"), INDEXES).map(list),
    st.tuples(st.just("LMOVE"), KEYS, KEYS, SIDES, SIDES).map(list),
    st.tuples(st.just("RPOPLPUSH"), KEYS, KEYS).map(list),
    st.tuples(st.sampled_from(["LMPOP"]), st.sampled_from(["1", "2", "0", "3"]), KEYS, KEYS,
              SIDES).map(list)
    | st.tuples(st.just("LMPOP"), st.just("2"), KEYS, KEYS, SIDES, st.just("COUNT"),
                INDEXES).map(list),
    st.tuples(st.sampled_from(["BLPOP", "BRPOP"]), KEYS, TIMEOUTS).map(list),
    st.tuples(st.sampled_from(["BLPOP", "BRPOP"]), KEYS, KEYS, KEYS, TIMEOUTS).map(list),
    st.tuples(st.just("BLMPOP"), TIMEOUTS, st.just("2"), KEYS, KEYS, SIDES).map(list),
    st.tuples(st.just("BLMOVE"), KEYS, KEYS, SIDES, SIDES, TIMEOUTS).map(list),
    st.tuples(st.just("BLMPOP"), TIMEOUTS, st.just("1"), KEYS, SIDES, st.just("COUNT"),
              INDEXES).map(list),
    st.tuples(st.sampled_from(["EXISTS", "TYPE"]), KEYS).map(list),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(COMMANDS, min_size=1, max_size=25), st.sampled_from([2, 3]))
def test_command_sequences_match_redis(raw, real_raw, commands, protocol):
    for conn in (raw, real_raw):
        conn.execute("FLUSHALL")
        conn.execute("HELLO", protocol)
        conn.execute("SET", "s", "string")
    for command in commands:
        assert raw.execute(*command) == real_raw.execute(*command), command


@pytest.mark.parametrize("command", [
    ("LPOP", "k", "1", "2"), ("LPOP", "k", "-1"), ("LPOP", "k", "x"), ("LPOS", "k", "a", "RANK"),
    ("LPOS", "k", "a", "COUNT", "-1"), ("LPOS", "k", "a", "MAXLEN", "x"),
    ("LPOS", "k", "a", "X", "1"),
    ("LMPOP", "x", "k", "LEFT"), ("LMPOP", "5", "k", "LEFT"), ("LMPOP", "1", "k", "LEFT", "COUNT"),
    ("LMPOP", "1", "k", "LEFT", "COUNT", "0"),
    ("LMPOP", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1"),
    ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "-1"), ("BLMPOP", "x", "1", "k", "LEFT"),
    ("BLMOVE", "a", "b", "LEFT", "LEFT", "-1"), ("LINSERT", "k", "x", "a", "b"),
    ("CLIENT", "UNBLOCK", "x"), ("CLIENT", "UNBLOCK", "1", "x"),
    ("CLIENT", "UNBLOCK", "1", "2", "3"),
    ("CLIENT", "UNBLOCK", "999999"), ("RPUSH", "k"), ("LRANGE", "k", "0"),
])
def test_errors_match_redis(raw, real_raw, command):
    assert raw.execute(*command) == real_raw.execute(*command)


def test_lpos_with_the_lowest_rank_matches_redis(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("RPUSH", "k", "a", "b", "a")
    lowest = "-9223372036854775808"
    for command in (("LPOS", "k", "a", "RANK", lowest), ("LPOS", "k", "a", "RANK", lowest,
                                                         "COUNT", "0")):
        assert raw.execute(*command) == real_raw.execute(*command), command


def test_resp3_replies_match_redis(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("HELLO", "3")
    for command in (("RPUSH", "k", "a", "b"), ("LPOP", "missing", "2"), ("LPOP", "missing"),
                    ("LMPOP", "1", "k", "LEFT", "COUNT", "5"), ("LMPOP", "1", "k", "LEFT"),
                    ("BLPOP", "k", "0.01"), ("LPOS", "k", "z"), ("LINDEX", "k", "5")):
        assert raw.execute(*command) == real_raw.execute(*command), command

"""Sorted set commands: redis-py integration tests, and differential tests against
redis-server, byte for byte (sorted sets have a defined order, and scores a defined text)."""
from __future__ import annotations

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from differential import assert_same, assert_script_same, both, parse_reply, shape
from helpers import RawConnection, scored
from pyredis.types.zset import MAX_LEX, MIN_LEX, ZSetValue
from test_blocking import connections, port, wait_blocked  # noqa: F401 (port: fixture)


def test_zadd_options(r):
    assert r.zadd("z", {"a": 1, "b": 2}) == 2
    assert r.zadd("z", {"a": 5, "c": 3}, nx=True) == 1
    assert r.zscore("z", "a") == 1.0
    assert r.zadd("z", {"a": 5, "d": 3}, xx=True, ch=True) == 1
    assert r.zscore("z", "d") is None and r.zscore("z", "a") == 5.0
    assert r.zadd("z", {"a": 4}, gt=True, ch=True) == 0
    assert r.zadd("z", {"a": 6}, gt=True, ch=True) == 1
    assert r.zadd("z", {"a": 7}, lt=True, ch=True) == 0
    assert r.zadd("z", {"a": 1.5}, lt=True, ch=True) == 1
    assert r.zadd("z", {"a": 1.5}, ch=True) == 0      # same score: not a change
    assert r.zadd("z", {"e": 1}, xx=True) == 0 and r.zcard("z") == 3
    assert r.zadd("nokey", {"e": 1}, xx=True) == 0 and r.zcard("nokey") == 0
    assert r.zadd("z", {"a": 2}, incr=True) == 3.5
    assert r.zadd("z", {"a": 2}, incr=True, nx=True) is None
    assert r.zadd("z", {"a": -10}, incr=True, gt=True) is None
    assert r.zincrby("z", -0.5, "a") == 3.0
    assert r.zincrby("z", 1, "new") == 1.0
    with pytest.raises(redis.ResponseError, match="not compatible"):
        r.execute_command("ZADD", "z", "NX", "XX", 1, "a")
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        r.zadd("z", {"a": "nan"})


def test_zincrby_nan_is_rejected(r):
    r.zadd("z", {"a": "inf"})
    with pytest.raises(redis.ResponseError, match="resulting score is not a number"):
        r.zincrby("z", "-inf", "a")
    assert r.zscore("z", "a") == float("inf")


def test_scores_are_formatted_as_redis_does(raw, real_raw):
    for score in ("1.5", "0.1", "1e100", "inf", "-inf", "3.0", "-0", "1e17", "123456789012345678",
                  "5e-324", "0x10", "-1.25e-5", "+7"):
        for proto in (2, 3):
            both(raw, real_raw, "HELLO", proto)
            assert_same(raw, real_raw, "ZADD", "z", score, "m")
            assert_same(raw, real_raw, "ZSCORE", "z", "m")
            assert_same(raw, real_raw, "ZINCRBY", "z", score, "m")
            assert_same(raw, real_raw, "ZRANGE", "z", 0, -1, "WITHSCORES")
            assert_same(raw, real_raw, "ZSCAN", "z", 0)
            assert_same(raw, real_raw, "DEL", "z")


def test_rank_and_range_commands(r, protocol):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert r.zrank("z", "c") == 2 and r.zrevrank("z", "c") == 1
    assert r.zrank("z", "nope") is None and r.zrank("nokey", "a") is None
    assert r.zrange("z", 1, 2) == [b"b", b"c"]
    assert r.zrange("z", -2, -1, withscores=True) == scored(protocol, [(b"c", 3.0), (b"d", 4.0)])
    assert r.zrevrange("z", 0, 0) == [b"d"]
    assert r.zrange("z", 5, 10) == [] and r.zrange("z", 2, 1) == []
    assert r.zrangebyscore("z", "(1", 3) == [b"b", b"c"]
    assert r.zrangebyscore("z", "-inf", "+inf", start=1, num=2) == [b"b", b"c"]
    assert r.zrevrangebyscore("z", 4, 2) == [b"d", b"c", b"b"]
    assert r.zrange("z", "(4", 2, byscore=True, desc=True) == [b"c", b"b"]
    assert r.zcount("z", "(1", "+inf") == 3
    assert r.zmscore("z", ["a", "x"]) == [1.0, None]


def test_lex_commands(r):
    r.zadd("z", dict.fromkeys("abcdefg", 0))
    assert r.zrangebylex("z", "[b", "(e") == [b"b", b"c", b"d"]
    assert r.zrangebylex("z", "-", "+", start=2, num=2) == [b"c", b"d"]
    assert r.zrevrangebylex("z", "+", "[e") == [b"g", b"f", b"e"]
    assert r.zlexcount("z", "(a", "[c") == 2
    assert r.zrangebylex("z", "+", "-") == []
    assert r.zremrangebylex("z", "-", "(c") == 2
    assert r.zrange("z", 0, -1) == [b"c", b"d", b"e", b"f", b"g"]
    with pytest.raises(redis.ResponseError, match="not valid string range item"):
        r.zrangebylex("z", "a", "+")


def test_removals_delete_empty_keys(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert r.zrem("z", "a", "nope") == 1
    assert r.zremrangebyrank("z", 0, 0) == 1
    assert r.zremrangebyscore("z", "(3", "inf") == 2
    assert r.zrange("z", 0, -1) == [b"c"]
    assert r.zremrangebyscore("z", 0, 10) == 1
    assert r.dbsize() == 0
    assert r.zrem("z", "c") == 0 and r.zremrangebyrank("z", 0, -1) == 0


def test_pops(r, protocol):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    # Without a count, RESP3's reply is one pair, not a list of one.
    assert r.zpopmin("z") == ([(b"a", 1.0)] if protocol == 2 else [b"a", 1.0])
    assert r.zpopmax("z", 5) == scored(protocol, [(b"c", 3.0), (b"b", 2.0)])
    assert r.dbsize() == 0 and r.zpopmin("z") == []
    r.zadd("z2", {"x": 1, "y": 2})
    assert r.zmpop(3, ["nokey", "z2", "z3"], max=True, count=5) == [
        b"z2", [[b"y", b"2"], [b"x", b"1"]] if protocol == 2 else [[b"y", 2.0], [b"x", 1.0]]]
    assert r.zmpop(1, ["z2"], min=True) is None


def test_union_inter_diff(r, protocol):
    r.zadd("a", {"x": 1, "y": 2, "z": 3})
    r.zadd("b", {"y": 10, "z": 20, "w": 30})
    r.sadd("s", "z", "w")
    assert r.zunion(["a", "b"], withscores=True) == scored(protocol, [
        (b"x", 1.0), (b"y", 12.0), (b"z", 23.0), (b"w", 30.0)])
    assert r.zinter({"a": 2, "b": 1}, aggregate="MAX", withscores=True) == scored(protocol, [
        (b"y", 10.0), (b"z", 20.0)])
    assert r.zinter(["a", "s"], aggregate="MIN", withscores=True) == scored(protocol,
                                                                            [(b"z", 1.0)])
    assert r.zdiff(["a", "b"], withscores=True) == (
        [b"x", b"1"] if protocol == 2 else [[b"x", 1.0]])
    assert r.zunionstore("d", ["a", "b", "s"]) == 4
    assert r.zrange("d", 0, -1, withscores=True) == scored(protocol, [
        (b"x", 1.0), (b"y", 12.0), (b"z", 24.0), (b"w", 31.0)])
    assert r.zinterstore("d", ["a", "nokey"]) == 0 and r.dbsize() == 3
    assert r.zdiffstore("d", ["a", "a"]) == 0
    assert r.zintercard(2, ["a", "b"]) == 2 and r.zintercard(2, ["a", "b"], limit=1) == 1


def test_zrangestore(r, protocol):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrangestore("d", "z", 0, 1) == 2
    assert r.zrange("d", 0, -1, withscores=True) == scored(protocol, [(b"a", 1.0), (b"b", 2.0)])
    assert r.zrangestore("d", "z", 2, "(1", byscore=True, desc=True) == 1
    assert r.zrangestore("d", "z", 5, 6) == 0 and r.zcard("d") == 0
    assert r.zrangestore("d", "nokey", 0, -1) == 0


def test_zrandmember(r, protocol):
    assert r.zrandmember("nokey") is None and r.zrandmember("nokey", 3) == []
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrandmember("z") in (b"a", b"b", b"c")
    assert r.zrandmember("z", 5) == [b"c", b"b", b"a"]
    picked = r.zrandmember("z", 2, withscores=True)
    if protocol == 3:         # [[member, score], ...]
        picked = [word for pair in picked for word in pair]
    assert len(picked) == 4 and len(set(picked[0::2])) == 2
    repeated = r.zrandmember("z", -20)
    assert len(repeated) == 20 and set(repeated) <= {b"a", b"b", b"c"}


def test_zscan(r):
    r.zadd("small", {"a": 1, "b": 2.5})
    assert r.zscan("small", 0) == (0, [(b"a", 1.0), (b"b", 2.5)])
    big = {f"m{i}": i for i in range(500)}
    r.zadd("big", big)
    seen = dict(r.zscan_iter("big", count=20))
    assert seen == {k.encode(): float(v) for k, v in big.items()}
    assert dict(r.zscan_iter("big", match="m1?")) == {f"m1{i}".encode(): 10.0 + i
                                                      for i in range(10)}


def test_wrongtype_everywhere(r):
    r.set("str", "x")
    r.zadd("z", {"a": 1})
    for call in [("ZADD", "str", 1, "a"), ("ZINCRBY", "str", 1, "a"), ("ZSCORE", "str", "a"),
                 ("ZMSCORE", "str", "a"), ("ZCARD", "str"), ("ZCOUNT", "str", 0, 1),
                 ("ZLEXCOUNT", "str", "-", "+"), ("ZRANGE", "str", 0, 1),
                 ("ZRANGESTORE", "d", "str", 0, 1), ("ZRANGEBYSCORE", "str", 0, 1),
                 ("ZREVRANGEBYLEX", "str", "+", "-"), ("ZRANK", "str", "a"),
                 ("ZREM", "str", "a"), ("ZREMRANGEBYRANK", "str", 0, 1),
                 ("ZREMRANGEBYSCORE", "str", 0, 1), ("ZREMRANGEBYLEX", "str", "-", "+"),
                 ("ZPOPMIN", "str"), ("ZPOPMAX", "str", 2), ("ZMPOP", 2, "nokey", "str", "MIN"),
                 ("ZUNION", 2, "z", "str"), ("ZINTERSTORE", "d", 2, "z", "str"),
                 ("ZDIFF", 1, "str"), ("ZINTERCARD", 1, "str"), ("ZRANDMEMBER", "str"),
                 ("ZSCAN", "str", 0)]:
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            r.execute_command(*call)


# -- differential -------------------------------------------------------------------------

SCRIPTS = [
    [("ZADD", "z", 1, "a", 2, "b", 2, "bb", 3, "c", "-inf", "m", "inf", "p"),
     ("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", 1, 2),
     ("ZRANGE", "z", "+inf", "(-inf", "BYSCORE", "REV", "WITHSCORES"),
     ("ZRANGE", "z", "-", "+", "BYLEX", "REV", "LIMIT", 0, 3),
     ("ZREVRANGE", "z", 1, -2, "WITHSCORES"),
     ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", -1, 2),
     ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 2, -1),
     ("ZRANGEBYSCORE", "z", "", ""), ("ZRANGEBYSCORE", "z", " 1", "0x3"),
     ("ZREVRANGEBYSCORE", "z", "(3", "(1", "WITHSCORES", "LIMIT", 0, 1),
     ("ZCOUNT", "z", "(2", "+inf"), ("ZRANK", "z", "bb"), ("ZREVRANK", "z", "bb"),
     ("ZMSCORE", "z", "a", "x", "p"), ("ZSCAN", "z", 0, "MATCH", "b*"),
     ("ZRANDMEMBER", "z", 100, "WITHSCORES"), ("ZPOPMIN", "z", 2), ("ZPOPMAX", "z"),
     ("ZMPOP", 2, "nokey", "z", "MAX", "COUNT", 2), ("ZMPOP", 1, "nokey", "MIN"),
     ("ZRANGESTORE", "d", "z", 0, -1), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
     ("ZREMRANGEBYRANK", "z", 0, 0), ("ZREMRANGEBYSCORE", "z", "-inf", "inf"), ("DBSIZE",)],
    [("ZADD", "l", 0, "alpha", 0, "beta", 0, "gamma", 0, "delta", 0, ""),
     ("ZRANGEBYLEX", "l", "[b", "(g"), ("ZRANGEBYLEX", "l", "(", "+"),
     ("ZRANGEBYLEX", "l", "[", "[beta", "LIMIT", 1, 5), ("ZREVRANGEBYLEX", "l", "(gamma", "-"),
     ("ZLEXCOUNT", "l", "-", "(delta"), ("ZLEXCOUNT", "l", "+", "-"),
     ("ZREMRANGEBYLEX", "l", "(alpha", "[delta"), ("ZRANGE", "l", 0, -1)],
    [("ZADD", "a", 1, "x", 2, "y", 3, "z"), ("SADD", "s", "y", "z", "q"),
     ("ZADD", "b", "inf", "x", 5, "y"),
     ("ZUNION", 3, "a", "b", "s", "WEIGHTS", 1, 2, 0, "WITHSCORES"),
     ("ZUNION", 2, "a", "b", "WEIGHTS", 0, 0, "AGGREGATE", "MIN", "WITHSCORES"),
     ("ZUNION", 2, "a", "b", "WEIGHTS", 1, "-1", "WITHSCORES"),
     ("ZINTER", 2, "a", "s", "AGGREGATE", "max", "WITHSCORES"),
     ("ZINTER", 2, "a", "a", "WITHSCORES"), ("ZDIFF", 3, "a", "nokey", "s", "WITHSCORES"),
     ("ZDIFF", 2, "a", "a"), ("ZUNIONSTORE", "d", 2, "a", "b", "AGGREGATE", "SUM"),
     ("ZRANGE", "d", 0, -1, "WITHSCORES"), ("ZINTERSTORE", "d", 2, "a", "s"),
     ("ZRANGE", "d", 0, -1, "WITHSCORES"), ("ZDIFFSTORE", "d", 2, "a", "s"),
     ("ZRANGE", "d", 0, -1, "WITHSCORES"), ("ZINTERCARD", 3, "a", "b", "s", "LIMIT", 0),
     ("ZINTERSTORE", "d", 2, "a", "nokey"), ("DBSIZE",)],
    # errors, in Redis's order of checks
    [("ZADD", "z", 1, "a"), ("ZADD", "z", "NX", "XX", 1, "a"), ("ZADD", "z", "GT", "LT", 1, "a"),
     ("ZADD", "z", "NX", "GT", "x", "a"), ("ZADD", "z", "INCR", 1, "a", 2, "b"),
     ("ZADD", "z", 1, "a", 2), ("ZADD", "z", "nan", "a"), ("ZADD", "z", "1e400", "a"),
     ("ZADD", "z", " 1", "a"), ("ZINCRBY", "z", "nx", "a"), ("ZINCRBY", "z", "x", "a"),
     ("ZRANGE", "z", 0, -1, "LIMIT", 0, 1), ("ZRANGE", "z", 0, -1, "LIMIT", 0, -1),
     ("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"), ("ZRANGE", "z", 0, -1, "REV", "REV"),
     ("ZRANGE", "z", "a", "b"), ("ZRANGE", "z", "a", "b", "BYSCORE"),
     ("ZRANGE", "z", "a", "b", "BYLEX"), ("ZRANGE", "z", 0, 1, "LIMIT", "x", 1),
     ("ZRANGE", "z", 0, 1, "LIMIT", 1), ("ZRANGESTORE", "d", "z", 0, -1, "WITHSCORES"),
     ("ZREVRANGE", "z", 0, -1, "REV"), ("ZRANGEBYSCORE", "z", 0, 1, "BYSCORE"),
     ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), ("ZCOUNT", "z", "(", "nan"),
     ("ZREMRANGEBYRANK", "z", "a", 1), ("ZPOPMIN", "z", -1), ("ZPOPMIN", "z", 1, 2),
     ("ZMPOP", 0, "z", "MIN"), ("ZMPOP", 2, "z", "MIN"), ("ZMPOP", 1, "z", "FOO"),
     ("ZMPOP", 1, "z", "MIN", "COUNT", 0), ("ZMPOP", 1, "z", "MIN", "COUNT", 1, "COUNT", 1),
     ("ZUNION", 0, "z"), ("ZUNIONSTORE", "d", 0, "z"), ("ZUNION", "x", "z"), ("ZUNION", 3, "z"),
     ("ZUNION", 1, "z", "WEIGHTS", "x"), ("ZUNION", 1, "z", "WEIGHTS"),
     ("ZUNION", 1, "z", "AGGREGATE", "AVG"), ("ZDIFF", 1, "z", "WEIGHTS", 1),
     ("ZUNIONSTORE", "d", 1, "z", "WITHSCORES"), ("ZINTERCARD", 1, "z", "WITHSCORES"),
     ("ZINTERCARD", 1, "z", "LIMIT", -1), ("ZRANDMEMBER", "z", "x"),
     ("ZRANDMEMBER", "z", 1, "foo"), ("ZRANDMEMBER", "z", "-9223372036854775808"),
     ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"), ("ZSCAN", "z", "x")],
    # ZADD's flags: alone, repeated, in any case and order, conflicting
    [("ZADD", "z", "NX"), ("ZADD", "z", "CH", "INCR"), ("ZADD", "z", "nx", "NX", 1, "a"),
     ("ZADD", "z", "xx", "ch", 5, "a", 2, "b"), ("ZADD", "z", "CH", "xx", "CH", 5, "a"),
     ("ZADD", "z", "LT", "NX", 1, "a"), ("ZADD", "z", "XX", "NX", "GT", 1, "a"),
     ("ZADD", "z", "GT", "XX", "CH", 9, "a"), ("ZADD", "z", "INCR", "INCR", "LT", 1, "a"),
     ("ZADD", "z", "GT", "INCR", -1, "a"), ("ZADD", "z", "CH", "x", "a"),
     ("ZADD", "z", "CH", 1), ("ZADD", "z", "FOO", 1, "a"), ("ZADD", "z", 1, "a", "NX", "b"),
     ("ZINCRBY", "z", "INCR", "a"), ("ZINCRBY", "z", 1, "a"),
     ("ZRANGE", "z", 0, -1, "WITHSCORES")],
]


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_match_redis(raw, real_raw, proto, script):
    assert_script_same(raw, real_raw, script, proto)


MEMBERS = st.sampled_from(["a", "b", "c", "d", "1", "10", "long" * 20])
KEYS = st.sampled_from(["k1", "k2"])
SCORES = st.sampled_from(["0", "1", "-1", "2.5", "0.1", "inf", "-inf", "1e300", "(1", "(0"])
PLAIN_SCORES = st.sampled_from(["0", "1", "-1", "2.5", "0.1", "inf", "-inf", "1e300", "-0"])
RANKS = st.integers(-4, 4)
LEX = st.sampled_from(["-", "+", "[a", "(a", "[b", "(c", "[d", "[1"])
ZADD_FLAGS = st.lists(st.sampled_from(["NX", "XX", "GT", "LT", "CH", "INCR"]), max_size=2,
                      unique=True)


@st.composite
def zadds(draw):
    pairs = draw(st.lists(st.tuples(PLAIN_SCORES, MEMBERS), min_size=1, max_size=3))
    return ("ZADD", draw(KEYS), *draw(ZADD_FLAGS), *[x for pair in pairs for x in pair])


COMMANDS = st.one_of(
    zadds(),
    st.tuples(st.just("ZINCRBY"), KEYS, PLAIN_SCORES, MEMBERS),
    st.tuples(st.just("ZREM"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.sampled_from(["ZSCORE", "ZRANK", "ZREVRANK"]), KEYS, MEMBERS),
    st.tuples(st.just("ZCARD"), KEYS),
    st.tuples(st.sampled_from(["ZRANGE", "ZREVRANGE"]), KEYS, RANKS, RANKS,
              st.sampled_from([(), ("WITHSCORES",)])).map(lambda t: t[:4] + t[4]),
    st.tuples(st.sampled_from(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZCOUNT",
                               "ZREMRANGEBYSCORE"]), KEYS, SCORES, SCORES),
    st.tuples(st.sampled_from(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), KEYS, SCORES, SCORES,
              st.just("WITHSCORES"), st.just("LIMIT"), RANKS, RANKS),
    st.tuples(st.sampled_from(["ZREMRANGEBYRANK"]), KEYS, RANKS, RANKS),
    st.tuples(st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), KEYS, st.integers(0, 3)),
    st.tuples(st.just("ZMPOP"), st.just(2), KEYS, KEYS, st.sampled_from(["MIN", "MAX"]),
              st.just("COUNT"), st.integers(1, 3)),
    st.tuples(st.sampled_from(["ZUNION", "ZINTER"]), st.just(2), KEYS, KEYS,
              st.just("WEIGHTS"), PLAIN_SCORES, PLAIN_SCORES, st.just("AGGREGATE"),
              st.sampled_from(["SUM", "MIN", "MAX"]), st.just("WITHSCORES")),
    st.tuples(st.just("ZDIFF"), st.just(2), KEYS, KEYS, st.just("WITHSCORES")),
    st.tuples(st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), KEYS,
              st.just(2), KEYS, KEYS),
    st.tuples(st.just("ZRANGESTORE"), KEYS, KEYS, RANKS, RANKS),
    st.tuples(st.just("ZRANDMEMBER"), KEYS, st.integers(-4, 4), st.just("WITHSCORES")),
    st.tuples(st.just("ZSCAN"), KEYS, st.just(0)),
)
LEX_COMMANDS = st.one_of(
    st.tuples(st.just("ZADD"), KEYS, st.just(0), MEMBERS),
    st.tuples(st.sampled_from(["ZRANGEBYLEX", "ZLEXCOUNT", "ZREMRANGEBYLEX"]), KEYS, LEX, LEX),
    st.tuples(st.just("ZREVRANGEBYLEX"), KEYS, LEX, LEX, st.just("LIMIT"), RANKS, RANKS),
)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _run_sequence(raw, real_raw, calls, proto):
    both(raw, real_raw, "FLUSHALL")
    both(raw, real_raw, "HELLO", proto)
    for call in calls:
        if call[0] == "ZRANDMEMBER":
            mine, theirs = both(raw, real_raw, *call)
            assert shape(parse_reply(mine)) == shape(parse_reply(theirs)), (call, mine, theirs)
        elif call[0] == "ZSCAN":
            # A skiplist's ZSCAN follows Redis's hash table order: compare the pairs.
            mine, theirs = both(raw, real_raw, *call)
            assert _scan_pairs(mine) == _scan_pairs(theirs), (mine, theirs)
        else:
            assert_same(raw, real_raw, *call)


def _scan_pairs(reply: bytes) -> tuple:
    _, (cursor, (_, items)) = parse_reply(reply)
    return cursor, sorted(zip(items[0::2], items[1::2]))


@SETTINGS
@given(st.lists(COMMANDS, min_size=1, max_size=25), st.sampled_from([2, 3]))
def test_random_sequences_match_redis(raw, real_raw, calls, proto):
    _run_sequence(raw, real_raw, calls, proto)


@SETTINGS
@given(st.lists(LEX_COMMANDS, min_size=1, max_size=20))
def test_random_lex_sequences_match_redis(raw, real_raw, calls):
    _run_sequence(raw, real_raw, calls, 2)


# -- encodings ----------------------------------------------------------------------------

@pytest.fixture
def both_servers(raw, real_raw):
    """pyredis and redis-server side by side; the zset thresholds back to their defaults
    afterwards (the servers are shared by the session)."""
    yield raw, real_raw
    both(raw, real_raw, "CONFIG", "SET", "zset-max-listpack-entries", 128)
    both(raw, real_raw, "CONFIG", "SET", "zset-max-listpack-value", 64)


def test_listpack_conversions(r):
    r.zadd("z", {str(i): i for i in range(128)})
    assert r.object("encoding", "z") == b"listpack"
    r.zadd("z", {"128": 128})
    assert r.object("encoding", "z") == b"skiplist"
    r.zremrangebyrank("z", 0, -2)
    assert r.object("encoding", "z") == b"skiplist"       # never back by itself
    assert r.zunionstore("u", ["z"]) == 1
    assert r.object("encoding", "u") == b"listpack"       # a rebuilt result fits again
    r.zadd("long", {"x" * 64: 1})
    assert r.object("encoding", "long") == b"listpack"
    r.zadd("long", {"y" * 65: 1})
    assert r.object("encoding", "long") == b"skiplist"
    r.zadd("first", {"y" * 65: 1})
    assert r.object("encoding", "first") == b"skiplist"


ENCODING_COMMANDS = st.one_of(
    zadds(),
    st.tuples(st.just("ZREM"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), KEYS,
              st.just(2), KEYS, KEYS),
    st.tuples(st.just("ZRANGESTORE"), KEYS, KEYS, RANKS, RANKS),
    st.tuples(st.just("ZRANGESTORE"), KEYS, KEYS, SCORES, SCORES, st.just("BYSCORE")),
    st.tuples(st.just("ZREMRANGEBYRANK"), KEYS, RANKS, RANKS),
    st.tuples(st.just("ZPOPMIN"), KEYS, st.integers(0, 3)),
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([0, 1, 3, 128]), st.sampled_from([0, 2, 64]),
       st.lists(ENCODING_COMMANDS, min_size=1, max_size=15))
def test_encodings_match_redis(both_servers, entries, value, calls):
    raw, real_raw = both_servers
    both(raw, real_raw, "FLUSHALL")
    both(raw, real_raw, "CONFIG", "SET", "zset-max-listpack-entries", entries)
    both(raw, real_raw, "CONFIG", "SET", "zset-max-listpack-value", value)
    for call in calls:
        assert_same(raw, real_raw, *call)
        for key in ("k1", "k2"):
            assert_same(raw, real_raw, "OBJECT", "ENCODING", key)
            mine, theirs = both(raw, real_raw, "ZSCAN", key, 0)
            assert _scan_pairs(mine) == _scan_pairs(theirs)


# -- blocking -----------------------------------------------------------------------------

def test_bzpopmin_serves_waiters_in_order(port):
    ctl = RawConnection(port)
    waiters = connections(port, 3)
    for i, conn in enumerate(waiters):
        conn.send("BZPOPMIN", "z", "other", 0)
        wait_blocked(ctl, i + 1)
    assert ctl.execute("ZADD", "z", 2, "b", 1, "a") == b":2\r\n"
    assert waiters[0].read_reply() == b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert waiters[1].read_reply() == b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
    wait_blocked(ctl, 1)
    assert ctl.execute("EXISTS", "z") == b":0\r\n"
    ctl.execute("ZADD", "other", "1.5", "x")
    assert waiters[2].read_reply() == b"*3\r\n$5\r\nother\r\n$1\r\nx\r\n$3\r\n1.5\r\n"
    for conn in waiters + [ctl]:
        conn.close()


def test_bzpopmax_and_bzmpop_when_data_is_there(port):
    conn = RawConnection(port)
    conn.execute("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert conn.execute("BZPOPMAX", "nokey", "z", 0) == b"*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n"
    assert conn.execute("BZMPOP", 0, 2, "nokey", "z", "MIN", "COUNT", 5) == (
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n")
    conn.execute("HELLO", 3)
    conn.execute("ZADD", "z", 1, "a")
    assert conn.execute("BZPOPMIN", "z", 0) == b"*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n"
    conn.execute("SET", "str", "x")
    assert conn.execute("BZPOPMIN", "nokey", "str", 0).startswith(b"-WRONGTYPE")
    conn.close()


def test_bzmpop_blocks_then_pops_count(port):
    ctl, conn = connections(port, 2)
    conn.send("BZMPOP", 0, 2, "a", "b", "MAX", "COUNT", 2)
    wait_blocked(ctl, 1)
    ctl.execute("ZADD", "b", 1, "x", 2, "y", 3, "z")
    assert conn.read_reply() == (
        b"*2\r\n$1\r\nb\r\n*2\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n")
    assert ctl.execute("ZCARD", "b") == b":1\r\n"
    ctl.close()
    conn.close()


def test_timeouts_multi_and_errors(port):
    conn = RawConnection(port)
    assert conn.execute("BZPOPMIN", "z", "0.01") == b"*-1\r\n"
    assert conn.execute("BZMPOP", "0.01", 1, "z", "MIN") == b"*-1\r\n"
    conn.execute("MULTI")
    conn.execute("BZPOPMAX", "z", 0)
    conn.execute("BZMPOP", 0, 1, "z", "MAX")
    assert conn.execute("EXEC") == b"*2\r\n*-1\r\n*-1\r\n"    # no blocking inside EXEC
    for call in (("BZPOPMIN", "z", "-1"), ("BZPOPMIN", "z", "x"), ("BZMPOP", "x", 1, "z", "MIN"),
                 ("BZMPOP", 0, 0, "z", "MIN"), ("BZMPOP", "-1", 1, "z", "FOO"),
                 ("BZMPOP", 0, 1, "z", "MIN", "COUNT", 0)):
        reply = conn.execute(*call)
        assert reply.startswith(b"-ERR"), (call, reply)
    conn.close()


def test_a_string_does_not_serve_a_zset_waiter(port):
    ctl, conn = connections(port, 2)
    conn.send("BZPOPMIN", "k", 0)
    wait_blocked(ctl, 1)
    ctl.execute("SET", "k", "string")
    ctl.execute("DEL", "k")
    ctl.execute("ZADD", "k", 5, "m")
    assert conn.read_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n5\r\n"
    ctl.close()
    conn.close()


def test_blocking_errors_match_redis(raw, real_raw):
    for call in (("BZPOPMIN", "z", "-1"), ("BZPOPMIN", "z", "x"), ("BZMPOP", "x", 1, "z", "MIN"),
                 ("BZMPOP", 0, 0, "z", "MIN"), ("BZMPOP", "-1", 1, "z", "FOO"),
                 ("BZMPOP", "-1", 1, "z", "MIN"), ("BZMPOP", 0, 1, "z", "MIN", "COUNT", 0),
                 ("BZMPOP", 0, 2, "z", "MIN"),
                 ("EVAL", "return redis.call('bzmpop', 0, 1, 'z', 'min')", 1, "z"),
                 ("EVAL", "return redis.call('bzpopmin', 'z', 0)", 1, "z")):
        assert_same(raw, real_raw, *call)


# -- the value type alone --------------------------------------------------------------------

class _Config:
    zset_max_listpack_entries = 4
    zset_max_listpack_value = 3


FINITE = st.floats(allow_nan=False, allow_infinity=True, width=64)
NAMES = st.binary(max_size=4)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "add", "remove", "pop"]), NAMES, FINITE),
                max_size=40),
       FINITE, FINITE, st.booleans(), st.booleans())
def test_zset_value_ranks_and_score_ranges(ops, low, high, low_ex, high_ex):
    value, model = ZSetValue(), {}
    for op, member, score in ops:
        if op == "add":
            if member in model:
                value.update(member, score, value.score(member))
            else:
                value.insert(member, score, _Config)
            model[member] = score + 0.0 if value.listpack else score
        elif op == "remove":
            assert value.remove(member) == (model.pop(member, None) is not None)
        elif model:   # pop the lowest, or the highest for a positive score
            pairs = sorted((s, m) for m, s in model.items())
            expected = pairs[-1] if score > 0 else pairs[0]
            popped = value.pop(score > 0)
            assert popped == expected and str(popped[0]) == str(expected[0])   # -0 kept
            del model[expected[1]]
    assert [value.score(m) for m in model] == list(model.values())
    ordered = sorted((s, m) for m, s in model.items())
    assert list(value.slice(0, len(value))) == ordered
    assert [value.rank(m) for _, m in ordered] == list(range(len(ordered)))
    first, end = value.score_bounds(low, low_ex, high, high_ex)
    inside = [(s, m) for s, m in ordered
              if (s > low if low_ex else s >= low) and (s < high if high_ex else s <= high)]
    assert ordered[first:max(first, end)] == inside
    if value.listpack:      # (a skiplist stays one, however small it gets)
        assert len(ordered) <= 4 and all(len(m) <= 3 for m in model)


@settings(max_examples=100, deadline=None)
@given(st.sets(NAMES, max_size=30), st.one_of(NAMES, st.sampled_from([MIN_LEX, MAX_LEX])),
       st.one_of(NAMES, st.sampled_from([MIN_LEX, MAX_LEX])), st.booleans(), st.booleans())
def test_zset_value_lex_ranges(members, low, high, low_ex, high_ex):
    value = ZSetValue.from_pairs([(m, 0.0) for m in members], _Config)

    def above_low(m: bytes) -> bool:
        if low is MIN_LEX or low is MAX_LEX:
            return low is MIN_LEX
        return m > low if low_ex else m >= low

    def below_high(m: bytes) -> bool:
        if high is MIN_LEX or high is MAX_LEX:
            return high is MAX_LEX
        return m < high if high_ex else m <= high

    first, end = value.lex_bounds(low, low_ex, high, high_ex)
    assert [m for _, m in value.slice(first, max(first, end))] == \
        [m for m in sorted(members) if above_low(m) and below_high(m)]

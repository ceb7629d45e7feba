"""Set commands: redis-py integration tests, and differential tests against redis-server
(exact bytes where Redis's order is defined, as for intsets; order-free otherwise)."""
from __future__ import annotations

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from differential import assert_same, assert_script_same, both, parse_reply, shape, unordered
from helpers import RawConnection


def test_sadd_srem_scard_sismember(r):
    assert r.sadd("s", "a", "b", "a") == 2
    assert r.sadd("s", "b") == 0
    assert r.scard("s") == 2
    assert r.sismember("s", "a") and not r.sismember("s", "z")
    assert r.smismember("s", ["a", "z", "b"]) == [1, 0, 1]
    assert r.smismember("nokey", ["a"]) == [0]
    assert r.srem("s", "a", "zz") == 1
    assert r.srem("s", "b") == 1
    assert r.exists("s") == 0          # an emptied set is deleted
    assert r.scard("s") == 0 and r.srem("s", "x") == 0


def test_smembers_of_intset_is_sorted(raw):
    raw.execute("SADD", "s", 10, -3, 7, 0)
    assert raw.execute("SMEMBERS", "s") == b"*4\r\n$2\r\n-3\r\n$1\r\n0\r\n$1\r\n7\r\n$2\r\n10\r\n"
    assert raw.execute("SMEMBERS", "nokey") == b"*0\r\n"


def test_srandmember(r):
    assert r.srandmember("nokey") is None
    assert r.srandmember("nokey", 5) == []
    r.sadd("s", *range(10))
    members = {str(i).encode() for i in range(10)}
    assert r.srandmember("s") in members
    assert r.srandmember("s", 0) == []
    distinct = r.srandmember("s", 5)
    assert len(distinct) == 5 == len(set(distinct)) and set(distinct) <= members
    assert sorted(r.srandmember("s", 100)) == sorted(members)
    repeated = r.srandmember("s", -50)
    assert len(repeated) == 50 and set(repeated) <= members
    assert len(r.srandmember("s", 9)) == 9
    with pytest.raises(redis.ResponseError, match="value is out of range"):
        r.srandmember("s", -9223372036854775808)


def test_srandmember_eventually_returns_every_member(r):
    r.sadd("s", *[f"m{i}" for i in range(30)])
    seen = set()
    for _ in range(200):
        seen.update(r.srandmember("s", -10))
        if len(seen) == 30:
            break
    assert len(seen) == 30


@pytest.mark.parametrize("members", [list(range(20)), [f"m{i}" for i in range(20)]])
def test_spop(r, members):
    r.sadd("s", *members)
    expected = {str(m).encode() for m in members}
    popped = {r.spop("s")}
    popped |= set(r.spop("s", 2))       # few: random pops
    popped |= set(r.spop("s", 14))      # most: the rest is redrawn
    assert len(popped) == 17 and popped <= expected
    assert r.scard("s") == 3
    assert set(r.spop("s", 10)) == expected - popped
    assert r.exists("s") == 0
    assert r.spop("s") is None and r.spop("s", 3) == []


def test_spop_keeps_ttl_and_errors(r):
    r.sadd("s", *range(10))
    r.expire("s", 100)
    r.spop("s", 9)
    assert r.ttl("s") > 0
    with pytest.raises(redis.ResponseError, match="must be positive"):
        r.spop("s", -1)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SPOP", "s", 1, 2)


def test_smove(r):
    r.sadd("src", "a", "b")
    r.sadd("dst", "c")
    assert r.smove("src", "dst", "a") == 1
    assert r.smove("src", "dst", "zz") == 0
    assert r.smove("nokey", "dst", "a") == 0
    assert r.smembers("dst") == {b"a", b"c"}
    assert r.smove("src", "dst", "b") == 1
    assert r.exists("src") == 0
    assert r.smove("dst", "dst", "a") == 1
    assert r.smove("dst", "new", "c") == 1
    assert r.smembers("new") == {b"c"}
    r.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.smove("dst", "str", "a")
    assert r.smove("nokey", "str", "a") == 0    # a missing source is checked first


def test_algebra(r):
    r.sadd("a", 1, 2, 3, 4)
    r.sadd("b", 3, 4, 5)
    r.sadd("c", "x", 4)
    assert r.sinter("a", "b") == {b"3", b"4"}
    assert r.sinter("a", "b", "c") == {b"4"}
    assert r.sinter("a", "nokey") == set()
    assert r.sunion("a", "c") == {b"1", b"2", b"3", b"4", b"x"}
    assert r.sdiff("a", "b", "nokey") == {b"1", b"2"}
    assert r.sdiff("a", "a") == set()
    assert r.sdiff("nokey", "a") == set()
    assert r.sinterstore("d", "a", "b") == 2 and r.smembers("d") == {b"3", b"4"}
    assert r.sunionstore("d", "b", "c") == 4
    assert r.sdiffstore("d", "b", "a") == 1 and r.smembers("d") == {b"5"}
    r.expire("d", 100)
    assert r.sinterstore("d", "a", "b") == 2 and r.ttl("d") == -1   # overwritten
    assert r.sinterstore("d", "a", "nokey") == 0 and not r.exists("d")
    assert r.sdiffstore("d", "a", "a") == 0
    assert r.sintercard(2, ["a", "b"]) == 2
    assert r.sintercard(2, ["a", "b"], limit=1) == 1
    assert r.sintercard(2, ["a", "nokey"]) == 0


def test_sscan_iterates_everything(r):
    small = [str(i) for i in range(20)]
    r.sadd("ints", *small)
    cursor, members = r.sscan("ints", 0, count=5)
    assert cursor == 0 and members == [m.encode() for m in sorted(small, key=int)]
    big = [f"member:{i}" for i in range(1000)]
    r.sadd("big", *big)
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, batch = r.sscan("big", cursor, count=50)
        seen.extend(batch)
        calls += 1
        if cursor == 0 or calls > 1000:
            break
    assert sorted(seen) == sorted(m.encode() for m in big)
    assert calls > 1
    matched = [m for c in [0] for m in r.sscan_iter("big", match="member:99*")]
    assert sorted(matched) == sorted(m.encode() for m in big if m.startswith("member:99"))
    assert r.sscan("nokey", 0) == (0, [])


def test_scan_option_errors(r):
    r.sadd("s", *[f"m{i}" for i in range(600)])
    for args, error in ((("x",), "invalid cursor"), (("0", "COUNT", "0"), "syntax error"),
                        (("0", "COUNT", "x"), "not an integer"),
                        (("0", "MATCH"), "syntax error"), (("0", "TYPE", "set"), "syntax")):
        with pytest.raises(redis.ResponseError, match=error):
            r.execute_command("SSCAN", "s", *args)


def test_wrongtype_everywhere(r):
    r.set("str", "x")
    r.sadd("s", "a")
    calls = [("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"),
             ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"),
             ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", 2), ("SPOP", "str"),
             ("SPOP", "str", 2), ("SMOVE", "str", "s", "a"), ("SINTER", "s", "str"),
             ("SINTER", "nokey", "str"), ("SINTERCARD", 2, "s", "str"),
             ("SINTERSTORE", "d", "s", "str"), ("SUNION", "s", "str"),
             ("SUNIONSTORE", "d", "str"), ("SDIFF", "s", "str"), ("SDIFFSTORE", "d", "str"),
             ("SSCAN", "str", 0)]
    for call in calls:
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            r.execute_command(*call)


# -- differential -------------------------------------------------------------------------

SCRIPTS = [
    [("SADD", "s", 5, 3, 1, -7, 3), ("SMEMBERS", "s"), ("SCARD", "s"), ("SISMEMBER", "s", 3),
     ("SISMEMBER", "s", "03"), ("SMISMEMBER", "s", 1, 2, "x"), ("SREM", "s", 3, 4),
     ("SINTER", "s"), ("SUNION", "s", "nokey"), ("SDIFF", "s", "nokey"), ("SRANDMEMBER", "s", 100),
     ("SSCAN", "s", 0), ("SSCAN", "s", 0, "MATCH", "*1*"), ("SPOP", "s", 0), ("SPOP", "s", 10),
     ("EXISTS", "s")],
    [("SADD", "a", 1, 2, 3), ("SADD", "b", 2, 3, 4), ("SINTERSTORE", "c", "a", "b"),
     ("SMEMBERS", "c"), ("SUNIONSTORE", "c", "a", "b"), ("SMEMBERS", "c"),
     ("SDIFFSTORE", "c", "a", "b"), ("SMEMBERS", "c"), ("SINTERCARD", 2, "a", "b", "LIMIT", 0),
     ("SMOVE", "a", "b", 1), ("SMOVE", "a", "b", 9), ("SMEMBERS", "b"),
     ("SDIFFSTORE", "c", "a", "a"), ("EXISTS", "c")],
    # errors, in Redis's order of checks
    [("SADD", "s", 1), ("SPOP", "s", "x"), ("SPOP", "s", -1), ("SPOP", "s", 1, 2),
     ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", 1, 2), ("SINTERCARD", 0, "s"),
     ("SINTERCARD", "x", "s"), ("SINTERCARD", 3, "s", "t"), ("SINTERCARD", 1, "s", "LIMIT"),
     ("SINTERCARD", 1, "s", "LIMIT", -1), ("SINTERCARD", 1, "s", "FOO", 1),
     ("SSCAN", "s", "-1"), ("SSCAN", "s", "18446744073709551616"), ("SSCAN", "s", " 1"),
     ("SSCAN", "s", "0", "COUNT", 0), ("SSCAN", "nokey", "0", "COUNT", 0), ("SSCAN", "s", ""),
     ("SADD", "s"), ("SMOVE", "s", "t"), ("SCARD", "s", "t")],
]


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_match_redis(raw, real_raw, proto, script):
    assert_script_same(raw, real_raw, script, proto)


def test_hashtable_sets_match_redis_up_to_order(raw, real_raw):
    words = [f"w{i}" for i in range(40)]
    for call in [("SADD", "a", *words), ("SADD", "b", *words[::2], "extra"),
                 ("SMEMBERS", "a"), ("SINTER", "a", "b"), ("SUNION", "a", "b"),
                 ("SDIFF", "a", "b"), ("SINTERSTORE", "c", "a", "b"), ("SMEMBERS", "c"),
                 ("SRANDMEMBER", "a", 1000), ("SPOP", "b", 1000)]:
        assert_same(raw, real_raw, *call, ordered=False)


MEMBERS = st.sampled_from(["1", "2", "3", "-5", "10", "a", "b", "c", "01"])
KEYS = st.sampled_from(["k1", "k2", "k3"])
COMMANDS = st.one_of(
    st.tuples(st.just("SADD"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SREM"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SCARD"), KEYS),
    st.tuples(st.just("SISMEMBER"), KEYS, MEMBERS),
    st.tuples(st.just("SMISMEMBER"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SMEMBERS"), KEYS),
    st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF"]), KEYS, KEYS),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), KEYS, KEYS, KEYS),
    st.tuples(st.just("SINTERCARD"), st.just(2), KEYS, KEYS),
    st.tuples(st.just("SMOVE"), KEYS, KEYS, MEMBERS),
    st.tuples(st.just("SRANDMEMBER"), KEYS, st.integers(-5, 5)),
    st.tuples(st.just("SPOP"), KEYS, st.integers(0, 4)),
    st.tuples(st.just("SPOP"), KEYS),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMANDS, min_size=1, max_size=25))
def test_random_sequences_match_redis(raw, real_raw, calls):
    both(raw, real_raw, "FLUSHALL")
    for call in calls:
        if call[0] == "SPOP":
            _check_spop(raw, real_raw, call)
        elif call[0] == "SRANDMEMBER":
            mine, theirs = both(raw, real_raw, *call)
            assert shape(parse_reply(mine)) == shape(parse_reply(theirs)), (call, mine, theirs)
        else:
            assert_same(raw, real_raw, *call, ordered=False)


def _check_spop(raw, real_raw, call):
    """SPOP is random: pop on pyredis, then remove exactly what it popped on Redis, which
    must find every one of them."""
    key = call[1]
    kind, popped = parse_reply(raw.execute(*call))
    if popped is None or popped == []:
        assert unordered(parse_reply(real_raw.execute("SMEMBERS", key)))[1] == [] \
            or call[2:] == (0,)
        return
    members = [popped] if kind == b"$" else [item[1] for item in popped]
    assert real_raw.execute("SREM", key, *members) == b":%d\r\n" % len(members)


# -- encodings ----------------------------------------------------------------------------

@pytest.fixture
def both_servers(raw, real_raw):
    """pyredis and redis-server side by side; set-max-intset-entries back to its default
    afterwards (the servers are shared by the session)."""
    yield raw, real_raw
    both(raw, real_raw, "CONFIG", "SET", "set-max-intset-entries", 512)


def test_intset_conversions(r):
    r.sadd("s", 1, 2, 3)
    assert r.object("encoding", "s") == b"intset"
    r.sadd("s", "a")
    assert r.object("encoding", "s") == b"hashtable"
    r.srem("s", "a")
    assert r.object("encoding", "s") == b"hashtable"      # never back
    r.sadd("big", *range(512))
    assert r.object("encoding", "big") == b"intset"
    r.sadd("big", 512)
    assert r.object("encoding", "big") == b"hashtable"
    r.sadd("text", "x")
    assert r.object("encoding", "text") == b"hashtable"
    r.sadd("nonint", "01", "1.5", " 1")
    assert r.object("encoding", "nonint") == b"hashtable"


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([0, 1, 3, 512]), st.lists(COMMANDS, min_size=1, max_size=15))
def test_encodings_match_redis(both_servers, limit, calls):
    raw, real_raw = both_servers
    both(raw, real_raw, "FLUSHALL")
    both(raw, real_raw, "CONFIG", "SET", "set-max-intset-entries", limit)
    for call in calls:
        if call[0] in ("SPOP", "SRANDMEMBER"):
            continue
        assert_same(raw, real_raw, *call, ordered=False)
        for key in ("k1", "k2", "k3"):
            assert_same(raw, real_raw, "OBJECT", "ENCODING", key)


def test_spop_rebuild_takes_the_encoding_of_what_stays(both_servers):
    raw, real_raw = both_servers
    both(raw, real_raw, "CONFIG", "SET", "set-max-intset-entries", 5)
    for call in [("SADD", "s", "a", 1, 2, 3, 4, 5, 6, 7, 8, 9), ("OBJECT", "ENCODING", "s")]:
        assert_same(raw, real_raw, *call)
    raw.execute("SPOP", "s", 9)
    assert raw.execute("SCARD", "s") == b":1\r\n"
    kept = parse_reply(raw.execute("SMEMBERS", "s"))[1][0][1]
    expected = b"intset" if kept != b"a" else b"hashtable"
    assert raw.execute("OBJECT", "ENCODING", "s") == b"$%d\r\n%s\r\n" % (len(expected), expected)


# -- WATCH ---------------------------------------------------------------------------------

WATCH_CASES = [
    # (setup, command run by another client while "k" is watched)
    ([("SADD", "k", 1)], ("SADD", "k", 2)), ([("SADD", "k", 1)], ("SADD", "k", 1)),
    ([("SADD", "k", 1)], ("SREM", "k", 2)), ([("SADD", "k", 1)], ("SREM", "k", 1)),
    ([("SADD", "k", 1, 2)], ("SPOP", "k", 0)), ([("SADD", "k", 1, 2)], ("SPOP", "k")),
    ([("SADD", "k", 1)], ("SMOVE", "k", "k", 1)), ([("SADD", "s", 1)], ("SMOVE", "s", "k", 1)),
    ([("SADD", "s", 1)], ("SINTERSTORE", "k", "s", "missing")),
    ([("SADD", "k", 1)], ("SINTERSTORE", "k", "s", "missing")),
    ([("SADD", "s", 1)], ("SUNIONSTORE", "k", "s")),
    ([("ZADD", "k", 1, "a")], ("ZADD", "k", 1, "a")),
    ([("ZADD", "k", 1, "a")], ("ZADD", "k", 2, "a")),
    ([("ZADD", "k", 1, "a")], ("ZADD", "k", "NX", 2, "a")),
    ([("ZADD", "k", 1, "a")], ("ZINCRBY", "k", 0, "a")),
    ([("ZADD", "k", 1, "a")], ("ZREM", "k", "b")), ([("ZADD", "k", 1, "a")], ("ZREM", "k", "a")),
    ([("ZADD", "k", 1, "a")], ("ZREMRANGEBYSCORE", "k", 5, 6)),
    ([("ZADD", "k", 1, "a")], ("ZPOPMIN", "k", 0)),
    ([("ZADD", "k", 1, "a", 2, "b")], ("ZPOPMAX", "k")),
    ([("ZADD", "z", 1, "a")], ("ZUNIONSTORE", "k", 1, "z")),
    ([("ZADD", "z", 1, "a")], ("ZRANGESTORE", "k", "z", 5, 6)),
    ([("RPUSH", "l", 1)], ("SORT", "l", "STORE", "k")), ([("RPUSH", "l", 1)], ("SORT", "l")),
]


@pytest.mark.parametrize("setup,command", WATCH_CASES)
def test_writes_touch_watched_keys_as_redis(server, real_server, setup, command):
    replies = []
    for port in (server.port, real_server.port):
        watcher, other = RawConnection(port), RawConnection(port)
        try:
            watcher.execute("FLUSHALL")
            for call in setup:
                other.execute(*call)
            watcher.execute("WATCH", "k")
            other.execute(*command)
            watcher.execute("MULTI")
            watcher.execute("PING")
            replies.append(watcher.execute("EXEC"))
        finally:
            watcher.close()
            other.close()
    assert replies[0] == replies[1], (command, replies)

"""A hypothesis state machine that sends the same random command sequences to pyredis and the
real redis-server, in RESP2 and RESP3, and compares every raw reply, then both keyspaces
(DEBUG DIGEST) after each step. Strings, keys, lists, hashes, sets, sorted sets, expiry at
absolute times far in the future, and MULTI/EXEC transactions of those commands.

Left out on purpose: commands whose reply is random (SPOP, SRANDMEMBER, HRANDFIELD,
ZRANDMEMBER, RANDOMKEY) or depends on "now" (TTL, PTTL, relative EXPIRE): both servers would
be right and still differ."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from differential import parse_reply, unordered
from helpers import RawConnection

KEYS = ["k1", "k2", "k3", "{k}4"]
FIELDS = ["f1", "f2", "f3"]
VALUES = ["0", "1", "-7", "10", "1.5", "abc", "", "x" * 50, "9223372036854775807"]
NUMBERS = ["0", "1", "-1", "2", "100", "-3"]
FLOATS = ["0.5", "-1.25", "3", "1e3", "abc"]
INDEXES = ["0", "1", "-1", "2", "-2", "10"]
SCORES = ["0", "1", "2.5", "-1", "inf", "-inf"]
# Far from now, so both servers agree that they are in the future (or long past: 1).
FUTURE = int(time.time()) + 10_000_000
SECONDS = [str(FUTURE), str(FUTURE + 1), "1"]

key = st.sampled_from(KEYS)
field = st.sampled_from(FIELDS)
value = st.sampled_from(VALUES)
number = st.sampled_from(NUMBERS)
index = st.sampled_from(INDEXES)
score = st.sampled_from(SCORES)
member = st.sampled_from(["a", "b", "c", "1", "2"])


def command(name: str, *parts: st.SearchStrategy) -> st.SearchStrategy:
    """(name, part, ...) with each part a strategy for one word or a tuple of words."""
    return st.tuples(*parts).map(lambda words: (name, *flatten(words)))


def flatten(words: tuple) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(word if isinstance(word, tuple) else (word,))
    return out


def some(strategy: st.SearchStrategy, most: int = 3) -> st.SearchStrategy:
    return st.lists(strategy, min_size=1, max_size=most).map(tuple)


def optional(*choices: tuple) -> st.SearchStrategy:
    return st.sampled_from([(), *choices])


pairs = some(st.tuples(field, value).map(tuple)).map(lambda ps: tuple(w for p in ps for w in p))
scored = some(st.tuples(score, member)).map(lambda ps: tuple(w for p in ps for w in p))

STRINGS = [
    command("SET", key, value, optional(("NX",), ("XX",), ("GET",), ("XX", "GET")),
            optional(("EXAT", SECONDS[0]), ("PXAT", SECONDS[1] + "000"), ("KEEPTTL",))),
    command("GET", key), command("GETDEL", key), command("GETSET", key, value),
    command("SETNX", key, value), command("APPEND", key, value), command("STRLEN", key),
    command("INCR", key), command("DECR", key), command("INCRBY", key, number),
    command("INCRBYFLOAT", key, st.sampled_from(FLOATS)),
    command("GETRANGE", key, index, index), command("SETRANGE", key, st.sampled_from(["0", "3"]),
                                                    value),
    command("MSET", some(st.tuples(key, value).map(tuple)).map(
        lambda ps: tuple(w for p in ps for w in p))),
    command("MGET", some(key)), command("MSETNX", key, value),
    command("GETEX", key, optional(("PERSIST",), ("EXAT", SECONDS[0]))),
]
KEYSPACE = [
    command("DEL", some(key)), command("EXISTS", some(key)), command("TYPE", key),
    command("RENAME", key, key), command("RENAMENX", key, key),
    command("COPY", key, key, optional(("REPLACE",))),
    command("EXPIREAT", key, st.sampled_from(SECONDS), optional(("NX",), ("XX",), ("GT",),
                                                                ("LT",))),
    command("PEXPIREAT", key, st.sampled_from([s + "000" for s in SECONDS])),
    command("PERSIST", key), command("EXPIRETIME", key), command("PEXPIRETIME", key),
    command("OBJECT", st.just("ENCODING"), key), command("DBSIZE"),
]
LISTS = [
    command("LPUSH", key, some(value)), command("RPUSH", key, some(value)),
    command("LPUSHX", key, value), command("RPUSHX", key, value),
    command("LPOP", key, optional(("2",), ("0",))), command("RPOP", key, optional(("2",))),
    command("LRANGE", key, index, index), command("LLEN", key), command("LINDEX", key, index),
    command("LSET", key, index, value), command("LREM", key, st.sampled_from(["0", "1", "-1"]),
                                                value),
    command("LINSERT", key, st.sampled_from(["BEFORE", "AFTER"]), value, value),
    command("LTRIM", key, index, index), command("LPOS", key, value, optional(("RANK", "-1"),
                                                                             ("COUNT", "0"))),
    command("LMOVE", key, key, st.sampled_from(["LEFT", "RIGHT"]),
            st.sampled_from(["LEFT", "RIGHT"])),
]
HASHES = [
    command("HSET", key, pairs), command("HSETNX", key, field, value), command("HGET", key, field),
    command("HMGET", key, some(field)), command("HDEL", key, some(field)), command("HLEN", key),
    command("HEXISTS", key, field), command("HSTRLEN", key, field),
    command("HINCRBY", key, field, number),
    command("HINCRBYFLOAT", key, field, st.sampled_from(FLOATS)),
]
SETS = [
    command("SADD", key, some(member)), command("SREM", key, some(member)),
    command("SISMEMBER", key, member), command("SMISMEMBER", key, some(member)),
    command("SCARD", key), command("SMOVE", key, key, member),
    command("SINTERSTORE", key, some(key)), command("SUNIONSTORE", key, some(key)),
    command("SDIFFSTORE", key, some(key)), command("SINTERCARD", st.just("2"), key, key),
]
ZSETS = [
    command("ZADD", key, optional(("NX",), ("XX",), ("GT",), ("CH",), ("XX", "CH")), scored),
    command("ZINCRBY", key, score, member), command("ZSCORE", key, member),
    command("ZMSCORE", key, some(member)), command("ZREM", key, some(member)),
    command("ZCARD", key), command("ZRANK", key, member), command("ZREVRANK", key, member),
    command("ZCOUNT", key, st.sampled_from(["-inf", "(0", "1"]),
            st.sampled_from(["+inf", "2.5", "(1"])),
    command("ZRANGE", key, index, index, optional(("WITHSCORES",), ("REV",),
                                                  ("REV", "WITHSCORES"))),
    command("ZRANGE", key, st.sampled_from(["-inf", "(0", "1"]),
            st.sampled_from(["+inf", "2.5"]), st.just("BYSCORE"),
            optional(("WITHSCORES",), ("LIMIT", "1", "2"))),
    command("ZPOPMIN", key, optional(("2",))), command("ZPOPMAX", key),
    command("ZUNIONSTORE", key, st.just("2"), key, key, optional(("AGGREGATE", "MAX"),
                                                                 ("WEIGHTS", "2", "0.5"))),
    command("ZINTERSTORE", key, st.just("2"), key, key),
    command("ZRANGESTORE", key, key, index, index),
]
# Replies whose order is a hash table's: compared as sets.
UNORDERED = {"HGETALL", "HKEYS", "HVALS", "SMEMBERS", "SINTER", "SUNION", "SDIFF"}
READS_UNORDERED = [
    command("HGETALL", key), command("HKEYS", key), command("HVALS", key),
    command("SMEMBERS", key), command("SINTER", some(key)), command("SUNION", some(key)),
    command("SDIFF", some(key)),
]
ANY_COMMAND = st.one_of(*STRINGS, *KEYSPACE, *LISTS, *HASHES, *SETS, *ZSETS, *READS_UNORDERED)


class SameRepliesAsRedis(RuleBasedStateMachine):
    """Each rule runs on both servers; the replies (and then the keyspaces) must match."""

    connections: tuple[RawConnection, RawConnection]

    def __init__(self) -> None:
        super().__init__()
        for conn in self.connections:
            conn.execute("FLUSHALL")

    def same_reply(self, *args: str) -> None:
        ours, theirs = (conn.execute(*args) for conn in self.connections)
        if args[0] in UNORDERED:
            assert unordered(parse_reply(ours)) == unordered(parse_reply(theirs)), \
                (args, ours, theirs)
        else:
            assert ours == theirs, (args, ours, theirs)

    @rule(args=ANY_COMMAND)
    def run(self, args: tuple) -> None:
        self.same_reply(*args)

    @rule(body=st.lists(ANY_COMMAND, min_size=0, max_size=4),
          end=st.sampled_from(["EXEC", "DISCARD"]))
    def transaction(self, body: list, end: str) -> None:
        self.same_reply("MULTI")
        for args in body:
            self.same_reply(*args)          # +QUEUED, or an error that aborts the EXEC
        self.same_reply(end)

    @invariant()
    def same_keyspace(self) -> None:
        self.same_reply("DEBUG", "DIGEST")


@pytest.mark.parametrize("resp", [2, 3])
def test_random_command_sequences_match_redis(pool, resp):
    connections = (RawConnection(pool.get("pyredis").port),
                   RawConnection(pool.get("redis").port))
    try:
        for conn in connections:
            conn.execute("HELLO", resp)
        SameRepliesAsRedis.connections = connections
        run_state_machine_as_test(SameRepliesAsRedis, settings=settings(
            max_examples=40, stateful_step_count=25, deadline=None, derandomize=True,
            database=None, suppress_health_check=[HealthCheck.too_slow]))
    finally:
        for conn in connections:
            conn.close()

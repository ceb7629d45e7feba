"""Keyspace notifications: for each command family, the events a subscriber receives are
compared with those of the real redis-server configured alike (every class: AKEnm)."""
import pytest

from helpers import start_server, Session

ALL_EVENTS = ["--notify-keyspace-events", "AKEnm"]


@pytest.fixture(scope="module")
def servers():
    ours = start_server("pyredis", ALL_EVENTS)
    theirs = start_server("redis", ALL_EVENTS)
    yield ours, theirs
    ours.stop()
    theirs.stop()


def _events(port: int, commands: list[tuple]) -> list[list[bytes]]:
    """The messages the subscriber got after each command (and the command's reply)."""
    session = Session(port, ["sub", "w"])
    try:
        session.step("w", "FLUSHALL")
        session.step("w", "SELECT", "2")
        session.step("sub", "PSUBSCRIBE", "__key*__:*")
        out = []
        for command in commands:
            seen = session.step("w", *command)
            out.append(seen["w"] + seen["sub"])
        return out
    finally:
        session.close()


FAMILIES = {
    "generic": [
        ("GET", "missing"), ("SET", "k", "v"), ("SET", "k", "v2"), ("DEL", "k", "nope"),
        ("DEL", "k"), ("SET", "a", "1"), ("UNLINK", "a"), ("SET", "a", "1"),
        ("EXPIRE", "a", "100"), ("PEXPIRE", "a", "100000"), ("EXPIREAT", "a", "9999999999"),
        ("PEXPIREAT", "a", "9999999999000"), ("PERSIST", "a"), ("PERSIST", "a"),
        ("EXPIRE", "a", "-1"), ("SET", "a", "1"), ("RENAME", "a", "b"), ("SET", "c", "1"),
        ("RENAMENX", "c", "b"), ("RENAME", "c", "b"), ("COPY", "b", "d"),
        ("COPY", "b", "d", "REPLACE"), ("MOVE", "d", "3"), ("MOVE", "nope", "3"),
        ("TOUCH", "b"), ("TYPE", "b"), ("EXISTS", "b", "nope"), ("SET", "e", "1", "EX", "100"),
        ("SET", "e", "2", "KEEPTTL"),
        ("FLUSHDB",), ("SET", "x", "1"), ("FLUSHALL",), ("SWAPDB", "0", "2"),
    ],
    "string": [
        ("SET", "s", "v"), ("SET", "s", "v", "NX"), ("SET", "s", "w", "XX", "GET"),
        ("SETNX", "s", "x"), ("SETNX", "t", "x"), ("SETEX", "u", "100", "v"),
        ("PSETEX", "u", "100000", "v"), ("GETSET", "s", "y"), ("GETDEL", "s"), ("GETDEL", "s"),
        ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m1", "1", "m3", "3"),
        ("MSETNX", "m4", "4", "m5", "5"), ("APPEND", "m1", "x"), ("APPEND", "new", "x"),
        ("SETRANGE", "m2", "3", "abc"), ("SETRANGE", "empty", "0", ""),
        ("INCR", "n"), ("INCRBY", "n", "5"), ("DECR", "n"), ("DECRBY", "n", "2"),
        ("INCRBYFLOAT", "n", "1.5"), ("INCR", "m1"), ("GETEX", "n", "EX", "100"),
        ("GETEX", "n", "PERSIST"), ("GETEX", "n"), ("GETEX", "n", "PX", "0"),
        ("SET", "z", "1", "PX", "0"), ("GET", "nothing"), ("STRLEN", "m1"),
        ("GETRANGE", "m1", "0", "1"), ("LCS", "m1", "m2"),
    ],
    "list": [
        ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "l", "d"),
        ("RPUSHX", "l", "e"), ("LPUSHX", "nol", "x"), ("LPOP", "l"), ("RPOP", "l"),
        ("LPOP", "l", "2"), ("LINSERT", "l", "BEFORE", "c", "x"),
        ("LINSERT", "l", "AFTER", "zz", "y"), ("LSET", "l", "0", "s"), ("LREM", "l", "0", "s"),
        ("LREM", "l", "0", "nothere"), ("RPUSH", "l", "1", "2", "3"), ("LTRIM", "l", "0", "1"),
        ("LTRIM", "l", "0", "0"), ("LTRIM", "l", "5", "10"), ("RPUSH", "src", "a", "b"),
        ("LMOVE", "src", "dst", "LEFT", "RIGHT"), ("RPOPLPUSH", "src", "dst"),
        ("LMPOP", "2", "nol", "dst", "LEFT", "COUNT", "5"), ("RPUSH", "bl", "x"),
        ("BLPOP", "bl", "0"), ("RPUSH", "bl", "x", "y"), ("BRPOP", "bl", "0"),
        ("BLMOVE", "bl", "bl2", "LEFT", "LEFT", "0"), ("BLMPOP", "0", "1", "bl2", "RIGHT"),
        ("RPUSH", "one", "x"), ("RPOP", "one"),
    ],
    "expired": [
        ("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "v", "PX", "1"),
        ("DEBUG", "SLEEP", "0.01"), ("GET", "k"), ("SET", "k2", "v", "PX", "1"),
        ("DEBUG", "SLEEP", "0.01"), ("EXISTS", "k2"), ("SET", "k3", "v", "PX", "1"),
        ("DEBUG", "SLEEP", "0.01"), ("SET", "k3", "w"), ("RPUSH", "l", "a"),
        ("PEXPIRE", "l", "1"), ("DEBUG", "SLEEP", "0.01"), ("LPUSH", "l", "b"),
        ("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
    ],
    "set": [
        ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "x"), ("SREM", "s", "a"),
        ("SMOVE", "s", "t", "b"), ("SMOVE", "s", "t", "zz"), ("SPOP", "t"), ("SADD", "u", "1", "2"),
        ("SPOP", "u", "5"), ("SADD", "p", "1", "2", "3"), ("SPOP", "p", "1"),
        ("SINTERSTORE", "d", "s", "p"), ("SUNIONSTORE", "d", "s", "p"),
        ("SDIFFSTORE", "d", "s", "p"), ("SINTERSTORE", "d", "s", "nope"),
        ("SUNIONSTORE", "e", "nope1", "nope2"), ("SRANDMEMBER", "s"), ("SMEMBERS", "nope"),
        ("SADD", "i", "1"), ("SREM", "i", "1"),
    ],
    "zset": [
        ("ZADD", "z", "1", "a", "2", "b"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "XX", "5", "q"),
        ("ZADD", "z", "INCR", "3", "a"), ("ZINCRBY", "z", "1", "b"), ("ZREM", "z", "nope"),
        ("ZREM", "z", "a"), ("ZADD", "z", "1", "c", "2", "d", "3", "e"),
        ("ZREMRANGEBYSCORE", "z", "1", "1"), ("ZREMRANGEBYRANK", "z", "0", "0"),
        ("ZREMRANGEBYLEX", "z", "-", "+"), ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "5"), ("ZPOPMIN", "nope"),
        ("ZADD", "y", "1", "a", "2", "b"), ("ZADD", "x", "1", "a"),
        ("ZUNIONSTORE", "out", "2", "x", "y"), ("ZINTERSTORE", "out", "2", "x", "y"),
        ("ZDIFFSTORE", "out", "2", "y", "x"), ("ZINTERSTORE", "out", "2", "x", "nope"),
        ("ZRANGESTORE", "out2", "y", "0", "-1"), ("ZRANGESTORE", "out2", "nope", "0", "-1"),
        ("ZMPOP", "1", "y", "MIN", "COUNT", "10"), ("ZADD", "w", "1", "a"),
        ("BZPOPMIN", "w", "0"), ("ZADD", "w", "1", "a"), ("BZMPOP", "0", "1", "w", "MAX"),
    ],
    "sort": [
        ("RPUSH", "l", "3", "1", "2"), ("SORT", "l", "STORE", "dst"), ("SORT", "nope", "STORE", "dst"),
        ("SORT", "l"),
    ],
    "bitmap": [
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "0"),
        ("SET", "c", "ab"), ("BITOP", "AND", "d", "b", "c"), ("BITOP", "OR", "d", "none"),
        ("BITOP", "NOT", "e", "c"), ("BITFIELD", "f", "SET", "u8", "0", "255"),
        ("BITFIELD", "f", "GET", "u8", "0"), ("BITFIELD", "f", "INCRBY", "u8", "0", "1"),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
        ("BITFIELD_RO", "f", "GET", "u8", "0"), ("BITCOUNT", "nothing"),
    ],
    "hash": [
        ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "3"),
        ("HSETNX", "h", "c", "3"), ("HMSET", "h", "d", "4"), ("HINCRBY", "h", "a", "5"),
        ("HINCRBYFLOAT", "h", "a", "0.5"), ("HDEL", "h", "nope"), ("HDEL", "h", "a", "b"),
        ("HDEL", "h", "c", "d"), ("HGET", "h", "a"), ("HGETALL", "nohash"),
    ],
    "set": [
        ("SADD", "s", 1, 2, 3, 4), ("SADD", "s", 1), ("SREM", "s", 1, 9), ("SREM", "s", 9),
        ("SMOVE", "s", "t", 2), ("SMOVE", "s", "t", 9), ("SMOVE", "t", "t", 2),
        ("SADD", "p", 7), ("SPOP", "p"), ("SADD", "p", 7), ("SPOP", "p", 0), ("SPOP", "p", 1),
        ("SADD", "p", 5, 6), ("SPOP", "p", 10), ("SINTERSTORE", "d", "t", "t"),
        ("SUNIONSTORE", "d", "t", "u"), ("SDIFFSTORE", "d", "t", "t"),
        ("SINTERSTORE", "d", "t", "missing"), ("SREM", "t", 2),
    ],
    "zset": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZADD", "z", "NX", 5, "a"),
        ("ZADD", "z", "XX", 5, "a"), ("ZINCRBY", "z", 1, "b"), ("ZADD", "z", "INCR", 0, "b"),
        ("ZREM", "z", "a", "x"), ("ZADD", "z", 4, "d", 5, "e", 6, "f", 7, "g"),
        ("ZREMRANGEBYRANK", "z", 0, 0), ("ZREMRANGEBYSCORE", "z", 4, 4),
        ("ZREMRANGEBYLEX", "z", "-", "+"), ("ZADD", "z", 1, "a", 2, "b", 3, "c"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z", 5), ("ZADD", "y", 1, "a"), ("ZMPOP", 1, "y", "MAX"),
        ("ZADD", "y", 1, "a", 2, "b"), ("BZPOPMIN", "y", 0), ("BZMPOP", 0, 1, "y", "MIN"),
        ("ZADD", "y", 1, "a"), ("ZUNIONSTORE", "d", 1, "y"), ("ZINTERSTORE", "d", 2, "y", "y"),
        ("ZDIFFSTORE", "d", 1, "y"), ("ZRANGESTORE", "d2", "y", 0, -1),
        ("ZDIFFSTORE", "d", 2, "y", "y"), ("ZRANGESTORE", "d2", "y", 5, 6),
    ],
    "sort": [
        ("RPUSH", "l", 3, 1, 2), ("SORT", "l", "STORE", "d"), ("SORT", "l"),
        ("SORT", "missing", "STORE", "d"),
    ],
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_events_match_redis(servers, family):
    ours, theirs = servers
    commands = FAMILIES[family]
    for command, mine, reference in zip(commands, _events(ours.port, commands),
                                        _events(theirs.port, commands)):
        assert mine == reference, command


def test_no_events_without_k_or_e():
    proc = start_server("pyredis", ["--notify-keyspace-events", "A"])
    try:
        session = Session(proc.port, ["sub", "w"])
        session.step("sub", "PSUBSCRIBE", "*")
        assert session.step("w", "SET", "k", "v") == {"w": [b"+OK\r\n"], "sub": []}
        session.close()
    finally:
        proc.stop()

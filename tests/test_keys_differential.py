"""Generic key commands against the real redis-server: the same commands on both, the same
reply bytes. Hand-written edge cases, glob patterns through KEYS, and a hypothesis sequence
of key commands mixed with SET and GET."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import RawConnection, start_server, _reply_size


def both(raw, real_raw, *args) -> bytes:
    ours, theirs = raw.execute(*args), real_raw.execute(*args)
    assert ours == theirs, (args, ours, theirs)
    return ours


def bulk_items(reply: bytes) -> list[bytes]:
    """The bulk strings of a flat RESP2 array (or of the array nested in a SCAN reply)."""
    items = []
    pos = 0
    while pos < len(reply):
        end = reply.index(b"\r\n", pos)
        if reply[pos:pos + 1] == b"$" and reply[pos + 1:end] != b"-1":
            size = int(reply[pos + 1:end])
            items.append(reply[end + 2:end + 2 + size])
            pos = end + 2 + size + 2
        else:
            pos = end + 2
    return items


def same_members(raw, real_raw, *args) -> None:
    """For replies whose order is unspecified (KEYS, SCAN): same shape, same members."""
    ours, theirs = raw.execute(*args), real_raw.execute(*args)
    assert _reply_size(ours) == len(ours)
    assert ours[:1] == theirs[:1], (args, ours, theirs)
    if ours[:1] == b"*":
        assert sorted(bulk_items(ours)) == sorted(bulk_items(theirs)), (args, ours, theirs)
    else:
        assert ours == theirs, (args, ours, theirs)


EDGE_CASES = [
    # DEL / UNLINK / EXISTS / TOUCH / TYPE
    [("SET", "a", "1"), ("DEL", "a", "a", "b"), ("UNLINK", "a"), ("DEL",), ("UNLINK",)],
    [("SET", "a", "1"), ("EXISTS", "a", "a", "b"), ("EXISTS",), ("TOUCH", "a", "b", "a"),
     ("TOUCH",)],
    [("SET", "a", "1"), ("TYPE", "a"), ("TYPE", "b"), ("TYPE",), ("TYPE", "a", "b")],
    # RENAME / RENAMENX
    [("RENAME", "a", "b"), ("RENAME", "a", "a"), ("RENAMENX", "a", "b"), ("SET", "a", "1"),
     ("RENAME", "a", "a"), ("RENAMENX", "a", "a"), ("RENAME", "a", "b"), ("GET", "b"),
     ("SET", "a", "2"), ("RENAMENX", "a", "b"), ("RENAMENX", "b", "c"), ("GET", "c"),
     ("RENAME", "a"), ("RENAMENX", "a", "b", "c")],
    [("SET", "a", "1"), ("EXPIRE", "a", "100"), ("RENAME", "a", "b"), ("TTL", "b"),
     ("SET", "c", "2"), ("RENAME", "c", "b"), ("TTL", "b")],
    # COPY / MOVE
    [("SET", "a", "1"), ("COPY", "a", "a"), ("COPY", "a", "a", "DB", "0"),
     ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "b", "DB", "16"),
     ("COPY", "a", "b", "DB", "-1"), ("COPY", "a", "b", "DB", "x"),
     ("COPY", "a", "b", "DB", "2147483648"), ("COPY", "a", "b", "DB"),
     ("COPY", "a", "b", "REPLACE", "x"), ("COPY", "a", "b", "replace", "db", "1", "REPLACE"),
     ("COPY", "a", "b"), ("COPY", "a", "b"), ("COPY", "x", "y"), ("COPY", "a"),
     ("COPY", "a", "b", "DB", "16", "FOO"), ("COPY", "a", "b", "FOO", "DB", "16")],
    [("SET", "a", "1"), ("MOVE", "a", "0"), ("MOVE", "a", "16"), ("MOVE", "a", "x"),
     ("MOVE", "a", "-1"), ("MOVE", "a", "1"), ("MOVE", "a", "1"), ("SET", "a", "2"),
     ("MOVE", "a", "1"), ("MOVE", "nokey", "1"), ("MOVE", "a"), ("MOVE", "nokey", "0")],
    # KEYS / SCAN
    [("KEYS",), ("KEYS", "*", "x"), ("SCAN",), ("SCAN", "abc"), ("SCAN", " 0"),
     ("SCAN", "0 "), ("SCAN", "-"), ("SCAN", "+"), ("SCAN", "0x1"), ("SCAN", "1e3"),
     ("SCAN", "18446744073709551616"), ("SCAN", "0", "COUNT", "0"),
     ("SCAN", "0", "COUNT", "-1"), ("SCAN", "0", "COUNT", "x"), ("SCAN", "0", "COUNT"),
     ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"), ("SCAN", "0", "FOO", "1"),
     ("SCAN", "0", "COUNT", "x", "FOO"), ("SCAN", "0", "FOO", "COUNT", "x"),
     ("SCAN", "0", "COUNT", "99999999999999999999"), ("SCAN", "0"), ("SCAN", ""),
     ("SCAN", "+0"), ("SCAN", "-0"), ("SCAN", "0", "count", "5", "match", "*", "type", "x")],
    [("HSET", "h", "f", "v"), ("SADD", "s", "m"), ("ZADD", "z", 1, "m"),
     ("SCAN", "0", "COUNT", "1", "COUNT", "x"), ("SCAN", "0", "MATCH", "a", "MATCH"),
     ("SCAN", "0", "TYPE", "string", "TYPE", "hash", "COUNT", "0"),
     ("SCAN", "0", "match", "*", "COUNT", "9223372036854775808"),
     ("HSCAN", "h", "0", "TYPE", "hash"), ("HSCAN", "h", "0", "COUNT", "0"),
     ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "0", "count", "2", "match", "f*"),
     ("SSCAN", "s", "0", "COUNT", "-1"), ("SSCAN", "s", "0", "FOO", "1"),
     ("SSCAN", "s", "0", "MATCH", "x", "COUNT"), ("SSCAN", "s", "0", "MATCH", "m", "MATCH", "*"),
     ("ZSCAN", "z", "0", "COUNT", "x"), ("ZSCAN", "z", "0", "TYPE", "zset"),
     ("ZSCAN", "z", "0", "MATCH"), ("ZSCAN", "z", "0", "COUNT", "1", "COUNT", "5"),
     ("HSCAN", "nokey", "0", "FOO"), ("ZSCAN", "z", "x", "FOO")],
    # EXPIRE family
    [("SET", "a", "1"), ("EXPIRE", "a", "10", "NX", "XX"), ("EXPIRE", "a", "10", "xx", "nx"),
     ("EXPIRE", "a", "10", "GT", "LT"), ("EXPIRE", "a", "10", "NX", "GT", "LT"),
     ("EXPIRE", "a", "10", "FOO"), ("EXPIRE", "a", "x", "FOO"), ("EXPIRE", "a", "x", "NX", "XX"),
     ("EXPIRE", "a", "x"), ("EXPIRE", "a", ""), ("EXPIRE", "a", "1.5"), ("EXPIRE", "a"),
     ("EXPIRE", "a", "9223372036854776"), ("EXPIRE", "a", "-9223372036854776"),
     ("EXPIRE", "a", "9223370399119966"), ("PEXPIRE", "a", "9223372036854770000"),
     ("EXPIREAT", "a", "9223372036854776"), ("PEXPIREAT", "a", "9223372036854775807"),
     ("TTL", "a"), ("EXPIRETIME", "a"), ("PEXPIRETIME", "a"), ("PERSIST", "a"),
     ("PERSIST", "a"), ("EXPIRE", "a", "10", "XX"), ("EXPIRE", "a", "10", "GT"),
     ("EXPIRE", "a", "10", "LT"), ("TTL", "a"), ("EXPIRE", "a", "20", "NX"),
     ("EXPIRE", "a", "5", "GT"), ("EXPIRE", "a", "5", "LT", "XX"), ("TTL", "a"),
     ("EXPIRE", "a", "-1", "NX"), ("EXPIRE", "a", "-1"), ("EXISTS", "a"),
     ("EXPIRE", "nokey", "10"), ("EXPIRE", "nokey", "-10"), ("TTL", "nokey"),
     ("PTTL", "nokey"), ("EXPIRETIME", "nokey"), ("PEXPIRETIME", "nokey"),
     ("PERSIST", "nokey"), ("TTL",), ("PERSIST", "a", "b")],
    [("SET", "a", "1"), ("PEXPIREAT", "a", "-9223372036854770000"), ("EXISTS", "a"),
     ("SET", "a", "1"), ("EXPIREAT", "a", "0"), ("EXISTS", "a"), ("SET", "a", "1"),
     ("PEXPIRE", "a", "0"), ("EXISTS", "a"), ("SET", "a", "1"),
     ("EXPIREAT", "a", "4102444800"), ("EXPIRETIME", "a"), ("PEXPIRETIME", "a"),
     ("PEXPIREAT", "a", "4102444800499"), ("EXPIRETIME", "a"),
     ("PEXPIREAT", "a", "4102444800500"), ("EXPIRETIME", "a"), ("PEXPIRETIME", "a")],
    # OBJECT
    [("SET", "i", "123"), ("SET", "n", "-0"), ("SET", "e", "x" * 44), ("SET", "r", "x" * 45),
     ("SET", "big", "99999"), ("SET", "neg", "-5"), ("SET", "lead", "007"),
     ("OBJECT", "ENCODING", "i"), ("OBJECT", "ENCODING", "n"), ("OBJECT", "ENCODING", "e"),
     ("OBJECT", "ENCODING", "r"), ("OBJECT", "ENCODING", "lead"),
     ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "REFCOUNT", "i"),
     ("OBJECT", "REFCOUNT", "big"), ("OBJECT", "REFCOUNT", "neg"),
     ("OBJECT", "REFCOUNT", "e"), ("OBJECT", "REFCOUNT", "nokey"),
     ("OBJECT", "IDLETIME", "nokey"), ("OBJECT", "FREQ", "nokey"), ("OBJECT", "FREQ", "i"),
     ("OBJECT",), ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "a", "b"),
     ("OBJECT", "FOO"), ("OBJECT", "FOO", "bar"), ("OBJECT", "HELP"), ("object", "help"),
     ("OBJECT", "HELP", "x"), ("OBJECT", "REFCOUNT"), ("OBJECT", "IDLETIME"),
     ("OBJECT", "FREQ")],
    [("RANDOMKEY",), ("RANDOMKEY", "x"), ("SET", "only", "1"), ("RANDOMKEY",)],
    [("SELECT", "2147483648"), ("SELECT", "-2147483649"), ("SELECT", "16"), ("SELECT", "x"),
     ("SELECT", "-1"), ("SELECT", "0")],
]


@pytest.mark.parametrize("commands", EDGE_CASES, ids=lambda c: " ".join(c[0])[:40])
def test_edge_cases_match_redis(raw, real_raw, commands):
    for args in commands:
        both(raw, real_raw, *args)


def test_keys_and_scan_match_redis(raw, real_raw):
    for key in ("a", "b", "ab", "a:1", "a:2", "b:1"):
        both(raw, real_raw, "SET", key, "v")
    for args in (("KEYS", "*"), ("KEYS", "a*"), ("KEYS", "?"), ("KEYS", "a:[12]"),
                 ("SCAN", "0", "COUNT", "100"), ("SCAN", "0", "MATCH", "a*", "COUNT", "100"),
                 ("SCAN", "0", "TYPE", "string", "COUNT", "100"),
                 ("SCAN", "0", "TYPE", "STRING", "MATCH", "b*", "COUNT", "100"),
                 ("SCAN", "0", "TYPE", "hash", "COUNT", "100")):
        same_members(raw, real_raw, *args)


def test_expired_keys_are_not_listed(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        both(raw, real_raw, "SET", "gone", "v")
        both(raw, real_raw, "PEXPIRE", "gone", "1")
        both(raw, real_raw, "SET", "kept", "v")
        time.sleep(0.01)
        both(raw, real_raw, "KEYS", "*")
        both(raw, real_raw, "DBSIZE")
        both(raw, real_raw, "SCAN", "0", "TYPE", "string")
        both(raw, real_raw, "DBSIZE")
        both(raw, real_raw, "TTL", "gone")
        both(raw, real_raw, "EXISTS", "gone")
        both(raw, real_raw, "DBSIZE")
    finally:
        for conn in (raw, real_raw):
            conn.execute("DEBUG", "SET-ACTIVE-EXPIRE", "1")


# -- glob patterns through KEYS -------------------------------------------------------------

GLOB_KEYS = [b"", b"a", b"b", b"A", b"ab", b"abc", b"a*c", b"a?c", b"a[c", b"a]c", b"a\\c",
             b"a-c", b"a^c", b"hello", b"hallo", b"hxllo", b"heeeello", b"\xc3\xa9", b"\xff",
             b"\x80", b"x\x00y", b"[", b"]", b"^", b"-", b"\\", b"*", b"?", b"aaaaaaaaaaaaaab"]

GLOB_PATTERNS = [
    b"*", b"**", b"", b"?", b"??", b"a*", b"*c", b"a*c", b"a?c", b"h?llo", b"h*llo",
    b"h[ae]llo", b"h[^e]llo", b"h[a-b]llo", b"h[b-a]llo", b"h[!e]llo",
    b"a\\*c", b"a\\?c", b"a\\[c", b"a[\\]]c", b"a\\\\c", b"\\a", b"a\\", b"\\",
    b"[a-]", b"[-a]", b"[a-c", b"a[", b"a[^", b"[", b"[^]", b"[]", b"[]]", b"[^]]", b"]",
    b"[\\]", b"[\\", b"[a-\\]]", b"[\\a-z]", b"[z-a]", b"[A-z]", b"[^a-z]",
    b"[\x80-\xff]", b"[a-\xff]", b"[\xff-a]", b"[\x00-\x7f]", b"x?y", b"x*y", b"[^a]",
    b"*a*a*a*a*a*a*a*a*b", b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", b"*b*",
    b"[[]", b"[*]", b"[?]", b"?*", b"*?", b"a**c", b"*\\", b"h[^a-e]llo", b"[a-a]",
]


@pytest.fixture
def glob_keys(raw, real_raw):
    for key in GLOB_KEYS:
        both(raw, real_raw, "SET", key, "v")
    return raw, real_raw


def test_glob_patterns_match_redis(glob_keys):
    raw, real_raw = glob_keys
    for pattern in GLOB_PATTERNS:
        same_members(raw, real_raw, "KEYS", pattern)
        same_members(raw, real_raw, "SCAN", "0", "MATCH", pattern, "COUNT", "1000")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pattern=st.lists(st.sampled_from([b"a", b"b", b"c", b"*", b"?", b"[", b"]", b"^",
                                         b"-", b"\\", b"\xff", b"h", b"l"]),
                        max_size=8).map(b"".join))
def test_random_glob_patterns_match_redis(glob_keys, pattern):
    raw, real_raw = glob_keys
    same_members(raw, real_raw, "KEYS", pattern)


# -- a hypothesis sequence of key commands -------------------------------------------------

KEY_NAMES = ["a", "b", "c", "ab", "k:1"]
VALUES = ["1", "v", "", "12345678901234567890", "x" * 50]
# Absolute times far from "now", so both servers agree on them; relative times only in the
# past or now (deletion), since "now" differs by a few milliseconds between the servers.
FUTURE = int(time.time()) + 100_000
ABSOLUTE_SECONDS = [FUTURE, FUTURE + 1000, 1, 0]
FLAGS = [[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"], ["NX", "XX"], ["GT", "LT"]]

key = st.sampled_from(KEY_NAMES)
keys = st.lists(key, min_size=1, max_size=3)
flags = st.sampled_from(FLAGS)
operation = st.one_of(
    st.tuples(st.just("SET"), key, st.sampled_from(VALUES)),
    # collections, for TYPE, OBJECT ENCODING, COPY and friends on every type
    st.tuples(st.sampled_from(["RPUSH", "SADD"]), key, st.sampled_from(VALUES)),
    st.tuples(st.just("HSET"), key, st.sampled_from(["f", "g"]), st.sampled_from(VALUES)),
    st.tuples(st.just("ZADD"), key, st.sampled_from(["1", "2.5"]), st.sampled_from(VALUES)),
    st.tuples(st.just("GET"), key),
    keys.map(lambda k: ("DEL", *k)),
    keys.map(lambda k: ("UNLINK", *k)),
    keys.map(lambda k: ("EXISTS", *k)),
    keys.map(lambda k: ("TOUCH", *k)),
    st.tuples(st.just("TYPE"), key),
    st.tuples(st.sampled_from(["RENAME", "RENAMENX"]), key, key),
    st.tuples(st.just("COPY"), key, key, st.sampled_from([(), ("REPLACE",), ("DB", "1"),
                                                          ("DB", "1", "REPLACE")])).map(
        lambda t: (t[0], t[1], t[2], *t[3])),
    st.tuples(st.just("MOVE"), key, st.sampled_from(["0", "1"])),
    st.tuples(st.just("SELECT"), st.sampled_from(["0", "1"])),
    st.tuples(st.sampled_from(["EXPIRE", "PEXPIRE"]), key, st.sampled_from(["-1", "0"]),
              flags).map(lambda t: (*t[:3], *t[3])),
    st.tuples(st.just("EXPIREAT"), key, st.sampled_from(ABSOLUTE_SECONDS), flags).map(
        lambda t: (*t[:3], *t[3])),
    st.tuples(st.just("PEXPIREAT"), key, st.sampled_from(ABSOLUTE_SECONDS), flags).map(
        lambda t: (t[0], t[1], t[2] * 1000 + 7, *t[3])),
    st.tuples(st.sampled_from(["TTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"]), key),
    st.tuples(st.just("OBJECT"), st.sampled_from(["ENCODING", "REFCOUNT"]), key),
    st.sampled_from([("KEYS", "*"), ("KEYS", "a*"), ("KEYS", "?"), ("DBSIZE",),
                     ("SCAN", "0", "COUNT", "100"), ("SCAN", "0", "MATCH", "*b*", "COUNT", "100"),
                     ("SCAN", "0", "TYPE", "string", "COUNT", "100"),
                     ("SCAN", "0", "TYPE", "zset", "COUNT", "100"), ("RANDOMKEY",)]),
    st.tuples(st.just("DEBUG"), st.just("DIGEST-VALUE"), key),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_key_command_sequences_match_redis(raw, real_raw, ops):
    for conn in (raw, real_raw):
        conn.execute("SELECT", "0")
        conn.execute("FLUSHALL")
    for args in ops:
        if args[0] in ("KEYS", "SCAN"):
            same_members(raw, real_raw, *args)
        elif args[0] == "RANDOMKEY":
            # Which key is random; whether there is one is not.
            assert (raw.execute(*args) == b"$-1\r\n") == (real_raw.execute(*args) == b"$-1\r\n")
        else:
            both(raw, real_raw, *args)
    for conn in (raw, real_raw):
        conn.execute("SELECT", "0")
    for db in ("0", "1"):
        both(raw, real_raw, "SELECT", db)
        same_members(raw, real_raw, "KEYS", "*")
    both(raw, real_raw, "SELECT", "0")


def test_resp3_replies_match_redis(raw, real_raw):
    for conn in (raw, real_raw):
        assert conn.execute("HELLO", "3").startswith(b"%")
    for args in (("RANDOMKEY",), ("SET", "k", "1"), ("TYPE", "k"), ("TYPE", "nokey"),
                 ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "ENCODING", "k"),
                 ("OBJECT", "REFCOUNT", "nokey"), ("OBJECT", "IDLETIME", "nokey"),
                 ("OBJECT", "FREQ", "nokey"), ("OBJECT", "HELP"), ("SCAN", "0"),
                 ("KEYS", "*"), ("TTL", "k"), ("EXPIRETIME", "nokey"), ("RENAME", "k", "j"),
                 ("COPY", "j", "z"), ("MOVE", "z", "1"), ("EXISTS", "j", "z"),
                 ("EXPIRE", "j", "10", "NX", "XX"), ("DEL", "j")):
        both(raw, real_raw, *args)


# -- keyspace notifications -------------------------------------------------------------------

class EventStream:
    """A connection PSUBSCRIBEd to every keyspace and keyevent channel of one server."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.subscribed = conn.execute("PSUBSCRIBE", "__key*__:*").startswith(b"*3")

    def drain(self) -> list[bytes]:
        """Every notification received so far: a PING's reply marks the end."""
        self.conn.send("PING")
        messages = []
        while True:
            reply = self.conn.read_reply()
            if reply.startswith(b"*2\r\n$4\r\npong"):
                return messages
            messages.append(reply)


@pytest.fixture(scope="module")
def notifying_servers():
    """Both servers started with every keyspace event class on, keymiss included."""
    servers = [start_server(kind, ["--notify-keyspace-events", "KEAm"])
               for kind in ("pyredis", "redis")]
    yield servers
    for proc in servers:
        proc.stop()


@pytest.fixture
def event_streams(notifying_servers):
    """(ours, theirs) connections for commands, then (ours, theirs) event streams."""
    conns = [RawConnection(proc.port) for proc in notifying_servers]
    streams = [EventStream(RawConnection(proc.port)) for proc in notifying_servers]
    if not streams[0].subscribed:
        pytest.skip("keyspace notifications are not in this build yet")
    for conn in conns:
        conn.execute("FLUSHALL")
    for stream in streams:
        stream.drain()
    yield conns, streams
    for conn in conns + [stream.conn for stream in streams]:
        conn.close()


def test_keyspace_events_of_each_command_match_redis(event_streams):
    (raw, real_raw), (ours, theirs) = event_streams
    commands = [("SET", "a", "1"), ("DEL", "a", "nokey"), ("SET", "a", "1"), ("UNLINK", "a"),
                ("SET", "a", "1"), ("RENAME", "a", "b"), ("RENAME", "b", "b"),
                ("RENAMENX", "b", "c"), ("SET", "d", "1"), ("RENAMENX", "c", "d"),
                ("COPY", "c", "e"), ("COPY", "c", "c", "DB", "1"), ("COPY", "c", "e"),
                ("COPY", "c", "e", "REPLACE"), ("MOVE", "e", "2"), ("MOVE", "c", "1"),
                ("EXPIRE", "c", "100"), ("PEXPIRE", "c", "200000", "GT"),
                ("EXPIREAT", "c", "4102444800"), ("PERSIST", "c"), ("PERSIST", "c"),
                ("EXPIRE", "c", "-1"), ("EXPIRE", "nokey", "10"), ("TOUCH", "d"),
                ("EXISTS", "d"), ("TYPE", "d"), ("TTL", "d"), ("KEYS", "*"), ("SCAN", "0"),
                ("OBJECT", "ENCODING", "d"), ("SELECT", "1"), ("RENAME", "c", "x"),
                ("MOVE", "x", "0"), ("SELECT", "0")]
    for args in commands:
        both(raw, real_raw, *args)
        assert ours.drain() == theirs.drain(), args


def test_expired_events_match_redis(event_streams):
    (raw, real_raw), (ours, theirs) = event_streams
    for conn in (raw, real_raw):
        conn.execute("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        for key in ("lazy", "scanned", "deleted"):
            both(raw, real_raw, "SET", key, "v")
            both(raw, real_raw, "PEXPIRE", key, "1")
        assert ours.drain() == theirs.drain()
        time.sleep(0.01)
        for args in (("GET", "lazy"), ("SCAN", "0"), ("DEL", "deleted")):
            same_members(raw, real_raw, *args)
            assert sorted(ours.drain()) == sorted(theirs.drain()), args
    finally:
        for conn in (raw, real_raw):
            conn.execute("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=20))
def test_keyspace_events_of_command_sequences_match_redis(event_streams, ops):
    (raw, real_raw), (ours, theirs) = event_streams
    for conn in (raw, real_raw):
        conn.execute("SELECT", "0")
        conn.execute("FLUSHALL")
    ours.drain()
    theirs.drain()
    for args in ops:
        if args[0] in ("KEYS", "SCAN", "RANDOMKEY"):
            continue
        both(raw, real_raw, *args)
        assert ours.drain() == theirs.drain(), args

"""Error texts that quote arguments: Redis prints them as C strings (up to the first NUL
byte, and %.128s where it says so), so ours must cut them the same way."""
from __future__ import annotations

import pytest

from differential import assert_same
from pyredis.errors import c_text

QUOTING_CALLS = [
    (b"nosuch\0cmd", b"a\0b", b"c"),
    (b"nosuch", b"x" * 200, b"y"),
    (b"config", b"bad\0sub"),
    (b"debug", b"no\0such"),
    (b"debug", b"x" * 300),
    (b"client", b"pause", b"10", b"write", b"extra"),
    (b"pubsub", b"channels", b"a", b"b"),
    (b"function", b"flush", b"async", b"x"),
    (b"client", b"kill", b"type", b"no\0rmal"),
    (b"client", b"list", b"type", b"bo\0gus"),
    (b"client", b"kill", b"user", b"u\0x"),
    (b"expire", b"k", b"10", b"N\0X"),
    (b"hello", b"3", b"fo\0o"),
    (b"function", b"list", b"fo\0o"),
    (b"client", b"tracking", b"on", b"bcast", b"prefix", b"a\0b", b"prefix", b"a"),
    (b"config", b"set", b"max\0memory", b"1"),
    (b"object", b"en\0coding", b"k"),
    (b"xinfo", b"s\0tream", b"k"),
    (b"command", b"getkeys", b"no\0such", b"k"),
    (b"xclaim", b"s", b"g", b"c", b"0", b"0-1", b"f\0oo"),
    (b"pfdebug", b"g\0et", b"k"),
    (b"module", b"lo\0ad"),
    (b"lolwut", b"version", b"5\0"),
    # Bytes that are not UTF-8 come back as they were sent.
    (b"\xff\xfecmd",),
    (b"config", b"set", b"\xffopt", b"x"),
    (b"object", b"\xe9x"),
    (b"expire", b"k", b"1", b"\xfe"),
    (b"function", b"\xff"),
    (b"acl", b"setuser", b"u", b"\xffrule"),
    (b"acl", b"setuser", b"u", b"(\xff"),
]


@pytest.mark.parametrize("call", QUOTING_CALLS, ids=repr)
def test_quoted_arguments_match_redis(raw, real_raw, call):
    assert_same(raw, real_raw, *call)


def test_c_text_stops_at_nul_and_limit():
    assert c_text(b"ab\0cd") == "ab"
    assert c_text(b"abcdef", 3) == "abc"
    assert c_text(b"a\0" + b"b" * 10, 5) == "a"
    assert c_text(b"\xff").encode("utf-8", "surrogateescape") == b"\xff"

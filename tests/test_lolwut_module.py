"""LOLWUT and MODULE, compared with redis-server: LOLWUT's art where it does not depend on
chance byte for byte, its shape where it does; MODULE as a server without modules answers
it, refused or not by enable-module-command."""
from __future__ import annotations

import re

import pytest

from differential import assert_same
from helpers import RawConnection, start_server

SAME_LOLWUT = [
    ("LOLWUT",), ("LOLWUT", "VERSION", "7"), ("LOLWUT", "VERSION", "4"),
    ("LOLWUT", "VERSION", "-1"), ("LOLWUT", "VERSION", "x"), ("LOLWUT", "VERSION"),
    ("LOLWUT", "foo"), ("LOLWUT", "VERSION", "4294967301", "20", "1", "1"),
    # Schotter's first two rows are never displaced: these draw without chance
    ("LOLWUT", "VERSION", "5", "66", "8", "2"), ("LOLWUT", "VERSION", "5", "10", "3", "1"),
    ("LOLWUT", "VERSION", "5", "7", "3", "2"), ("LOLWUT", "VERSION", "5", "0", "0", "0"),
    ("LOLWUT", "version", "5", "1000", "200", "1"), ("LOLWUT", "VERSION", "5", "511", "37", "2"),
    ("LOLWUT", "VERSION", "5", "17", "9", "2", "extra"), ("LOLWUT", "VERSION", "5", "x"),
    ("LOLWUT", "VERSION", "5", "1", "1", "x"), ("LOLWUT", "VERSION", "6", "1", "x"),
]


@pytest.mark.parametrize("args", SAME_LOLWUT, ids=" ".join)
def test_lolwut_matches_redis(raw, real_raw, args):
    assert_same(raw, real_raw, *args)


def test_lolwut_resp3_is_verbatim(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("HELLO", "3")
    assert_same(raw, real_raw, "LOLWUT", "VERSION", "5", "7", "3", "2")


def _text(conn: RawConnection, *args: str) -> str:
    reply = conn.execute(*args)
    return reply.split(b"\r\n", 1)[1][:-2].decode()


@pytest.mark.parametrize("args", [(), ("40", "10"), ("1", "1"), ("120", "30")])
def test_lolwut_6_skyline_has_redis_shape(raw, real_raw, args):
    """A grid of cells in Redis's four gray escapes, as many as asked, and its caption."""
    ours, theirs = (_text(conn, "LOLWUT", "VERSION", "6", *args) for conn in (raw, real_raw))
    shapes = []
    for text in (ours, theirs):
        *rows, caption1, caption2, end = text.split("\n")
        cells = [re.findall(r"\x1b\[([0-9;]+m) \x1b\[0m", row) for row in rows]
        assert all("".join("\x1b[%s \x1b[0m" % c for c in row) == line
                   for row, line in zip(cells, rows))
        assert {c for row in cells for c in row} <= {"0;30;40m", "0;90;100m", "0;37;47m",
                                                     "0;97;107m"}
        shapes.append(([len(row) for row in cells], caption1, caption2, end))
    assert shapes[0] == shapes[1]


def test_lolwut_5_schotter_has_redis_shape(raw, real_raw):
    """Rows displaced at random: the same canvas, in Braille, with the same caption."""
    texts = [_text(conn, "LOLWUT", "VERSION", "5") for conn in (raw, real_raw)]
    shapes = [[len(line) for line in text.split("\n")] for text in texts]
    assert shapes[0] == shapes[1]
    assert texts[0].split("\n")[-2:] == texts[1].split("\n")[-2:]
    assert all(0x2800 <= ord(ch) <= 0x28FF for ch in texts[0].split("\n")[0])


MODULE_CALLS = [
    ("MODULE", "LIST"), ("MODULE", "HELP"), ("MODULE", "LOAD", "/no/such/module.so"),
    ("MODULE", "LOAD", "/no/such/module.so", "arg"), ("MODULE", "LOADEX", "/no/such.so"),
    ("MODULE", "LOADEX", "/no/such.so", "CONFIG", "a", "b", "ARGS", "c"),
    ("MODULE", "LOADEX", "/no/such.so", "CONFIG", "a"), ("MODULE", "LOADEX", "/x", "bad"),
    ("MODULE", "UNLOAD", "nosuch"), ("MODULE", "NOSUCH"), ("MODULE", "LOAD"),
    ("MODULE", "LIST", "x"), ("MODULE", "UNLOAD", "a", "b"),
]


@pytest.mark.parametrize("args", MODULE_CALLS, ids=" ".join)
def test_module_refused_by_default(raw, real_raw, args):
    """enable-module-command is "no" by default: LOAD, LOADEX and UNLOAD are refused."""
    assert_same(raw, real_raw, *args)


@pytest.fixture(scope="module")
def module_servers():
    servers = [start_server(kind, ["--enable-module-command", "yes"])
               for kind in ("pyredis", "redis")]
    yield [RawConnection(server.port) for server in servers]
    for server in servers:
        server.stop()


@pytest.mark.parametrize("args", MODULE_CALLS, ids=" ".join)
def test_module_allowed_answers_as_a_server_without_modules(module_servers, args):
    assert_same(*module_servers, *args)

"""Differential testing helpers: parse raw RESP replies, and compare pyredis with the real
redis-server either byte for byte or with the order of unordered replies ignored."""
from __future__ import annotations

from typing import Any

from helpers import RawConnection

_AGGREGATES = {b"*": 1, b"~": 1, b">": 1, b"%": 2, b"|": 2}


def parse_reply(data: bytes) -> Any:
    """One RESP2/RESP3 reply as (type byte, value); aggregates hold lists of replies."""
    value, end = _parse(data, 0)
    assert end == len(data), data
    return value


def _parse(data: bytes, pos: int) -> tuple[Any, int]:
    end = data.index(b"\r\n", pos)
    kind, header = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    if kind in (b"$", b"=", b"!"):
        n = int(header)
        if n < 0:
            return (kind, None), pos
        return (kind, data[pos:pos + n]), pos + n + 2
    if kind in _AGGREGATES:
        n = int(header)
        items = []
        for _ in range(max(n, 0) * _AGGREGATES[kind]):
            item, pos = _parse(data, pos)
            items.append(item)
        return (kind, items if n >= 0 else None), pos
    return (kind, header), pos


def unordered(reply: Any) -> Any:
    """The reply with the elements of every aggregate sorted (for replies whose order is a
    hash table's: sets, SRANDMEMBER ...)."""
    kind, value = reply
    if isinstance(value, list):
        return kind, sorted((unordered(item) for item in value), key=repr)
    return reply


def shape(reply: Any) -> Any:
    """Only the reply's structure: types and lengths, not values (for random replies)."""
    kind, value = reply
    if isinstance(value, list):
        return kind, [shape(item) for item in value]
    return kind


def both(ours: RawConnection, real: RawConnection, *args: object) -> tuple[bytes, bytes]:
    return ours.execute(*args), real.execute(*args)


def assert_same(ours: RawConnection, real: RawConnection, *args: object,
                ordered: bool = True) -> bytes:
    """Run args on both servers; the replies must match byte for byte (ordered) or up to
    the order of aggregate elements. Returns pyredis's reply."""
    mine, theirs = both(ours, real, *args)
    if ordered:
        assert mine == theirs, (args, mine, theirs)
    else:
        assert unordered(parse_reply(mine)) == unordered(parse_reply(theirs)), \
            (args, mine, theirs)
    return mine


def assert_script_same(ours: RawConnection, real: RawConnection, script: list,
                       proto: int = 2) -> None:
    """Every call of script, in order, answers the same bytes on both servers (after
    HELLO proto)."""
    if proto == 3:
        both(ours, real, "HELLO", 3)
    for call in script:
        assert_same(ours, real, *call)

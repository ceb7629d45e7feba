"""String commands: GET/SET and their variants, counters, ranges, MGET/MSET and LCS.

Values are bytes. Redis keeps small canonical integers in an "int" encoding; here a string
is bytes and `string_encoding` tells OBJECT ENCODING what Redis would report. A string changed
in place (APPEND, SETRANGE and the bit commands) becomes a bytearray (Database.mutable_string),
Redis's "raw" encoding, that later appends grow in place.
"""
from __future__ import annotations

from typing import Final, Optional, TYPE_CHECKING, Union

from ..args import ArgReader, parse_int
from ..db import frozen_string, is_string
from ..errors import (DECREMENT_OVERFLOW, LCS_LEN_AND_IDX, LCS_NOT_STRINGS, LCS_OUT_OF_MEMORY,
                      LCS_TOO_LONG, NAN_OR_INFINITY, OFFSET_OUT_OF_RANGE, OVERFLOW, STRING_TOO_LONG,
                      RedisError, invalid_expire_time, not_float, syntax_error, wrong_arity)
from ..longdouble import ZERO, add_long_double, format_long_double, parse_long_double
from ..protocol.encode import OK, Reply
from ..sizes import EMBSTR_SIZE_LIMIT
from ..types import UnencodedString
from ..types.integers import INT64_MAX, INT64_MIN, is_int64
from . import command
from .getkeys import c_keyword

if TYPE_CHECKING:
    from ..client import Client

def string_encoding(value: "bytes | bytearray") -> bytes:
    """OBJECT ENCODING of a string as Redis's tryObjectEncoding decides it: a canonical
    64-bit integer is "int", other short strings "embstr", the rest "raw"; a string changed
    in place (a bytearray) is "raw" whatever it holds, as in Redis."""
    if type(value) is bytearray:
        return b"raw"
    if type(value) is not UnencodedString and is_int64(value):
        return b"int"
    return b"embstr" if len(value) <= EMBSTR_SIZE_LIMIT else b"raw"


def check_string_length(client: Client, size: int, extra: int) -> None:
    """Refuse to grow a string beyond proto-max-bulk-len (APPEND, SETRANGE)."""
    if size + extra > client.server.config.proto_max_bulk_len:
        raise RedisError(STRING_TOO_LONG)


# ---------------------------------------------------------------------------
# SET and GET with their options
# ---------------------------------------------------------------------------

_EXPIRE_OPTIONS: Final = (b"EX", b"PX", b"EXAT", b"PXAT")


def _parse_extended(argv: list[bytes], for_set: bool) -> tuple[set, Optional[bytes]]:
    """The options of SET (from argv[3]) or GETEX (from argv[2]) as Redis accepts them.

    Returns the set of option names seen and the raw expire argument. An option that
    conflicts with one already given is a syntax error, but repeating an option is not
    (the last EX value wins), exactly as Redis's parser goes.
    """
    flags: set = set()
    expire = None
    reader = ArgReader(argv, 3 if for_set else 2)
    while reader.more():
        option = reader.keyword()
        if for_set and option in (b"NX", b"XX"):
            if (b"XX" if option == b"NX" else b"NX") in flags:
                raise syntax_error()
        elif for_set and option == b"GET":
            pass
        elif option == (b"KEEPTTL" if for_set else b"PERSIST"):
            if flags.intersection(_EXPIRE_OPTIONS):
                raise syntax_error()
        elif option in _EXPIRE_OPTIONS and reader.more():
            if flags.intersection(_EXPIRE_OPTIONS + (b"KEEPTTL", b"PERSIST")) - {option}:
                raise syntax_error()
            expire = reader.next()
        else:
            raise syntax_error()
        flags.add(option)
    return flags, expire


def _expire_at(client: Client, raw: bytes, flags: set, name: str) -> int:
    """The absolute unix time in ms that an EX/PX/EXAT/PXAT argument asks for."""
    ms = parse_int(raw)
    seconds = b"EX" in flags or b"EXAT" in flags
    if ms <= 0 or (seconds and ms > INT64_MAX // 1000):
        raise invalid_expire_time(name)
    if seconds:
        ms *= 1000
    if b"EX" in flags or b"PX" in flags:
        ms += client.server.clock.ms()
        if ms > INT64_MAX:  # Redis's 64-bit sum would wrap around to a negative time
            raise invalid_expire_time(name)
    return ms


def _set_generic(client: Client, key: bytes, value: bytes, flags: set, expire: Optional[bytes],
                 name: str, ok_reply, abort_reply):
    """SET and its variants (SETNX, SETEX, PSETEX): Redis's order of checks and events."""
    db = client.db
    when = _expire_at(client, expire, flags, name) if expire is not None else None
    get = b"GET" in flags
    old = db.get_string(key) if get else None
    found = db.get_for_write(key) is not None
    if (b"NX" in flags and found) or (b"XX" in flags and not found):
        return old if get else abort_reply
    db.set(key, value, keep_ttl=b"KEEPTTL" in flags, expire_at=when)
    db.written(key, "$", "set")
    if when is not None:
        db.notify("g", "expire", key)
        # Replayed later, a relative time would mean another moment.
        client.server.propagation.rewrite([b"SET", key, value, b"PXAT", b"%d" % when])
    return old if get else ok_reply


@command("get")
def get(client: Client, argv: list[bytes]) -> Reply:
    return client.db.get_string(argv[1])


def _set_keys(argv: list[bytes]) -> list:
    """SET's key and its flags, which depend on GET (the key spec says variable_flags)."""
    if any(c_keyword(a) == b"get" for a in argv[3:]):
        return [(1, "RW access update")]
    return [(1, "OW update")]


@command("set", getkeys=_set_keys)
def set_(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) == 3:  # the common case, without options
        db = client.db
        db.set(argv[1], argv[2])
        db.written(argv[1], "$", "set")
        return OK
    flags, expire = _parse_extended(argv, for_set=True)
    reply = _set_generic(client, argv[1], argv[2], flags, expire, "set", OK, None)
    if b"GET" in flags and expire is None:
        # The replies of GET are the client's alone: replayed without it.
        client.server.propagation.rewrite(
            argv[:3] + [a for a in argv[3:] if c_keyword(a) != b"get"])
    return reply


@command("setnx")
def setnx(client: Client, argv: list[bytes]) -> Reply:
    return _set_generic(client, argv[1], argv[2], {b"NX"}, None, "setnx", 1, 0)


@command("setex")
def setex(client: Client, argv: list[bytes]) -> Reply:
    return _set_generic(client, argv[1], argv[3], {b"EX"}, argv[2], "setex", OK, None)


@command("psetex")
def psetex(client: Client, argv: list[bytes]) -> Reply:
    return _set_generic(client, argv[1], argv[3], {b"PX"}, argv[2], "psetex", OK, None)


@command("getex")
def getex(client: Client, argv: list[bytes]) -> Reply:
    flags, expire = _parse_extended(argv, for_set=False)
    db = client.db
    key = argv[1]
    value = db.get_string(key)
    if value is None:
        return None
    if expire is not None:
        when = _expire_at(client, expire, flags, "getex")
        propagation = client.server.propagation
        if (b"EXAT" in flags or b"PXAT" in flags) and when <= client.server.clock.ms():
            lazy = client.server.config.lazyfree_lazy_expire
            db.delete(key, lazy)  # an absolute time already past deletes the key
            db.written(key, "g", "del")
            propagation.rewrite([b"UNLINK" if lazy else b"DEL", key])
        else:
            db.set_expire(key, when)
            db.written(key, "g", "expire")
            propagation.rewrite([b"PEXPIREAT", key, b"%d" % when])
    elif b"PERSIST" in flags and db.persist(key):
        db.written(key, "g", "persist")
        client.server.propagation.rewrite([b"PERSIST", key])
    return value


@command("getdel")
def getdel(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    value = db.get_string(argv[1])
    lazy = client.server.config.lazyfree_lazy_user_del
    if value is not None and db.delete(argv[1], lazy):
        db.written(argv[1], "g", "del")
        client.server.propagation.rewrite([b"UNLINK" if lazy else b"DEL", argv[1]])
    return value


@command("getset")
def getset(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    old = db.get_string(argv[1])
    db.set(argv[1], argv[2])
    db.written(argv[1], "$", "set")
    client.server.propagation.rewrite([b"SET", argv[1], argv[2]])
    return old


# ---------------------------------------------------------------------------
# Several keys at once
# ---------------------------------------------------------------------------

@command("mget")
def mget(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    values = []
    for key in argv[1:]:
        value = db.get(key)
        values.append(frozen_string(value))  # other types read as nil
    return values


def _mset(client: Client, argv: list[bytes], name: str) -> None:
    if len(argv) % 2 == 0:
        raise wrong_arity(name)
    db = client.db
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        db.written(argv[i], "$", "set")


@command("mset")
def mset(client: Client, argv: list[bytes]) -> Reply:
    _mset(client, argv, "mset")
    return OK


@command("msetnx")
def msetnx(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) % 2 == 0:
        raise wrong_arity("msetnx")
    db = client.db
    if any(db.get_for_write(argv[i]) is not None for i in range(1, len(argv), 2)):
        return 0
    _mset(client, argv, "msetnx")
    return 1


# ---------------------------------------------------------------------------
# Editing a string
# ---------------------------------------------------------------------------

@command("append")
def append(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key, extra = argv[1], argv[2]
    value = db.get_string(key, write=True)
    if value is None:
        value = extra
        db.set(key, value)
    else:
        check_string_length(client, len(value), len(extra))
        value = db.mutable_string(key, value)
        value += extra   # in place: the bytearray over-allocates as it grows
    db.written(key, "$", "append")
    return len(value)


@command("strlen")
def strlen(client: Client, argv: list[bytes]) -> Reply:
    value = client.db.get_string(argv[1])
    return 0 if value is None else len(value)


@command("setrange")
def setrange(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key, patch = argv[1], argv[3]
    offset = parse_int(argv[2])
    if offset < 0:
        raise RedisError(OFFSET_OUT_OF_RANGE)
    value = db.get_string(key, write=True)
    if not patch:  # nothing to write: no key is created, no event
        return 0 if value is None else len(value)
    check_string_length(client, offset, len(patch))
    value = db.mutable_string(key, value)
    if len(value) < offset:  # zero padding up to offset
        value.extend(bytes(offset - len(value)))
    value[offset:offset + len(patch)] = patch
    db.written(key, "$", "setrange")
    return len(value)


def _getrange(client: Client, argv):
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = client.db.get_string(argv[1])
    if value is None:
        return b""
    size = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(size + start, 0)
    if end < 0:
        end = max(size + end, 0)
    end = min(end, size - 1)
    if start > end or size == 0:
        return b""
    return value[start:end + 1]


@command("getrange")
def getrange(client: Client, argv: list[bytes]) -> Reply:
    return _getrange(client, argv)


@command("substr")
def substr(client: Client, argv: list[bytes]) -> Reply:
    return _getrange(client, argv)


# ---------------------------------------------------------------------------
# Counters
# ---------------------------------------------------------------------------

def _incr_by(client: Client, key: bytes, delta: int) -> int:
    db = client.db
    value = db.get_string(key, write=True)
    result = (0 if value is None else parse_int(value)) + delta
    if not INT64_MIN <= result <= INT64_MAX:
        raise RedisError(OVERFLOW)
    if value is None:
        db.set(key, b"%d" % result)
    else:
        db.replace(key, b"%d" % result)  # a counter keeps its TTL
    db.written(key, "$", "incrby")
    return result


@command("incr")
def incr(client: Client, argv: list[bytes]) -> Reply:
    return _incr_by(client, argv[1], 1)


@command("decr")
def decr(client: Client, argv: list[bytes]) -> Reply:
    return _incr_by(client, argv[1], -1)


@command("incrby")
def incrby(client: Client, argv: list[bytes]) -> Reply:
    return _incr_by(client, argv[1], parse_int(argv[2]))


@command("decrby")
def decrby(client: Client, argv: list[bytes]) -> Reply:
    delta = parse_int(argv[2])
    if delta == INT64_MIN:  # its negation does not fit in 64 bits
        raise RedisError(DECREMENT_OVERFLOW)
    return _incr_by(client, argv[1], -delta)


@command("incrbyfloat")
def incrbyfloat(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    key = argv[1]
    current = db.get_string(key, write=True)
    value = ZERO if current is None else parse_long_double(current)
    increment = parse_long_double(argv[2])
    if value is None or increment is None:
        raise not_float()
    total = add_long_double(value, increment)
    if total is None:
        raise RedisError(NAN_OR_INFINITY)
    result = UnencodedString(format_long_double(total))
    if current is None:
        db.set(key, result)
    else:
        db.replace(key, result)  # keeps its TTL
    db.written(key, "$", "incrbyfloat")
    # Replayed, the sum of two floats could round otherwise: the result, TTL kept.
    client.server.propagation.rewrite([b"SET", key, bytes(result), b"KEEPTTL"])
    return result


# ---------------------------------------------------------------------------
# LCS
# ---------------------------------------------------------------------------

@command("lcs")
def lcs(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    a, b = db.get(argv[1]), db.get(argv[2])
    if (a is not None and not is_string(a)) or (b is not None and not is_string(b)):
        raise RedisError(LCS_NOT_STRINGS)
    a, b = a or b"", b or b""
    want_len = want_idx = with_match_len = False
    min_match_len = 0
    reader = ArgReader(argv, 3)
    while reader.more():
        option = reader.keyword()
        if option == b"IDX":
            want_idx = True
        elif option == b"LEN":
            want_len = True
        elif option == b"WITHMATCHLEN":
            with_match_len = True
        elif option == b"MINMATCHLEN" and reader.more():
            min_match_len = max(parse_int(reader.next()), 0)
        else:
            raise syntax_error()
    if want_len and want_idx:
        raise RedisError(LCS_LEN_AND_IDX)
    if len(a) >= 2**32 - 2 or len(b) >= 2**32 - 2:
        raise RedisError(LCS_TOO_LONG)
    # Redis refuses when its (len(a)+1) x (len(b)+1) table of 32-bit cells would be too big.
    if (len(a) + 1) * (len(b) + 1) * 4 > client.server.config.proto_max_bulk_len:
        raise RedisError(LCS_OUT_OF_MEMORY)
    table = LcsTable(a, b)
    if want_len:
        return table.length(len(a), len(b))
    common, matches = table.walk_back(min_match_len, with_match_len)
    if want_idx:
        return {b"matches": matches, b"len": table.length(len(a), len(b))}
    return common


# _ONE_WHERE[c] turns a byte string into binary digits: "1" for the byte c, "0" elsewhere.
_ONE_WHERE: Final = [bytes(0x31 if i == c else 0x30 for i in range(256)) for c in range(256)]


class LcsTable:
    """The LCS lengths of all prefixes of a and b, one bit vector per prefix of a.

    Row i has bit j clear when LCS(a[:i], b[:j+1]) is one more than LCS(a[:i], b[:j])
    (Hyyrö's bit-parallel recurrence), so a row costs a few big-int operations instead of
    len(b) Python steps, and LCS(i, j) is j minus the set bits below j. Rows are kept as
    little-endian bytes so that walking back through the table tests a bit in O(1).
    """

    def __init__(self, a: "bytes | bytearray", b: "bytes | bytearray") -> None:
        self.a, self.b = a, b
        size = len(b) // 8 + 1
        full = (1 << len(b)) - 1
        # For each byte value, the bit mask of its positions in b, built through a string
        # of binary digits ('1' where b has that byte) so it costs O(len(b)) per value.
        positions: dict[int, int] = {}
        for byte in set(a).intersection(b):
            digits = b.translate(_ONE_WHERE[byte])
            positions[byte] = int(digits[::-1], 2)
        row = full
        self.rows = [row.to_bytes(size, "little")]
        for byte in a:
            matched = row & positions.get(byte, 0)
            row = ((row + matched) | (row - matched)) & full
            self.rows.append(row.to_bytes(size, "little"))

    def length(self, i: int, j: int) -> int:
        """LCS(a[:i], b[:j])."""
        row = self.rows[i]
        whole, rest = divmod(j, 8)
        ones = int.from_bytes(row[:whole], "little").bit_count()
        if rest:
            ones += (row[whole] & ((1 << rest) - 1)).bit_count()
        return j - ones

    def _gains_at(self, i: int, j: int) -> int:
        """LCS(a[:i], b[:j]) - LCS(a[:i], b[:j-1]): 0 or 1."""
        return 1 - (self.rows[i][(j - 1) >> 3] >> ((j - 1) & 7) & 1)

    def walk_back(self, min_match_len: int, with_match_len: bool) -> tuple[bytes, list]:
        """The common subsequence and its matching ranges, walking back from the ends of
        both strings the way Redis does (on a tie it moves back in b), so that the ranges
        come out in Redis's order: last match first."""
        a, b = self.a, self.b
        i, j = len(a), len(b)
        common = bytearray()
        matches = []
        a_start = a_end = b_start = b_end = -1   # -1: no range open
        # LCS(i, j) - LCS(i-1, j) when known: kept up to date while moving back in b,
        # recomputed (a prefix popcount) only after moving back in a.
        above: Optional[int] = None
        while i > 0 and j > 0:
            close = False
            if a[i - 1] == b[j - 1]:
                common.append(a[i - 1])
                if a_start < 0:
                    a_end, b_end = i - 1, j - 1
                a_start, b_start = i - 1, j - 1
                close = a_start == 0 or b_start == 0
                i -= 1
                j -= 1
                above = None
            else:
                # Redis moves back in a when LCS(i-1, j) > LCS(i, j-1), that is when
                # moving back in b loses a match and moving back in a does not.
                left = self._gains_at(i, j)
                if left and above is None:
                    above = self.length(i, j) - self.length(i - 1, j)
                if left and above == 0:
                    i -= 1
                    above = None
                else:
                    if above is not None:
                        above += self._gains_at(i - 1, j) - left
                    j -= 1
                close = a_start >= 0
            if close:
                size = a_end - a_start + 1
                if size >= min_match_len:
                    match: list[Union[list[int], int]] = [[a_start, a_end], [b_start, b_end]]
                    if with_match_len:
                        match.append(size)
                    matches.append(match)
                a_start = -1
        common.reverse()
        return bytes(common), matches

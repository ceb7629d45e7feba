"""The reply wrappers: subclasses of the builtin types that tell the encoder (encode.py)
which RESP type a value is sent as. They stay a Python module of their own: the compiled
encoder dispatches on them, and mypyc compiles no subclass of a builtin type."""
from __future__ import annotations


class SimpleString(bytes):
    """A status reply: +OK."""


class Raw(bytes):
    """Bytes already encoded in RESP, written as they are (pre-encoded hot-path replies)."""


class Verbatim(bytes):
    """RESP3 verbatim string (txt), a bulk string in RESP2."""


class Push(list):
    """RESP3 push frame (>), an array in RESP2."""


class Double(float):
    """A double that RESP2 sends as a bulk string (ZSCORE ...) and RESP3 as ','."""


class BigNumber(int):
    """RESP3 big number, an integer in RESP2 (no 7.0 command replies one; DEBUG PROTOCOL
    does)."""


class Attribute(dict):
    """RESP3 attribute map, dropped in RESP2."""


class PairMap(list):
    """A map given as (key, value) pairs, for replies whose keys may repeat (XREAD naming
    one stream twice): a RESP3 map, a flat array in RESP2, as dicts are."""


class OrderedSet(list):
    """A RESP3 set (~) whose elements keep their order (an array in RESP2): for replies
    Redis builds as sets in a fixed order, like COMMAND INFO's flags."""


class NullArray:
    """The RESP2 null array (*-1), a null in RESP3 (BLPOP timeouts, EXEC aborted by WATCH)."""

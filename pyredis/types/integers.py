"""Redis's 64-bit integers written as strings: how request lengths, integer arguments,
config values and the "int" encoding of strings and intsets are read. Compiled with the
request path (INCR and every integer argument read through it)."""
from __future__ import annotations

from typing import Final, Optional

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
# The most common numbers (counts, lengths, INCR's first values) as clients write them: one
# dict lookup reads them, where int() is a generic call (in the compiled build four times the
# lookup's cost, twice in pure Python). 1,024 of them hold about 100 KB.
_SMALL_NUMBERS: Final = {b"%d" % i: i for i in range(1024)}


def string2ll(raw: "bytes | bytearray") -> Optional[int]:
    """Redis's string2ll: a strict base-10 64-bit integer (no spaces, no '+', no leading
    zeros, no "-0"), else None. Request lengths, integer arguments, config values and the
    "int" encoding of strings and intsets all read numbers this way."""
    if type(raw) is bytes:
        small = _SMALL_NUMBERS.get(raw)
        if small is not None:
            return small
    # bytes.isdigit() is true for ASCII digits only.
    if raw.isdigit() and (len(raw) == 1 or raw[0] != 0x30) and len(raw) < 19:
        return int(raw)  # fast path: small positive canonical numbers
    if not 0 < len(raw) <= 20:
        return None
    digits = raw[1:] if raw[0] == 0x2D else raw
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == 0x30) or raw == b"-0":
        return None
    value = int(raw)
    return value if INT64_MIN <= value <= INT64_MAX else None


def is_int64(raw: "bytes | bytearray") -> bool:
    """Whether raw is a canonical 64-bit integer (what an intset holds, and what a string
    stores as an "int")."""
    return string2ll(raw) is not None

"""Redis's own key finders for the commands whose key specs cannot always tell.

Redis reads a command's keys from its key specs first, and turns to the command's getkeys
procedure when a spec is incomplete, unknown or does not fit the arguments (a numkeys that
string2ll refuses, a count past the end). These procedures parse less strictly than the
specs: a numkeys is read with C's atoi ("2x" counts as 2), and the keys they find carry no
flags unless the procedure names them. COMMAND GETKEYS shows the difference, so pyredis
keeps Redis's procedures as they are, for every command that has one in Redis's table
(whether pyredis runs the command or not). A command module may still bind its own with
`@command(name, getkeys=...)` (SET, BITFIELD, SORT: flags that depend on the arguments).
"""
from __future__ import annotations

import re
from typing import Callable, Union

# A key position, or (position, "flags as words") when the procedure knows the flags.
KeyRef = Union[int, tuple[int, str]]
GetKeys = Callable[[list], list[KeyRef]]

_LEADING_INTEGER = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def c_keyword(arg: bytes) -> bytes:
    """An argument as Redis's strcasecmp compares it with a keyword: a C string, so up to
    a NUL byte (lower-cased here)."""
    end = arg.find(b"\0")
    return (arg if end < 0 else arg[:end]).lower()


def atoi(data: bytes) -> int:
    """C's atoi as glibc has it: (int) strtol(data, NULL, 10), so leading spaces and a sign
    are read, whatever follows the digits is ignored, and out-of-range values saturate to
    a long before being cut to 32 bits."""
    m = _LEADING_INTEGER.match(data)
    if not m:
        return 0
    value = max(-2**63, min(2**63 - 1, int(m.group(1))))
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def numkeys_keys(count_index: int, store_index: int = 0) -> GetKeys:
    """Redis's genericGetKeys: `numkeys` at count_index, the keys right after it, then the
    destination key (when store_index is not 0); nothing when the count does not fit."""
    first = count_index + 1

    def getkeys(argv: list) -> list[KeyRef]:
        count = atoi(argv[count_index])
        if count < 1 or count > len(argv) - first:
            return []
        keys: list[KeyRef] = list(range(first, first + count))
        if store_index:
            keys.append(store_index)
        return keys
    return getkeys


def _migrate_keys(argv: list) -> list[KeyRef]:
    """MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw]
    [KEYS key ...]: the one key, or those after KEYS when the key argument is empty."""
    first, count = 3, 1
    skips = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}
    i = 6
    while i < len(argv):
        word = c_keyword(argv[i])
        if word == b"keys":
            if argv[3]:
                count = 0       # a syntax error, left for MIGRATE itself to report
            else:
                first, count = i + 1, len(argv) - i - 1
            break
        i += skips.get(word, 0) + 1
    return [(pos, "RW access delete") for pos in range(first, first + count)]


def _georadius_keys(argv: list) -> list[KeyRef]:
    """GEORADIUS(BYMEMBER): the key, and the last STORE or STOREDIST destination."""
    stored = None
    i = 5
    while i < len(argv):
        if c_keyword(argv[i]) in (b"store", b"storedist") and i + 1 < len(argv):
            stored = i + 1
            i += 1
        i += 1
    return [1] if stored is None else [1, stored]


def _xread_keys(argv: list) -> list[KeyRef]:
    """XREAD/XREADGROUP: the first half of what follows STREAMS, found by stepping over the
    options before it; nothing when an unknown option comes first or the count is odd."""
    skips = {b"block": 1, b"count": 1, b"group": 2, b"noack": 0}
    i = 1
    while i < len(argv):
        word = c_keyword(argv[i])
        if word == b"streams":
            count = len(argv) - i - 1
            if not count or count % 2:
                return []
            return list(range(i + 1, i + 1 + count // 2))
        if word not in skips:
            return []
        i += skips[word] + 1
    return []


# The commands that have a getkeys procedure in Redis's command table, by full name (but
# SET, BITFIELD, SORT and SORT_RO, whose modules bind theirs).
GETKEYS: dict[str, GetKeys] = {
    "eval": numkeys_keys(2), "evalsha": numkeys_keys(2), "eval_ro": numkeys_keys(2),
    "evalsha_ro": numkeys_keys(2), "fcall": numkeys_keys(2), "fcall_ro": numkeys_keys(2),
    "sintercard": numkeys_keys(1), "lmpop": numkeys_keys(1), "blmpop": numkeys_keys(2),
    "zmpop": numkeys_keys(1), "bzmpop": numkeys_keys(2),
    "zunion": numkeys_keys(1), "zinter": numkeys_keys(1), "zdiff": numkeys_keys(1),
    "zintercard": numkeys_keys(1), "zunionstore": numkeys_keys(2, 1),
    "zinterstore": numkeys_keys(2, 1), "zdiffstore": numkeys_keys(2, 1),
    "migrate": _migrate_keys,
    "georadius": _georadius_keys, "georadiusbymember": _georadius_keys,
    "xread": _xread_keys, "xreadgroup": _xread_keys,
}

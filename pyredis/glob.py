"""Redis's glob-style pattern matching (its stringmatchlen), compiled to regular expressions.

Used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and the rest. Redis's rules differ from
fnmatch's: backslash escapes, `[^...]` negation, reversed ranges, an unterminated class.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable


def _literal(c: int) -> bytes:
    return re.escape(bytes([c]))


def _class(pattern: bytes, i: int) -> tuple[bytes, int]:
    """Translate the class starting after '[' at index i; return (regex, next index)."""
    n = len(pattern)
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    members: list[bytes] = []
    while i < n:
        c = pattern[i]
        if c == 0x5C and i + 1 < n:          # '\' escapes the next byte
            members.append(_literal(pattern[i + 1]))
            i += 2
        elif c == 0x5D:                       # ']' ends the class
            i += 1
            break
        elif i + 2 < n and pattern[i + 1] == 0x2D:   # a range 'a-z' (reversed ones swapped)
            start, end = sorted((c, pattern[i + 2]))
            members.append(_literal(start) + b"-" + _literal(end))
            i += 3
        else:
            members.append(_literal(c))
            i += 1
    body = b"".join(members)
    if not body:
        return (b"[\\x00-\\xff]" if negate else b"(?!)"), i
    return b"[" + (b"^" if negate else b"") + body + b"]", i


@lru_cache(maxsize=1024)
def _compile(pattern: bytes, nocase: bool) -> Callable[[bytes], object]:
    out: list[bytes] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x2A:                         # '*'
            while i < n and pattern[i] == 0x2A:
                i += 1
            out.append(b".*")
            continue
        if c == 0x3F:                         # '?'
            out.append(b".")
        elif c == 0x5B:                       # '['
            regex, i = _class(pattern, i + 1)
            out.append(regex)
            continue
        elif c == 0x5C and i + 1 < n:         # '\'
            i += 1
            out.append(_literal(pattern[i]))
        else:
            out.append(_literal(c))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(b"".join(out) + b"\\Z", flags).match


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """True when `subject` matches the Redis glob `pattern`."""
    if pattern == b"*":
        return True
    return _compile(pattern, nocase)(subject) is not None


def glob_matcher(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate for one pattern, compiled once (for loops over many keys)."""
    if pattern == b"*":
        return lambda subject: True
    match = _compile(pattern, nocase)
    return lambda subject: match(subject) is not None

"""Redis's glob-style pattern matching (its stringmatchlen), compiled to regular expressions.

Used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and the rest. Redis's rules differ from
fnmatch's: backslash escapes, `[^...]` negation, reversed ranges, an unterminated class
that runs to the end of the pattern, ranges compared as C's signed chars, and an empty
subject that only the empty pattern matches (not even `*`).

Every token but `*` matches exactly one byte, so a pattern is a list of one-byte classes
split by stars. Matching places the segments between stars leftmost-first, which is exact
for fixed-length segments and keeps `a*a*a*...b` linear instead of exponential.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Optional

ALL_BYTES = frozenset(range(256))
STAR = None   # the token for '*'


def _signed(c: int) -> int:
    """A byte as the signed char Redis compares in ranges."""
    return c - 256 if c >= 128 else c


def _lower(c: int) -> int:
    """C's tolower in the C locale (the value may be a negative signed char)."""
    return c + 32 if 65 <= c <= 90 else c


def _literal(c: int, nocase: bool) -> frozenset:
    if nocase:
        low = _lower(c)
        return frozenset(b for b in range(256) if _lower(b) == low)
    return frozenset((c,))


def _range(first: int, last: int, nocase: bool) -> frozenset:
    start, end = sorted((_signed(first), _signed(last)))
    if nocase:
        start, end = _lower(start), _lower(end)
        return frozenset(b for b in range(256) if start <= _lower(_signed(b)) <= end)
    return frozenset(b for b in range(256) if start <= _signed(b) <= end)


def _class(pattern: bytes, i: int, nocase: bool) -> tuple[frozenset, int]:
    """The bytes matched by the class starting after '[' at index i, and the next index."""
    n = len(pattern)
    negate = i < n and pattern[i] == 0x5E   # '^'
    if negate:
        i += 1
    members: set[int] = set()
    while i < n:
        c = pattern[i]
        if c == 0x5C and i + 1 < n:          # '\' escapes the next byte (case kept as is)
            members.add(pattern[i + 1])
            i += 2
        elif c == 0x5D:                       # ']' ends the class
            i += 1
            break
        elif i + 2 < n and pattern[i + 1] == 0x2D:   # a range 'a-z' ('z-a' is the same)
            members |= _range(c, pattern[i + 2], nocase)
            i += 3
        else:
            members |= _literal(c, nocase)
            i += 1
    return (ALL_BYTES - members if negate else frozenset(members)), i


def _tokens(pattern: bytes, nocase: bool) -> list[Optional[frozenset]]:
    """The pattern as STAR or the set of bytes each position matches."""
    tokens: list[Optional[frozenset]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x2A:                         # '*'
            if not tokens or tokens[-1] is not STAR:
                tokens.append(STAR)
            i += 1
        elif c == 0x3F:                       # '?'
            tokens.append(ALL_BYTES)
            i += 1
        elif c == 0x5B:                       # '['
            members, i = _class(pattern, i + 1, nocase)
            tokens.append(members)
        elif c == 0x5C and i + 1 < n:         # '\'
            tokens.append(_literal(pattern[i + 1], nocase))
            i += 2
        else:
            tokens.append(_literal(c, nocase))
            i += 1
    return tokens


def _regex_class(members: frozenset) -> bytes:
    if members == ALL_BYTES:
        return b"."
    if not members:
        return b"(?!)"
    if len(members) == 1:
        return re.escape(bytes(members))
    parts = []
    ordered = sorted(members)
    start = prev = ordered[0]
    for b in ordered[1:] + [None]:
        if b is not None and b == prev + 1:
            prev = b
            continue
        parts.append(b"\\x%02x" % start if start == prev else b"\\x%02x-\\x%02x" % (start, prev))
        if b is not None:
            start = prev = b
    return b"[" + b"".join(parts) + b"]"


def _segment(tokens: list) -> re.Pattern:
    return re.compile(b"".join(_regex_class(t) for t in tokens), re.DOTALL)


@lru_cache(maxsize=1024)
def _compile(pattern: bytes, nocase: bool) -> Callable[[bytes], bool]:
    tokens = _tokens(pattern, nocase)
    segments: list[list] = [[]]
    for token in tokens:
        if token is STAR:
            segments.append([])
        else:
            segments[-1].append(token)
    if len(segments) <= 2:
        # At most one star: a single regex, whose one `.*` backtracks linearly.
        whole = re.compile(b".*".join(b"".join(_regex_class(t) for t in segment)
                                      for segment in segments), re.DOTALL).fullmatch
        return lambda subject: bool(subject) and whole(subject) is not None

    head, tail = _segment(segments[0]), _segment(segments[-1])
    middles = [_segment(s).search for s in segments[1:-1] if s]
    head_len, tail_len = len(segments[0]), len(segments[-1])
    min_len = sum(len(s) for s in segments)

    def match(subject: bytes) -> bool:
        n = len(subject)
        if not subject or n < min_len:
            return False
        end = n - tail_len
        if head.match(subject) is None or tail.fullmatch(subject, end) is None:
            return False
        pos = head_len
        for search in middles:
            found = search(subject, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True
    return match


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """True when `subject` matches the Redis glob `pattern` (stringmatchlen exactly: note
    that b"*" does not match b""; KEYS and SCAN treat a lone "*" as "everything" first)."""
    if not subject:
        return not pattern
    return _compile(pattern, nocase)(subject)


def glob_matcher(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate for one pattern, compiled once (for loops over many keys)."""
    if not pattern:
        return lambda subject: not subject
    return _compile(pattern, nocase)

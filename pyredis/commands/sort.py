"""SORT and SORT_RO: sort a list, set or sorted set, by its elements or by the values of other
keys (BY pattern, string keys or `key->field` hash fields; a pattern without '*' skips the
sort), fetch other keys per element (GET pattern, `#` for the element), LIMIT, ASC/DESC,
ALPHA, and STORE the result as a list."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

from ..args import ArgReader, strtod
from ..db import frozen_string
from ..errors import (SORT_BY_DENIED, SORT_GET_DENIED, SORT_NOT_DOUBLE, RedisError,
                      WrongTypeError, syntax_error)
from ..protocol.encode import Reply
from ..types import type_name
from ..types.list import ListValue
from ..types.set import SetValue
from ..types.zset import ZSetValue
from . import TABLE, command
from .getkeys import c_keyword
from .sets import store_or_delete

if TYPE_CHECKING:
    from ..client import Client
    from ..db import Database


def lookup_by_pattern(db: Database, pattern: bytes, element: bytes) -> Optional[bytes]:
    """The value a BY/GET pattern names for one element (Redis's lookupKeyByPattern): '#' is
    the element itself; the first '*' is replaced by the element; `key->field` reads a hash
    field. None when the pattern has no '*' or the key or field is missing or of another
    type."""
    if pattern == b"#":
        return element
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2:]
        pattern = pattern[:arrow]
    value = db.get(pattern[:star] + element + pattern[star + 1:])
    if value is None:
        return None
    if field is not None:
        return value.get(field) if type_name(value) == b"hash" else None
    return frozen_string(value)


def _sort_score(raw: bytes) -> Optional[float]:
    """An element (or BY value) as a number, as SORT reads it with strtod (up to a NUL byte);
    None when it is not a double."""
    text = raw.split(b"\0", 1)[0]
    value, end, erange = strtod(text)
    if end != len(text) or erange or math.isnan(value):
        return None
    return value


def _sort_keys(argv: list[bytes]) -> list:
    """COMMAND GETKEYS: the sorted key, and the last STORE destination (Redis's
    sortGetKeys, which skips the arguments of LIMIT, GET and BY)."""
    keys: list = [(1, "RO access")]
    store = None
    i = 2
    while i < len(argv):
        option = c_keyword(argv[i])
        if option == b"limit":
            i += 2
        elif option in (b"get", b"by"):
            i += 1
        elif option == b"store" and i + 1 < len(argv):
            store = i + 1
        i += 1
    if store is not None:
        keys.append((store, "OW update"))
    return keys


def may_read_any_key(client: Client, argv: list[bytes], readonly: bool) -> bool:
    """BY and GET patterns read keys the ACL cannot see in argv: they need a user that may
    read every key."""
    user = client.user
    return user.unrestricted or user.may_read_any_key(TABLE["sort_ro" if readonly else "sort"],
                                                      argv)


def _sort(client: Client, argv: list[bytes], readonly: bool):
    desc = alpha = dontsort = False
    offset, count = 0, -1
    by: Optional[bytes] = None
    store: Optional[bytes] = None
    gets: list[bytes] = []
    reader = ArgReader(argv, 2)
    while reader.more():
        option = reader.keyword()
        left = reader.remaining()
        if option == b"ASC":
            desc = False
        elif option == b"DESC":
            desc = True
        elif option == b"ALPHA":
            alpha = True
        elif option == b"LIMIT" and left >= 2:
            offset, count = reader.next_int(), reader.next_int()
        elif option == b"STORE" and not readonly and left >= 1:
            store = reader.next()
        elif option == b"BY" and left >= 1:
            by = reader.next()
            if b"*" not in by:   # a constant BY key: nothing to sort by (for good, as Redis)
                dontsort = True
            elif not may_read_any_key(client, argv, readonly):
                raise RedisError(SORT_BY_DENIED)
        elif option == b"GET" and left >= 1:
            if not may_read_any_key(client, argv, readonly):
                raise RedisError(SORT_GET_DENIED)
            gets.append(reader.next())
        else:
            raise syntax_error()

    db = client.db
    value = db.get(argv[1])
    if value is None:
        value = ListValue()
    elif type(value) not in (ListValue, SetValue, ZSetValue):
        raise WrongTypeError()
    if dontsort and type(value) is SetValue and (store is not None or client.sock is None):
        # A set has no order of its own: stored or scripted results are sorted anyway, so
        # they do not depend on its hash table (a script's client has no socket).
        dontsort, alpha, by = False, True, None
    if type(value) is ZSetValue:
        value.to_skiplist()     # as Redis, which sorts the skiplist encoding

    size = len(value)
    start = min(max(offset, 0), size)
    count = min(max(count, -1), size)
    end = size - 1 if count < 0 else start + count - 1
    if start >= size:
        start, end = size - 1, size - 2
    end = min(end, size - 1)

    if dontsort and type(value) is not SetValue:
        # Lists and sorted sets keep their own order (reversed by DESC).
        ordered = list(reversed(value)) if desc and type(value) is ListValue else (
            [m for _, m in value.slice(0, size, reverse=True)] if desc else list(value))
        elements = ordered[start:end + 1]
    else:
        elements = list(value.scores) if type(value) is ZSetValue else list(value)
        if not dontsort:
            elements = _sorted(db, elements, by, alpha, desc)
        elements = elements[start:end + 1]

    if gets:
        results = [lookup_by_pattern(db, pattern, element)
                   for element in elements for pattern in gets]
    else:
        results = list(elements)
    if store is None:
        return results
    stored = ListValue(b"" if item is None else item for item in results)
    return store_or_delete(client, store, stored, "l", "sortstore", changes=len(stored))


def _sorted(db, elements: list[bytes], by: Optional[bytes], alpha: bool,
            desc: bool) -> list[bytes]:
    """elements in SORT's order: numeric (ties by the element's bytes) or ALPHA, from the
    elements themselves or from what BY names for them."""
    if alpha:
        if by is None:
            return sorted(elements, reverse=desc)
        weights = {e: lookup_by_pattern(db, by, e) for e in elements}
        # Elements whose BY key is missing come first.
        return sorted(elements, reverse=desc,
                      key=lambda e: (weights[e] is not None, weights[e] or b""))
    keyed = []
    for element in elements:
        source = element if by is None else lookup_by_pattern(db, by, element)
        score = 0.0 if source is None else _sort_score(source)
        if score is None:
            raise RedisError(SORT_NOT_DOUBLE)
        keyed.append((score, element))
    keyed.sort(reverse=desc)
    return [element for _, element in keyed]


@command("sort", getkeys=_sort_keys)
def sort(client: Client, argv: list[bytes]) -> Reply:
    return _sort(client, argv, readonly=False)


@command("sort_ro", getkeys=lambda argv: [(1, "RO access")])
def sort_ro(client: Client, argv: list[bytes]) -> Reply:
    return _sort(client, argv, readonly=True)

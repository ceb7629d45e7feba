"""List commands, blocking ones included (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP)."""
from __future__ import annotations

from typing import Final, Optional, TYPE_CHECKING

from .. import blocking
from ..args import ArgReader, parse_int
from ..errors import (COUNT_NOT_POSITIVE, INDEX_OUT_OF_RANGE, LPOS_RANK_ZERO, MUST_BE_POSITIVE,
                      NEGATIVE_COUNT, NEGATIVE_MAXLEN, NO_SUCH_KEY, NUMKEYS_NOT_POSITIVE,
                      RedisError, WrongTypeError, syntax_error, wrong_arity)
from ..protocol.encode import NO_REPLY, NULL_ARRAY, OK, Reply
from ..types.list import ListValue
from . import command

if TYPE_CHECKING:
    from ..client import Client
    from ..db import Database


def _lookup(client: Client, key: bytes, write: bool = False) -> Optional[ListValue]:
    return client.db.get_typed(key, ListValue, write)


def _side(raw: bytes) -> bool:
    """LEFT or RIGHT (any case) as `left`; anything else is a syntax error."""
    word = raw.lower()
    if word == b"left":
        return True
    if word == b"right":
        return False
    raise syntax_error()


def _removed(db, key: bytes, lst: ListValue, left: bool, count: int) -> None:
    """After popping `count` elements: events, deletion of an emptied list, the write
    (Redis's listElementsRemoved)."""
    db.elements_removed(key, lst, "l", "lpop" if left else "rpop", count)


def _pop_many(lst: ListValue, left: bool, count: int) -> list[bytes]:
    take = lst.popleft if left else lst.pop
    return [take() for _ in range(min(count, len(lst)))]


def _normalize_range(start: int, end: int, n: int) -> Optional[tuple[int, int]]:
    """Redis's handling of negative and out-of-range LRANGE/LTRIM indexes: (start, end)
    inclusive within the list, or None for an empty range."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    return start, min(end, n - 1)


# -- pushes -----------------------------------------------------------------------------------

def _push(client: Client, argv, left: bool, only_existing: bool) -> int:
    db = client.db
    key = argv[1]
    lst = _lookup(client, key, write=True)
    created = lst is None
    if lst is None:
        if only_existing:
            return 0
        lst = ListValue()
    if left:
        lst.extendleft(argv[2:])
    else:
        lst.extend(argv[2:])
    if created:
        db.set(key, lst)
    db.written(key, "l", "lpush" if left else "rpush", len(argv) - 2)
    return len(lst)


@command("lpush")
def lpush(client: Client, argv: list[bytes]) -> Reply:
    return _push(client, argv, True, False)


@command("rpush")
def rpush(client: Client, argv: list[bytes]) -> Reply:
    return _push(client, argv, False, False)


@command("lpushx")
def lpushx(client: Client, argv: list[bytes]) -> Reply:
    return _push(client, argv, True, True)


@command("rpushx")
def rpushx(client: Client, argv: list[bytes]) -> Reply:
    return _push(client, argv, False, True)


# -- pops -------------------------------------------------------------------------------------

def _pop(client: Client, argv, left: bool):
    if len(argv) > 3:
        raise wrong_arity(argv[0].decode(errors="surrogateescape").lower())
    count = None
    if len(argv) == 3:
        count = parse_int(argv[2], MUST_BE_POSITIVE)
        if count < 0:
            raise RedisError(MUST_BE_POSITIVE)
    lst = _lookup(client, argv[1], write=True)
    if lst is None:
        return None if count is None else NULL_ARRAY
    if count is None:
        value = lst.popleft() if left else lst.pop()
        _removed(client.db, argv[1], lst, left, 1)
        return value
    if count == 0:
        return []
    items = _pop_many(lst, left, count)
    _removed(client.db, argv[1], lst, left, len(items))
    return items


@command("lpop")
def lpop(client: Client, argv: list[bytes]) -> Reply:
    return _pop(client, argv, True)


@command("rpop")
def rpop(client: Client, argv: list[bytes]) -> Reply:
    return _pop(client, argv, False)


def _pop_argv(key: bytes, left: bool, count: Optional[int] = None) -> list[bytes]:
    """The deterministic form of a pop from key: LPOP/RPOP, with a count if given."""
    argv = [b"LPOP" if left else b"RPOP", key]
    if count is not None:
        argv.append(b"%d" % count)
    return argv


def _pop_with_key(client: Client, db: Database, key: bytes, lst: ListValue, left: bool,
                  count: int, served: bool = False) -> list:
    """LMPOP's reply, [key, [elements]], popping them (Redis's listPopRangeAndReplyWithKey):
    propagated as LPOP/RPOP with the count taken, in place of the command or, for a
    blocked client served, as an effect of its own."""
    propagation = client.server.propagation
    if propagation.active:
        argv = _pop_argv(key, left, min(count, len(lst)))
        if served:
            propagation.also(db.index, argv)
        else:
            propagation.rewrite(argv)
    items = _pop_many(lst, left, count)
    _removed(db, key, lst, left, len(items))
    return [key, items]


def _parse_mpop(argv, numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """LMPOP/BLMPOP arguments after the timeout: numkeys key... LEFT|RIGHT [COUNT n]."""
    numkeys = parse_int(argv[numkeys_index], NUMKEYS_NOT_POSITIVE)
    if numkeys < 1:
        raise RedisError(NUMKEYS_NOT_POSITIVE)
    where_index = numkeys_index + numkeys + 1
    if where_index >= len(argv):
        raise syntax_error()
    left = _side(argv[where_index])
    count = None
    reader = ArgReader(argv, where_index + 1)
    while reader.more():
        if count is None and reader.remaining() > 1 and reader.keyword() == b"COUNT":
            count = reader.next_int(COUNT_NOT_POSITIVE, minimum=1)
        else:
            raise syntax_error()
    return argv[numkeys_index + 1:where_index], left, count or 1


@command("lmpop")
def lmpop(client: Client, argv: list[bytes]) -> Reply:
    keys, left, count = _parse_mpop(argv, 1)
    for key in keys:
        lst = _lookup(client, key, write=True)
        if lst:
            return _pop_with_key(client, client.db, key, lst, left, count)
    return NULL_ARRAY


# -- reading ----------------------------------------------------------------------------------

@command("llen")
def llen(client: Client, argv: list[bytes]) -> Reply:
    lst = _lookup(client, argv[1])
    return len(lst) if lst is not None else 0


@command("lrange")
def lrange(client: Client, argv: list[bytes]) -> Reply:
    start, end = parse_int(argv[2]), parse_int(argv[3])
    lst = _lookup(client, argv[1])
    if lst is None:
        return []
    bounds = _normalize_range(start, end, len(lst))
    return lst.range(*bounds) if bounds else []


@command("lindex")
def lindex(client: Client, argv: list[bytes]) -> Reply:
    lst = _lookup(client, argv[1])
    if lst is None:
        return None
    index = parse_int(argv[2])
    if index < 0:
        index += len(lst)
    return lst[index] if 0 <= index < len(lst) else None


@command("lpos")
def lpos(client: Client, argv: list[bytes]) -> Reply:
    element = argv[2]
    rank, count, maxlen = 1, -1, 0      # count -1: no COUNT option
    reader = ArgReader(argv, 3)
    while reader.more():
        option = reader.keyword()
        if option == b"RANK" and reader.more():
            rank = parse_int(reader.next())
            if rank == 0:
                raise RedisError(LPOS_RANK_ZERO)
        elif option == b"COUNT" and reader.more():
            count = reader.next_int(NEGATIVE_COUNT, minimum=0)
        elif option == b"MAXLEN" and reader.more():
            maxlen = reader.next_int(NEGATIVE_MAXLEN, minimum=0)
        else:
            raise syntax_error()
    lst = _lookup(client, argv[1])
    if lst is None:
        return [] if count != -1 else None
    forward = rank > 0
    # C's -LONG_MIN stays LONG_MIN, a rank every match reaches: the first one from the tail.
    rank = 1 if rank == -2**63 else abs(rank)
    n = len(lst)
    if count == -1 and rank == 1 and forward and not maxlen:
        try:
            return lst.index(element)   # the common case, at C speed
        except ValueError:
            return None
    found = []
    matches = 0
    scanned = lst if forward else reversed(lst)
    for offset, item in enumerate(scanned):
        if maxlen and offset >= maxlen:
            break
        if item == element:
            matches += 1
            if matches >= rank:
                found.append(offset if forward else n - 1 - offset)
                if count == -1 or (count and len(found) >= count):
                    break
    if count != -1:
        return found
    return found[0] if found else None


# -- changing ---------------------------------------------------------------------------------

@command("lset")
def lset(client: Client, argv: list[bytes]) -> Reply:
    db = client.db
    lst = _lookup(client, argv[1], write=True)
    if lst is None:
        raise RedisError(NO_SUCH_KEY)
    index = parse_int(argv[2])
    if index < 0:
        index += len(lst)
    if not 0 <= index < len(lst):
        raise RedisError(INDEX_OUT_OF_RANGE)
    lst[index] = argv[3]
    db.written(argv[1], "l", "lset")
    return OK


@command("linsert")
def linsert(client: Client, argv: list[bytes]) -> Reply:
    where = argv[2].lower()
    if where not in (b"before", b"after"):
        raise syntax_error()
    db = client.db
    lst = _lookup(client, argv[1], write=True)
    if lst is None:
        return 0
    try:
        index = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(index + 1 if where == b"after" else index, argv[4])
    db.written(argv[1], "l", "linsert")
    return len(lst)


@command("lrem")
def lrem(client: Client, argv: list[bytes]) -> Reply:
    to_remove = parse_int(argv[2])
    db = client.db
    key, element = argv[1], argv[3]
    lst = _lookup(client, key, write=True)
    if lst is None:
        return 0
    limit = abs(to_remove)
    n = len(lst)
    indexes = []
    # From the head for a count >= 0, else from the tail; a count of 0 removes them all.
    for i, item in enumerate(lst if to_remove >= 0 else reversed(lst)):
        if item == element:
            indexes.append(i if to_remove >= 0 else n - 1 - i)
            if len(indexes) == limit:
                break
    if not indexes:
        return 0
    lst.remove_indexes(indexes)
    db.elements_removed(key, lst, "l", "lrem", len(indexes))
    return len(indexes)


@command("ltrim")
def ltrim(client: Client, argv: list[bytes]) -> Reply:
    start, end = parse_int(argv[2]), parse_int(argv[3])
    db = client.db
    key = argv[1]
    lst = _lookup(client, key, write=True)
    if lst is None:
        return OK
    bounds = _normalize_range(start, end, len(lst))
    removed = lst.trim(*bounds) if bounds else lst.trim(1, 0)
    db.elements_removed(key, lst, "l", "ltrim", removed)
    return OK


# -- moves ------------------------------------------------------------------------------------

def _move(db, src: bytes, lst: ListValue, dst: bytes, left_from: bool, left_to: bool) -> bytes:
    """Pop from `lst` (the list at src) and push onto dst, creating it; WRONGTYPE (before
    anything moves) when dst holds another type (Redis's lmoveGenericCommand)."""
    target = db.get_for_write(dst)
    if target is not None and type(target) is not ListValue:
        raise WrongTypeError()
    value = lst.popleft() if left_from else lst.pop()
    if target is None:
        target = ListValue((value,))
        db.set(dst, target)
    else:
        if left_to:
            target.appendleft(value)
        else:
            target.append(value)
    db.written(dst, "l", "lpush" if left_to else "rpush")
    if src != dst:       # (a rotation was signalled as the destination already)
        db.elements_removed(src, lst, "l", "lpop" if left_from else "rpop", changes=0)
    else:
        db.notify("l", "lpop" if left_from else "rpop", src)
    return value


@command("lmove")
def lmove(client: Client, argv: list[bytes]) -> Reply:
    left_from, left_to = _side(argv[3]), _side(argv[4])
    lst = _lookup(client, argv[1], write=True)
    if lst is None:
        return None
    return _move(client.db, argv[1], lst, argv[2], left_from, left_to)


@command("rpoplpush")
def rpoplpush(client: Client, argv: list[bytes]) -> Reply:
    lst = _lookup(client, argv[1], write=True)
    if lst is None:
        return None
    return _move(client.db, argv[1], lst, argv[2], False, True)


# -- blocking ---------------------------------------------------------------------------------

def _blocking_pop(client: Client, keys: list[bytes], left: bool, timeout: float,
                  count: Optional[int]):
    """BLPOP/BRPOP (count None) and BLMPOP: pop from the first non-empty list, else block."""
    db = client.db
    for key in keys:
        lst = _lookup(client, key, write=True)
        if lst:
            if count is not None:
                return _pop_with_key(client, db, key, lst, left, count)
            propagation = client.server.propagation
            if propagation.active:
                propagation.rewrite(_pop_argv(key, left))
            value = lst.popleft() if left else lst.pop()
            _removed(db, key, lst, left, 1)
            return [key, value]
    if not blocking.may_block(client):
        return NULL_ARRAY

    def serve(receiver: Client, db: Database, key: bytes, lst: ListValue) -> bool:
        if count is not None:
            receiver.add_reply(_pop_with_key(receiver, db, key, lst, left, count, True))
        else:
            propagation = receiver.server.propagation
            if propagation.active:
                propagation.also(db.index, _pop_argv(key, left))
            value = lst.popleft() if left else lst.pop()
            receiver.add_reply([key, value])
            _removed(db, key, lst, left, 1)
        return True

    blocking.block(client, keys, ListValue, serve, timeout)
    return NO_REPLY


@command("blpop")
def blpop(client: Client, argv: list[bytes]) -> Reply:
    timeout = blocking.parse_timeout(argv[-1])
    return _blocking_pop(client, argv[1:-1], True, timeout, None)


@command("brpop")
def brpop(client: Client, argv: list[bytes]) -> Reply:
    timeout = blocking.parse_timeout(argv[-1])
    return _blocking_pop(client, argv[1:-1], False, timeout, None)


@command("blmpop")
def blmpop(client: Client, argv: list[bytes]) -> Reply:
    keys, left, count = _parse_mpop(argv, 2)
    timeout = blocking.parse_timeout(argv[1])
    return _blocking_pop(client, keys, left, timeout, count)


def _blocking_move(client: Client, argv: list[bytes], left_from: bool, left_to: bool,
                   timeout: float) -> Reply:
    """BLMOVE and BRPOPLPUSH (argv without its timeout): propagated as LMOVE or RPOPLPUSH."""
    src, dst = argv[1], argv[2]
    lst = _lookup(client, src, write=True)
    if lst is not None:
        value = _move(client.db, src, lst, dst, left_from, left_to)
        propagation = client.server.propagation
        if propagation.active:
            propagation.rewrite([b"LMOVE", *argv[1:5]] if len(argv) > 3
                                else [b"RPOPLPUSH", src, dst])
        return value
    if not blocking.may_block(client):
        return None

    def serve(receiver: Client, db: Database, key: bytes, lst: ListValue) -> bool:
        try:
            receiver.add_reply(_move(db, key, lst, dst, left_from, left_to))
        except RedisError as exc:
            receiver.add_error(exc.message)
            return True
        propagation = receiver.server.propagation
        if propagation.active:
            propagation.also(db.index, [b"LMOVE", key, dst, _SIDES[left_from], _SIDES[left_to]]
                             if len(argv) > 3 else [b"RPOPLPUSH", key, dst])
        return True

    blocking.block(client, [src], ListValue, serve, timeout)
    return NO_REPLY


_SIDES: Final = {True: b"left", False: b"right"}    # as Redis spells them when it propagates


@command("blmove")
def blmove(client: Client, argv: list[bytes]) -> Reply:
    left_from, left_to = _side(argv[3]), _side(argv[4])
    timeout = blocking.parse_timeout(argv[5])
    return _blocking_move(client, argv[:5], left_from, left_to, timeout)


@command("brpoplpush")
def brpoplpush(client: Client, argv: list[bytes]) -> Reply:
    timeout = blocking.parse_timeout(argv[3])
    return _blocking_move(client, argv[:3], False, True, timeout)

"""Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT,
the ZRANGE family and ZRANGESTORE, ZREMRANGEBY*, ZPOPMIN/ZPOPMAX/ZMPOP, ZUNION/ZINTER/ZDIFF
(and their STORE variants, ZINTERCARD), ZRANDMEMBER and ZSCAN.

Scores are parsed as Redis parses them (strtod: inf, -inf, hex; NaN rejected) and replied as
doubles (bulk strings in RESP2, ',' doubles in RESP3)."""
from __future__ import annotations

import math
import random
from typing import Callable, Final, Iterable, Optional, TYPE_CHECKING

from .. import blocking
from ..args import (ArgReader, parse_float, parse_int, parse_positive_int,
                    parse_range_int, strtod)
from ..types.integers import INT64_MAX
from ..errors import (COUNT_NOT_POSITIVE, LIMIT_WITHOUT_BY, NAN_SCORE, NEGATIVE_LIMIT,
                      NOT_FLOAT_RANGE, NOT_LEX_RANGE, NUMKEYS_NOT_POSITIVE, VALUE_OUT_OF_RANGE,
                      WEIGHT_NOT_FLOAT, WITHSCORES_BYLEX, ZADD_GT_LT_NX, ZADD_INCR_PAIRS,
                      ZADD_XX_AND_NX, RedisError, WrongTypeError, no_input_keys, syntax_error)
from ..protocol.encode import NO_REPLY, NULL_ARRAY, Reply
from ..scan import parse_cursor
from ..types.set import SetValue
from ..types.zset import MAX_LEX, MIN_LEX, LexBound, ZSetValue, listpack_score_text
from . import command
from .sets import scan_collection, store_or_delete

if TYPE_CHECKING:
    from ..client import Client
    from ..db import Database

ZRANDMEMBER_SUB_STRATEGY_MUL: Final = 3   # past this ratio, sample by removal (as Redis)

RANK, SCORE, LEX = "rank", "score", "lex"


def _get_zset(client: Client, key: bytes, write: bool = False) -> Optional[ZSetValue]:
    return client.db.get_typed(key, ZSetValue, write)


def _with_scores(client: Client, pairs, withscores: bool) -> list:
    """Members, or member/score pairs: flat in RESP2, nested in RESP3."""
    if not withscores:
        return [member for _, member in pairs]
    if client.proto == 2:
        out = []
        for score, member in pairs:
            out.append(member)
            out.append(score)
        return out
    return [[member, score] for score, member in pairs]


# -- range parsing --------------------------------------------------------------------------

def _score_bound(raw: bytes) -> tuple[float, bool]:
    """One end of a score range (Redis's zslParseRange): strtod over the C string, with '('
    for an open end; an empty string reads as 0."""
    exclusive = raw[:1] == b"("
    text = raw[1:] if exclusive else raw
    text = text.split(b"\0", 1)[0]
    value, end, _ = strtod(text)
    if end != len(text) or math.isnan(value):
        raise RedisError(NOT_FLOAT_RANGE)
    return value, exclusive


def parse_score_range(low: bytes, high: bytes) -> tuple[float, bool, float, bool]:
    return _score_bound(low) + _score_bound(high)


def _lex_bound(raw: bytes) -> tuple[LexBound, bool]:
    if raw == b"-":
        return MIN_LEX, True
    if raw == b"+":
        return MAX_LEX, True
    if raw[:1] == b"(":
        return raw[1:], True
    if raw[:1] == b"[":
        return raw[1:], False
    raise RedisError(NOT_LEX_RANGE)


def parse_lex_range(low: bytes, high: bytes) -> tuple[LexBound, bool, LexBound, bool]:
    return _lex_bound(low) + _lex_bound(high)


def _rank_span(length: int, start: int, end: int) -> Optional[tuple[int, int]]:
    """Redis's rank sanitizing: negative ranks count from the end; None when empty, else
    the inclusive (start, end) inside [0, length)."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    if start > end or start >= length:
        return None
    return start, min(end, length - 1)


# -- ZADD / ZINCRBY -------------------------------------------------------------------------

ZADD_FLAGS: Final = frozenset((b"NX", b"XX", b"CH", b"INCR", b"GT", b"LT"))


def _zadd_generic(client: Client, argv: list[bytes], incr: bool):
    """ZADD and ZINCRBY (ZINCRBY is ZADD with INCR forced), checks in Redis's order."""
    nx = xx = gt = lt = ch = False
    pos = 2   # where the score-member pairs start, after the flags
    if argv[2][:1].isalpha():   # a flag, or a score such as "inf": the common ZADD skips this
        reader = ArgReader(argv, 2)
        flags = reader.flags(ZADD_FLAGS)
        pos = reader.pos
        if flags:
            nx, xx, gt, lt = b"NX" in flags, b"XX" in flags, b"GT" in flags, b"LT" in flags
            ch = b"CH" in flags
            incr = incr or b"INCR" in flags
    pair_args = len(argv) - pos
    if not pair_args or pair_args % 2:
        raise syntax_error()
    if nx and xx:
        raise RedisError(ZADD_XX_AND_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise RedisError(ZADD_GT_LT_NX)
    if incr and pair_args > 2:
        raise RedisError(ZADD_INCR_PAIRS)
    scores = [parse_float(raw) for raw in argv[pos::2]]
    members = argv[pos + 1::2]

    db = client.db
    key = argv[1]
    value = _get_zset(client, key, write=True)
    added = updated = processed = 0
    score = 0.0
    if value is not None or not xx:
        created = value is None
        config = client.server.config
        if value is None:
            value = ZSetValue.for_first_member(members[0], config)
        for member, score in zip(members, scores):
            current = value.score(member)
            if current is None:
                if xx:
                    continue
                value.insert(member, score, config)
                added += 1
            else:
                if nx:
                    continue
                if incr:
                    score += current
                    if math.isnan(score):
                        raise RedisError(NAN_SCORE)
                if (lt and score >= current) or (gt and score <= current):
                    continue
                if score != current:
                    value.update(member, score, current)
                    updated += 1
            processed += 1
        if created:
            db.set(key, value)
        if added or updated:
            db.written(key, "z", "zincr" if incr else "zadd", added + updated)
    if incr:
        return score if processed else None
    return added + updated if ch else added


@command("zadd")
def zadd(client: Client, argv: list[bytes]) -> Reply:
    return _zadd_generic(client, argv, False)


@command("zincrby")
def zincrby(client: Client, argv: list[bytes]) -> Reply:
    return _zadd_generic(client, argv, True)


# -- single-key reads -----------------------------------------------------------------------

@command("zcard")
def zcard(client: Client, argv: list[bytes]) -> Reply:
    value = _get_zset(client, argv[1])
    return len(value) if value is not None else 0


@command("zscore")
def zscore(client: Client, argv: list[bytes]) -> Reply:
    value = _get_zset(client, argv[1])
    return value.score(argv[2]) if value is not None else None


@command("zmscore")
def zmscore(client: Client, argv: list[bytes]) -> Reply:
    value = _get_zset(client, argv[1])
    return [value.score(m) if value is not None else None for m in argv[2:]]


def _rank(client: Client, argv, reverse: bool):
    value = _get_zset(client, argv[1])
    if value is None:
        return None
    rank = value.rank(argv[2])
    if rank is None:
        return None
    return len(value) - 1 - rank if reverse else rank


@command("zrank")
def zrank(client: Client, argv: list[bytes]) -> Reply:
    return _rank(client, argv, False)


@command("zrevrank")
def zrevrank(client: Client, argv: list[bytes]) -> Reply:
    return _rank(client, argv, True)


@command("zcount")
def zcount(client: Client, argv: list[bytes]) -> Reply:
    bounds = parse_score_range(argv[2], argv[3])
    value = _get_zset(client, argv[1])
    if value is None:
        return 0
    first, end = value.score_bounds(*bounds)
    return max(0, end - first)


@command("zlexcount")
def zlexcount(client: Client, argv: list[bytes]) -> Reply:
    bounds = parse_lex_range(argv[2], argv[3])
    value = _get_zset(client, argv[1])
    if value is None:
        return 0
    first, end = value.lex_bounds(*bounds)
    return max(0, end - first)


# -- ZRANGE and friends ---------------------------------------------------------------------

def _zrange_generic(client: Client, argv: list[bytes], src: int, dst: Optional[bytes],
                    kind: Optional[str], reverse: Optional[bool]):
    """ZRANGE, ZRANGESTORE and the older Z[REV]RANGE[BYSCORE|BYLEX] (kind and reverse
    preset), with Redis's option rules and checks in its order."""
    withscores = False
    offset, limit = 0, -1
    reader = ArgReader(argv, src + 3)
    while reader.more():
        option = reader.keyword()
        if dst is None and option == b"WITHSCORES":
            withscores = True
        elif option == b"LIMIT" and reader.remaining() >= 2:
            offset = parse_int(reader.next())
            limit = parse_int(reader.next())
        elif reverse is None and option == b"REV":
            reverse = True
        elif kind is None and option == b"BYLEX":
            kind = LEX
        elif kind is None and option == b"BYSCORE":
            kind = SCORE
        else:
            raise syntax_error()
    reverse = bool(reverse)
    kind = kind or RANK
    if limit != -1 and kind == RANK:
        raise RedisError(LIMIT_WITHOUT_BY)
    if withscores and kind == LEX:
        raise RedisError(WITHSCORES_BYLEX)
    low, high = argv[src + 1], argv[src + 2]
    if reverse and kind != RANK:
        low, high = high, low   # given as max, min
    if kind == RANK:
        start, end = parse_int(low), parse_int(high)
    elif kind == SCORE:
        bounds = parse_score_range(low, high)
    else:
        lex_bounds = parse_lex_range(low, high)

    value = _get_zset(client, argv[src])
    if value is None:
        if dst is not None:
            return store_or_delete(client, dst, ZSetValue(), "z", "zrangestore")
        return []
    if kind == RANK:
        pairs = _range_by_rank(value, start, end, reverse)
    else:
        first, stop = (value.score_bounds(*bounds) if kind == SCORE
                       else value.lex_bounds(*lex_bounds))
        pairs = _range_with_limit(value, first, stop, offset, limit, reverse)
    if dst is None:
        return _with_scores(client, pairs, withscores)
    config = client.server.config
    # Redis sizes the destination from the rank range; score and lex ranges start small.
    result = ZSetValue(listpack=not (kind == RANK and len(pairs)
                                     > config.zset_max_listpack_entries))
    for score, member in pairs:
        result.insert(member, score, config)
    return store_or_delete(client, dst, result, "z", "zrangestore")


def _range_by_rank(value: ZSetValue, start: int, end: int, reverse: bool) -> list:
    span = _rank_span(len(value), start, end)
    if span is None:
        return []
    start, end = span
    if reverse:
        n = len(value)
        return list(value.slice(n - 1 - end, n - start, reverse=True))
    return list(value.slice(start, end + 1))


def _range_with_limit(value: ZSetValue, first: int, stop: int, offset: int, limit: int,
                      reverse: bool) -> list:
    """The ranks [first, stop) of a score or lex range, after LIMIT offset count (a negative
    count means all, a negative offset nothing, as Redis's loops work out)."""
    if offset < 0 or first >= stop:
        return []
    if reverse:
        top = stop - offset
        bottom = first if limit < 0 else max(first, top - limit)
        return list(value.slice(bottom, top, reverse=True)) if bottom < top else []
    begin = first + offset
    end = stop if limit < 0 else min(stop, begin + limit)
    return list(value.slice(begin, end)) if begin < end else []


@command("zrange")
def zrange(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 1, None, None, None)


@command("zrangestore")
def zrangestore(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 2, argv[1], None, None)


@command("zrevrange")
def zrevrange(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 1, None, RANK, True)


@command("zrangebyscore")
def zrangebyscore(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 1, None, SCORE, False)


@command("zrevrangebyscore")
def zrevrangebyscore(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 1, None, SCORE, True)


@command("zrangebylex")
def zrangebylex(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 1, None, LEX, False)


@command("zrevrangebylex")
def zrevrangebylex(client: Client, argv: list[bytes]) -> Reply:
    return _zrange_generic(client, argv, 1, None, LEX, True)


# -- removals -------------------------------------------------------------------------------

@command("zrem")
def zrem(client: Client, argv: list[bytes]) -> Reply:
    key = argv[1]
    value = _get_zset(client, key, write=True)
    if value is None:
        return 0
    removed = 0
    for member in argv[2:]:
        removed += value.remove(member)
        if not value:
            break
    if removed:
        client.db.elements_removed(key, value, "z", "zrem", removed)
    return removed


def _zremrange(client: Client, argv, kind: str):
    key = argv[1]
    if kind == RANK:
        start, end = parse_int(argv[2]), parse_int(argv[3])
    elif kind == SCORE:
        bounds = parse_score_range(argv[2], argv[3])
    else:
        lex_bounds = parse_lex_range(argv[2], argv[3])
    value = _get_zset(client, key, write=True)
    if value is None:
        return 0
    if kind == RANK:
        span = _rank_span(len(value), start, end)
        if span is None:
            return 0
        first, stop = span[0], span[1] + 1
    elif kind == SCORE:
        first, stop = value.score_bounds(*bounds)
    else:
        first, stop = value.lex_bounds(*lex_bounds)
    removed = value.remove_ranks(first, stop) if first < stop else 0
    if removed:
        client.db.elements_removed(key, value, "z", "zremrangeby" + kind, removed)
    return removed


@command("zremrangebyrank")
def zremrangebyrank(client: Client, argv: list[bytes]) -> Reply:
    return _zremrange(client, argv, RANK)


@command("zremrangebyscore")
def zremrangebyscore(client: Client, argv: list[bytes]) -> Reply:
    return _zremrange(client, argv, SCORE)


@command("zremrangebylex")
def zremrangebylex(client: Client, argv: list[bytes]) -> Reply:
    return _zremrange(client, argv, LEX)


# -- pops -----------------------------------------------------------------------------------

AS_POP_REWRITE: Final = 1
AS_POP_ALSO: Final = 2


def zpop(client: Client, keys: list[bytes], highest: bool, count: int, emit_key: bool,
         nested: bool, nil_when_empty: bool, as_pop: int = 0) -> Reply:
    """Redis's genericZpopCommand: pop from the first existing key among keys. `count` -1 is
    the plain single pop. Reply shapes: flat [m, s, ...], nested [[m, s], ...], with the key
    first when emit_key (nested: [key, [[m, s], ...]]). `as_pop` (ZMPOP and the blocking
    pops): propagated as ZPOPMIN/ZPOPMAX, with the count taken unless `count` is -1, in
    place of the command (AS_POP_REWRITE) or as an effect of a blocked client served
    (AS_POP_ALSO)."""
    db = client.db
    value, key = None, b""
    for key in keys:
        value = db.get_for_write(key)
        if value is None:
            continue
        if type(value) is not ZSetValue:
            raise WrongTypeError()
        break
    if value is None:
        return NULL_ARRAY if nil_when_empty else []
    if count == 0:
        return []
    n = min(len(value), 1 if count == -1 else count)
    if as_pop:
        propagation = client.server.propagation
        if propagation.active:
            argv = [b"ZPOPMAX" if highest else b"ZPOPMIN", key]
            if count != -1:
                argv.append(b"%d" % n)
            if as_pop == AS_POP_REWRITE:
                propagation.rewrite(argv)
            else:
                propagation.also(db.index, argv)
    pairs = [value.pop(highest) for _ in range(n)]
    db.elements_removed(key, value, "z", "zpopmax" if highest else "zpopmin", n)
    if nested:
        items = [[member, score] for score, member in pairs]
        return [key, items] if emit_key else items
    flat = [key] if emit_key else []
    for score, member in pairs:
        flat.append(member)
        flat.append(score)
    return flat


def _zpop_minmax(client: Client, argv, highest: bool):
    if len(argv) > 3:
        raise syntax_error()
    count = parse_positive_int(argv[2]) if len(argv) == 3 else -1
    nested = client.proto > 2 and count != -1
    return zpop(client, [argv[1]], highest, count, False, nested, False)


@command("zpopmin")
def zpopmin(client: Client, argv: list[bytes]) -> Reply:
    return _zpop_minmax(client, argv, False)


@command("zpopmax")
def zpopmax(client: Client, argv: list[bytes]) -> Reply:
    return _zpop_minmax(client, argv, True)


def parse_zmpop(argv: list[bytes], numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """numkeys key [key ...] MIN|MAX [COUNT count] of ZMPOP and BZMPOP: (keys, highest,
    count)."""
    numkeys = parse_range_int(argv[numkeys_index], 1, INT64_MAX,
                              NUMKEYS_NOT_POSITIVE)
    where = numkeys_index + numkeys + 1
    if where >= len(argv):
        raise syntax_error()
    side = argv[where].upper()
    if side not in (b"MIN", b"MAX"):
        raise syntax_error()
    count = -1
    reader = ArgReader(argv, where + 1)
    while reader.more():
        if count == -1 and reader.keyword() == b"COUNT" and reader.more():
            count = parse_range_int(reader.next(), 1, INT64_MAX,
                                    COUNT_NOT_POSITIVE)
        else:
            raise syntax_error()
    return argv[numkeys_index + 1:where], side == b"MAX", max(count, 1)


@command("zmpop")
def zmpop(client: Client, argv: list[bytes]) -> Reply:
    keys, highest, count = parse_zmpop(argv, 1)
    return zpop(client, keys, highest, count, True, True, True, AS_POP_REWRITE)


def _blocking_zpop(client: Client, keys: list[bytes], highest: bool, timeout: float, count: int,
                   nested: bool):
    """BZPOPMIN/BZPOPMAX (count -1, flat reply) and BZMPOP (nested reply): pop from the
    first key holding a sorted set, else block until one does."""
    for key in keys:
        value = client.db.get_for_write(key)
        if value is None:
            continue
        if type(value) is not ZSetValue:
            raise WrongTypeError()
        return zpop(client, [key], highest, count, True, nested, nested, AS_POP_REWRITE)
    if not blocking.may_block(client):
        return NULL_ARRAY

    def serve(receiver: Client, db: Database, key: bytes, value: ZSetValue) -> bool:
        receiver.add_reply(zpop(receiver, [key], highest, count, True, nested, nested,
                                AS_POP_ALSO))
        return True

    blocking.block(client, keys, ZSetValue, serve, timeout)
    return NO_REPLY


@command("bzpopmin")
def bzpopmin(client: Client, argv: list[bytes]) -> Reply:
    timeout = blocking.parse_timeout(argv[-1])
    return _blocking_zpop(client, argv[1:-1], False, timeout, -1, False)


@command("bzpopmax")
def bzpopmax(client: Client, argv: list[bytes]) -> Reply:
    timeout = blocking.parse_timeout(argv[-1])
    return _blocking_zpop(client, argv[1:-1], True, timeout, -1, False)


@command("bzmpop")
def bzmpop(client: Client, argv: list[bytes]) -> Reply:
    keys, highest, count = parse_zmpop(argv, 2)
    timeout = blocking.parse_timeout(argv[1])
    return _blocking_zpop(client, keys, highest, timeout, count, True)


# -- ZUNION / ZINTER / ZDIFF ----------------------------------------------------------------

def _members_with_scores(value) -> list[tuple[bytes, float]]:
    """A zset or set input as (member, score) pairs, in the order Redis walks it (sorted
    sets from the highest score; plain set members score 1)."""
    if type(value) is ZSetValue:
        return [(member, score) for score, member in value.slice(0, len(value), reverse=True)]
    return [(member, 1.0) for member in value]


def _input_score(value, member: bytes) -> Optional[float]:
    if type(value) is ZSetValue:
        return value.score(member)
    return 1.0 if member in value else None


def _aggregate(how: bytes, current: float, new: float) -> float:
    if how == b"SUM":
        total = current + new
        return 0.0 if math.isnan(total) else total   # inf + -inf counts as 0
    if how == b"MIN":
        return new if new < current else current
    return new if new > current else current


def _set_operation(client: Client, argv: list[bytes], numkeys_index: int, dst: Optional[bytes],
                   op: str, card_only: bool = False):
    """ZUNION, ZINTER, ZDIFF, their STORE variants and ZINTERCARD (Redis's
    zunionInterDiffGenericCommand), checks in Redis's order."""
    numkeys = parse_int(argv[numkeys_index])
    if numkeys < 1:
        raise no_input_keys(argv[0])
    if numkeys > len(argv) - (numkeys_index + 1):
        raise syntax_error()
    keys = argv[numkeys_index + 1:numkeys_index + 1 + numkeys]
    inputs = []
    for key in keys:
        value = client.db.get(key)
        if value is not None and type(value) not in (ZSetValue, SetValue):
            raise WrongTypeError()
        inputs.append(value)
    weights = [1.0] * numkeys
    how = b"SUM"
    withscores = False
    limit = 0
    reader = ArgReader(argv, numkeys_index + 1 + numkeys)
    while reader.more():
        option = reader.keyword()
        if op != "diff" and not card_only and option == b"WEIGHTS" \
                and reader.remaining() >= numkeys:
            weights = [parse_float(reader.next(), WEIGHT_NOT_FLOAT)
                       for _ in range(numkeys)]
        elif op != "diff" and not card_only and option == b"AGGREGATE" and reader.more():
            how = reader.keyword()
            if how not in (b"SUM", b"MIN", b"MAX"):
                raise syntax_error()
        elif dst is None and not card_only and option == b"WITHSCORES":
            withscores = True
        elif card_only and option == b"LIMIT" and reader.more():
            limit = parse_positive_int(reader.next(), NEGATIVE_LIMIT)
        else:
            raise syntax_error()

    result: dict[bytes, float] = {}
    sources = list(zip(inputs, weights))
    if op != "diff":
        sources.sort(key=lambda source: len(source[0]) if source[0] is not None else 0)
    if op == "inter":
        first, first_weight = sources[0]
        if first is not None and len(first):
            found = 0
            for member, score in _members_with_scores(first):
                total = first_weight * score
                if math.isnan(total):
                    total = 0.0
                for other, weight in sources[1:]:
                    other_score = score if other is first else _input_score(other, member)
                    if other_score is None:
                        break
                    total = _aggregate(how, total, other_score * weight)
                else:
                    found += 1
                    if not card_only:
                        result[member] = total
                    elif found == limit:
                        break
            if card_only:
                return found
    elif op == "union":
        for value, weight in sources:
            if value is None:
                continue
            for member, score in _members_with_scores(value):
                weighted = weight * score
                if math.isnan(weighted):
                    weighted = 0.0
                current = result.get(member)
                result[member] = weighted if current is None else \
                    _aggregate(how, current, weighted)
    else:
        first = inputs[0]
        if first is not None and not any(other is first for other in inputs[1:]):
            others = [other for other in inputs[1:] if other is not None]
            for member, score in _members_with_scores(first):
                if not any(_input_score(other, member) is not None for other in others):
                    result[member] = score
    if card_only:
        return 0
    config = client.server.config
    if dst is not None:
        value = ZSetValue.from_pairs(result.items(), config)
        return store_or_delete(client, dst, value, "z", "z%sstore" % op)
    pairs = sorted((score, member) for member, score in result.items())
    return _with_scores(client, pairs, withscores)


@command("zunion")
def zunion(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 1, None, "union")


@command("zinter")
def zinter(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 1, None, "inter")


@command("zdiff")
def zdiff(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 1, None, "diff")


@command("zintercard")
def zintercard(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 1, None, "inter", card_only=True)


@command("zunionstore")
def zunionstore(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 2, argv[1], "union")


@command("zinterstore")
def zinterstore(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 2, argv[1], "inter")


@command("zdiffstore")
def zdiffstore(client: Client, argv: list[bytes]) -> Reply:
    return _set_operation(client, argv, 2, argv[1], "diff")


# -- ZRANDMEMBER and ZSCAN -----------------------------------------------------------------

@command("zrandmember")
def zrandmember(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) == 2:
        value = _get_zset(client, argv[1])
        if value is None:
            return None
        return value.at(random.randrange(len(value)))[1]
    count = parse_range_int(argv[2], -INT64_MAX, INT64_MAX)
    if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHSCORES"):
        raise syntax_error()
    withscores = len(argv) == 4
    if withscores and not -INT64_MAX // 2 <= count <= INT64_MAX // 2:
        raise RedisError(VALUE_OUT_OF_RANGE)
    value = _get_zset(client, argv[1])
    if value is None or count == 0:
        return []
    size = len(value)
    if count < 0 or count == 1:
        # Repeats allowed: independent draws, in random order.
        pairs = [value.at(random.randrange(size)) for _ in range(abs(count))]
    elif count >= size:
        pairs = list(value.slice(0, size, reverse=True))
    elif count * ZRANDMEMBER_SUB_STRATEGY_MUL > size:
        pairs = [value.at(i) for i in random.sample(range(size), count)]
    else:
        picked: dict[int, None] = {}
        while len(picked) < count:
            picked[random.randrange(size)] = None
        pairs = [value.at(i) for i in picked]
    return _with_scores(client, pairs, withscores)


@command("zscan")
def zscan(client: Client, argv: list[bytes]) -> Reply:
    cursor = parse_cursor(argv[2])
    value = _get_zset(client, argv[1])
    if value is None:
        return [b"0", []]
    # A listpack sorts by score and holds scores as text (integers without exponent).
    names: Callable[[], Iterable[bytes]]
    if value.listpack:
        names, text = (lambda: list(value)), listpack_score_text
    else:
        names, text = (lambda: value.scores.keys()), (lambda score: b"%.17g" % score)
    cursor, members = scan_collection(client, argv, cursor, value, value.listpack, names)
    scores = value.scores
    return [b"%d" % cursor, [x for m in members for x in (m, text(scores[m]))]]

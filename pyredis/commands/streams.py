"""Stream commands: XADD, XRANGE, XREAD and the rest, consumer groups (XGROUP, XREADGROUP,
XACK, XPENDING, XCLAIM, XAUTOCLAIM) and XINFO, with Redis 7.0's replies and errors.

An entry is replied as [ID, [field, value, ...]]. XREAD and XREADGROUP answer an array of
[key, entries] pairs in RESP2 and a map key -> entries in RESP3. Blocking reads wait through
pyredis.blocking: a client is served when a write leaves its stream with a last ID past the
one it waits after; XREADGROUP also hears of its stream's deletion and its group's.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Optional

from .. import blocking
from ..args import ArgReader, parse_int
from ..errors import (BUSYGROUP, COUNT_NOT_ABOVE_ZERO, ENTRIES_ADDED_NEGATIVE, ENTRIES_READ_RANGE,
                      GROUP_GONE_WHILE_BLOCKED, INVALID_INTERVAL_END, INVALID_INTERVAL_START,
                      INVALID_STREAM_ID, LIMIT_WITHOUT_APPROX, LIMIT_WITHOUT_STRATEGY,
                      MAXLEN_AND_MINID, NEGATIVE_LIMIT_ARGUMENT, NEGATIVE_MAXLEN_ARGUMENT,
                      NO_SUCH_KEY, STREAM_GONE_WHILE_BLOCKED, STREAM_IDS_EXHAUSTED,
                      XADD_ID_NOT_GREATER, XADD_ID_ZERO, XAUTOCLAIM_MIN_IDLE, XCLAIM_IDLE,
                      XCLAIM_MIN_IDLE, XCLAIM_RETRYCOUNT, XCLAIM_TIME, XGROUP_WITHOUT_KEY,
                      XREADGROUP_DOLLAR_ID, XREADGROUP_WITHOUT_GROUP, XREAD_GREATER_ID,
                      XREAD_GROUP_OPTION, XREAD_NOACK_OPTION, XREAD_UNBALANCED, XSETID_BELOW_LENGTH,
                      XSETID_BELOW_MAX_DELETED, XSETID_BELOW_TOP, XTRIM_WITHOUT_STRATEGY,
                      RedisError, block_in_script, no_group, no_such_group, subcommand_syntax,
                      syntax_error, unknown_xclaim_option, wrong_arity)
from ..protocol.encode import NO_REPLY, NULL_ARRAY, OK, PairMap, Reply
from ..types.stream import (MAX_ID, MIN_ID, UINT64_MAX, ConsumerGroup, PendingEntry,
                            StreamID, StreamValue, decrement_id, format_id, increment_id)
from . import command, help_reply

if TYPE_CHECKING:
    from ..client import Client
    from ..db import Database

XREAD_BLOCKED_DEFAULT_COUNT = 1000

# -- IDs ------------------------------------------------------------------------------------

_INT64 = re.compile(rb"(?:0|-?[1-9][0-9]*)\Z")
_STRTOULL = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)\Z")


def _parse_u64(text: bytes) -> Optional[int]:
    """Redis's string2ull: a strict integer (not negative), else what C's strtoull accepts
    whole (leading blanks, a sign, leading zeros; a '-' wraps around)."""
    if _INT64.match(text) and len(text) <= 20:
        value = int(text)
        if -2**63 <= value < 2**63:
            return value if value >= 0 else None
    match = _STRTOULL.match(text)
    if match is None:
        return None
    value = int(match.group(2))
    if value > UINT64_MAX:
        return None
    return (-value) & UINT64_MAX if match.group(1) == b"-" else value


def parse_id(raw: bytes, missing_seq: int = 0, strict: bool = False,
             seq_star: bool = False) -> tuple[StreamID, bool]:
    """A stream ID argument: "ms-seq", "ms" (seq = missing_seq), "-" and "+" unless
    `strict`, "ms-*" when `seq_star` (XADD). Returns (ID, whether the sequence was given)."""
    if len(raw) > 127:
        raise RedisError(INVALID_STREAM_ID)
    if raw == b"-" or raw == b"+":
        if strict:
            raise RedisError(INVALID_STREAM_ID)
        return (MIN_ID if raw == b"-" else MAX_ID), True
    ms_text, dash, seq_text = raw.partition(b"-")
    ms = _parse_u64(ms_text)
    if ms is None:
        raise RedisError(INVALID_STREAM_ID)
    if not dash:
        return (ms, missing_seq), True
    if seq_star and seq_text == b"*":
        return (ms, 0), False
    seq = _parse_u64(seq_text)
    if seq is None:
        raise RedisError(INVALID_STREAM_ID)
    return (ms, seq), True


def parse_strict_id(raw: bytes) -> StreamID:
    return parse_id(raw, strict=True)[0]


def _interval_start(raw: bytes) -> StreamID:
    """The start of a range: "(" excludes the ID (XRANGE, XPENDING, XAUTOCLAIM)."""
    if len(raw) > 1 and raw[:1] == b"(":
        start = increment_id(parse_strict_id(raw[1:]))
        if start is None:
            raise RedisError(INVALID_INTERVAL_START)
        return start
    return parse_id(raw)[0]


def _interval_end(raw: bytes) -> StreamID:
    if len(raw) > 1 and raw[:1] == b"(":
        end = decrement_id(parse_id(raw[1:], UINT64_MAX, strict=True)[0])
        if end is None:
            raise RedisError(INVALID_INTERVAL_END)
        return end
    return parse_id(raw, UINT64_MAX)[0]


# -- shared pieces --------------------------------------------------------------------------

def _lookup(client: Client, key: bytes, write: bool = False) -> Optional[StreamValue]:
    return client.db.get_typed(key, StreamValue, write)


def _entry(stream_id: StreamID, fields: tuple) -> list:
    return [format_id(stream_id), list(fields)]


def _now(client: Client) -> int:
    return client.server.clock.ms()


def _consumer(client: Client, key: bytes, group: ConsumerGroup, name: bytes,
              group_name: Optional[bytes] = None):
    """The consumer `name` of the group, seen now; created (with its event) if new, and
    then propagated as XGROUP CREATECONSUMER when `group_name` is given (XREADGROUP NOACK,
    whose deliveries leave no XCLAIM that would create it)."""
    now = _now(client)
    consumer = group.consumers.get(name)
    if consumer is not None:
        consumer.seen_time = now
        return consumer
    consumer = group.add_consumer(name, now)
    client.db.metadata_written(key, "t", "xgroup-createconsumer")
    if group_name is not None:
        propagation = client.server.propagation
        if propagation.active:
            propagation.also(client.db.index,
                             [b"XGROUP", b"CREATECONSUMER", key, group_name, name])
    return consumer


# -- propagation of consumer groups -------------------------------------------------------------
#
# What XREADGROUP, XCLAIM and XAUTOCLAIM change in a group is propagated as the commands that
# set it exactly (Redis's streamPropagateXCLAIM and streamPropagateGroupID), not as the
# command that ran.

def _propagate_claim(client: Client, key: bytes, group_name: bytes, group: ConsumerGroup,
                     raw_id: bytes, nack: PendingEntry) -> None:
    """An entry pending for nack's consumer, with its delivery time and count, and the
    group's last delivered ID (a pending entry whose stream entry is gone: it leaves)."""
    consumer = nack.consumer.name  # type: ignore[union-attr]  # a pending entry has one
    client.server.propagation.also(client.db.index, [
        b"XCLAIM", key, group_name, consumer, b"0", raw_id, b"TIME",
        b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count, b"FORCE",
        b"JUSTID", b"LASTID", format_id(group.last_id)])


def _propagate_group_id(client: Client, key: bytes, group_name: bytes,
                        group: ConsumerGroup) -> None:
    """The group's last delivered ID and entries read."""
    entries_read = group.entries_read
    client.server.propagation.also(client.db.index, [
        b"XGROUP", b"SETID", key, group_name, format_id(group.last_id), b"ENTRIESREAD",
        b"%d" % (-1 if entries_read is None else entries_read)])


# -- XADD, XTRIM --------------------------------------------------------------------------------

class _TrimArgs:
    __slots__ = ("maxlen", "minid", "approx", "limit", "no_mkstream", "id", "id_given",
                 "seq_given", "id_index", "strategy_index")

    def __init__(self) -> None:
        self.maxlen: Optional[int] = None
        self.minid: Optional[StreamID] = None
        self.approx = False
        self.limit = 0
        self.no_mkstream = False
        self.id: StreamID = MIN_ID
        self.id_given = False
        self.seq_given = True
        self.id_index = 0
        self.strategy_index = 0     # where MAXLEN's or MINID's value is in argv

    @property
    def trims(self) -> bool:
        return self.maxlen is not None or self.minid is not None


def _parse_add_or_trim(client: Client, argv: list[bytes], xadd: bool) -> _TrimArgs:
    """The options of XADD (up to its ID) or XTRIM, in Redis's order of checks."""
    args = _TrimArgs()
    limit_given = False
    i = 2
    while i < len(argv):
        more = len(argv) - 1 - i
        option = argv[i]
        lowered = option.lower()
        if xadd and option == b"*":
            break
        if lowered in (b"maxlen", b"minid") and more:
            if args.trims:
                raise RedisError(MAXLEN_AND_MINID)
            args.approx = False
            following = argv[i + 1]
            if more >= 2 and following in (b"~", b"="):
                args.approx = following == b"~"
                i += 1
            args.strategy_index = i + 1
            if lowered == b"maxlen":
                args.maxlen = parse_int(argv[i + 1])
                if args.maxlen < 0:
                    raise RedisError(NEGATIVE_MAXLEN_ARGUMENT)
            else:
                args.minid = parse_strict_id(argv[i + 1])
            i += 1
        elif lowered == b"limit" and more:
            args.limit = parse_int(argv[i + 1])
            if args.limit < 0:
                raise RedisError(NEGATIVE_LIMIT_ARGUMENT)
            limit_given = True
            i += 1
        elif xadd and lowered == b"nomkstream":
            args.no_mkstream = True
        elif xadd:
            args.id, args.seq_given = parse_id(option, strict=True, seq_star=True)
            args.id_given = True
            break
        else:
            raise syntax_error()
        i += 1
    args.id_index = i
    if args.limit and not args.trims:
        raise RedisError(LIMIT_WITHOUT_STRATEGY)
    if not xadd and not args.trims:
        raise RedisError(XTRIM_WITHOUT_STRATEGY)
    if client.must_obey():
        # The AOF replayed or our master: its trims were propagated exact, with the user's
        # LIMIT kept but not to be enforced.
        args.limit = 0
    elif limit_given:
        if not args.approx:
            raise RedisError(LIMIT_WITHOUT_APPROX)
    elif args.approx:
        # Approximate trimming does at most 100 nodes' worth of work unless told otherwise.
        limit = 100 * client.server.config.stream_node_max_entries
        args.limit = 10000 if limit <= 0 else min(limit, 1000000)
    else:
        args.limit = 0
    return args


def _trim(stream: StreamValue, args: _TrimArgs) -> int:
    return stream.trim(args.maxlen, args.minid, args.approx, args.limit)


def _exact_trim(argv: list[bytes], stream: StreamValue, args: _TrimArgs) -> None:
    """Rewrite an approximate trim (`~`, LIMIT) in argv as the exact one that gives the same
    stream: MAXLEN = its length now, MINID = the ID of its first node's first entry
    (Redis's streamRewriteTrimArgument)."""
    index = args.strategy_index
    argv[index - 1] = b"="
    if args.maxlen is not None:
        argv[index] = b"%d" % stream.length
    else:
        argv[index] = format_id(stream.nodes[0].master_id if stream.nodes else MAX_ID)


@command("xadd")
def xadd(client: Client, argv: list[bytes]) -> Reply:
    args = _parse_add_or_trim(client, argv, xadd=True)
    field_index = args.id_index + 1
    fields_count = len(argv) - field_index
    if fields_count < 2 or fields_count % 2:
        raise wrong_arity("xadd")
    if args.id_given and args.seq_given and args.id == MIN_ID:
        raise RedisError(XADD_ID_ZERO)
    db, key = client.db, argv[1]
    stream = _lookup(client, key, write=True)
    created = stream is None
    if stream is None:
        if args.no_mkstream:
            return None
        stream = StreamValue()
    if stream.last_id == MAX_ID:
        raise RedisError(STREAM_IDS_EXHAUSTED)
    if not args.id_given:
        new_id = stream.next_auto_id(_now(client))
    elif args.seq_given:
        new_id = args.id
    elif args.id[0] == stream.last_id[0]:
        new_id = increment_id(stream.last_id) if stream.last_id[1] < UINT64_MAX else None
    else:
        new_id = args.id
    if new_id is None or new_id <= stream.last_id:
        raise RedisError(XADD_ID_NOT_GREATER)
    config = client.server.config
    stream.append(new_id, tuple(argv[field_index:]), config.stream_node_max_bytes,
                  config.stream_node_max_entries)
    if created:
        db.set(key, stream)
    db.written(key, "t", "xadd")
    if args.trims and _trim(stream, args):
        db.notify("t", "xtrim", key)
    reply = format_id(new_id)
    propagation = client.server.propagation
    if propagation.active and (args.approx or not (args.id_given and args.seq_given)):
        # The ID generated and the trim made exact, so that a replay adds the same entry
        # and keeps the same ones.
        argv = list(argv)
        if args.approx:
            _exact_trim(argv, stream, args)
        if not (args.id_given and args.seq_given):
            argv[args.id_index] = reply
        propagation.rewrite(argv)
    return reply


@command("xtrim")
def xtrim(client: Client, argv: list[bytes]) -> Reply:
    args = _parse_add_or_trim(client, argv, xadd=False)
    stream = _lookup(client, argv[1], write=True)
    if stream is None:
        return 0
    deleted = _trim(stream, args)
    if deleted:
        client.db.written(argv[1], "t", "xtrim", changes=deleted)
        propagation = client.server.propagation
        if propagation.active and args.approx:
            argv = list(argv)
            _exact_trim(argv, stream, args)
            propagation.rewrite(argv)
    return deleted


@command("xdel")
def xdel(client: Client, argv: list[bytes]) -> Reply:
    stream = _lookup(client, argv[1], write=True)
    if stream is None:
        return 0
    ids = [parse_strict_id(raw) for raw in argv[2:]]
    deleted = sum(1 for stream_id in ids if stream.delete(stream_id))
    if deleted:
        client.db.written(argv[1], "t", "xdel", changes=deleted)
    return deleted


@command("xsetid")
def xsetid(client: Client, argv: list[bytes]) -> Reply:
    new_last = parse_strict_id(argv[2])
    entries_added = -1
    max_deleted = MIN_ID
    reader = ArgReader(argv, 3)
    while reader.more():
        option = reader.keyword()
        if option == b"ENTRIESADDED" and reader.more():
            entries_added = reader.next_int(minimum=0, range_error=ENTRIES_ADDED_NEGATIVE)
        elif option == b"MAXDELETEDID" and reader.more():
            max_deleted = parse_strict_id(reader.next())
            if new_last < max_deleted:
                raise RedisError(XSETID_BELOW_MAX_DELETED)
        else:
            raise syntax_error()
    stream = _lookup(client, argv[1], write=True)
    if stream is None:
        raise RedisError(NO_SUCH_KEY)
    if stream.length:
        if new_last < stream.last_valid_id():
            raise RedisError(XSETID_BELOW_TOP)
        if entries_added != -1 and stream.length > entries_added:
            raise RedisError(XSETID_BELOW_LENGTH)
    stream.last_id = new_last
    if entries_added != -1:
        stream.entries_added = entries_added
    if max_deleted != MIN_ID:
        stream.max_deleted_id = max_deleted
    client.db.metadata_written(argv[1], "t", "xsetid")
    return OK


# -- reading ------------------------------------------------------------------------------------

@command("xlen")
def xlen(client: Client, argv: list[bytes]) -> Reply:
    stream = _lookup(client, argv[1])
    return 0 if stream is None else stream.length


def _xrange(client: Client, argv, reverse: bool):
    start_raw, end_raw = (argv[3], argv[2]) if reverse else (argv[2], argv[3])
    start = _interval_start(start_raw)
    end = _interval_end(end_raw)
    count = -1
    reader = ArgReader(argv, 4)
    while reader.more():
        if reader.keyword() == b"COUNT" and reader.more():
            count = max(reader.next_int(), 0)
        else:
            raise syntax_error()
    stream = _lookup(client, argv[1])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return [_entry(*e) for e in stream.range(start, end, max(count, 0), reverse)]


@command("xrange")
def xrange(client: Client, argv: list[bytes]) -> Reply:
    return _xrange(client, argv, False)


@command("xrevrange")
def xrevrange(client: Client, argv: list[bytes]) -> Reply:
    return _xrange(client, argv, True)


def _streams_reply(client: Client, pairs: list) -> Any:
    """XREAD's reply: [[key, entries] ...] in RESP2, a map in RESP3 (a key named twice
    appears twice, as in Redis)."""
    if client.proto == 2:
        return [[key, entries] for key, entries in pairs]
    return PairMap(pairs)


def _read_new(client: Client, stream: StreamValue, after: StreamID, count: int,
              group: Optional[ConsumerGroup], consumer, noack: bool, key: bytes = b"",
              group_name: bytes = b"") -> list:
    """Entries after `after` (XREAD, XREADGROUP with `>`), delivered to the group if any
    (Redis's streamReplyWithRange), which is propagated: each delivery as an XCLAIM, or
    with NOACK the group's new last ID as XGROUP SETID."""
    start = increment_id(after)
    if start is None:
        return []
    reply = []
    now = _now(client) if group is not None else 0
    propagating = group is not None and client.server.propagation.active
    advanced = False
    for stream_id, fields in stream.range(start, MAX_ID, count):
        if group is not None:
            if stream_id > group.last_id:
                stream.advance_group(group, stream_id)
                advanced = True
            if not noack:
                group.deliver(stream_id, consumer, now)
                if propagating:
                    _propagate_claim(client, key, group_name, group, format_id(stream_id),
                                     group.pel[stream_id])
        reply.append(_entry(stream_id, fields))
    if propagating and noack and advanced:
        _propagate_group_id(client, key, group_name,
                            group)  # type: ignore[arg-type]  # propagating: a group
    return reply


def _read_history(client: Client, stream: StreamValue, consumer, after: StreamID,
                  count: int) -> list:
    """The consumer's pending entries after `after` (XREADGROUP with an ID): each one
    delivered again, or [ID, nil] when the entry was deleted meanwhile."""
    start = increment_id(after)
    if start is None:
        return []
    reply = []
    now = _now(client)
    for stream_id in consumer.pel.irange(start):
        fields = stream.get(stream_id)
        if fields is None:
            reply.append([format_id(stream_id), NULL_ARRAY])
        else:
            nack = consumer.pel[stream_id]
            nack.delivery_time = now
            nack.delivery_count += 1
            reply.append(_entry(stream_id, fields))
        if len(reply) == count:
            break
    return reply


def _xread(client: Client, argv, group_read: bool):
    timeout = -1.0
    count = 0
    streams_index = 0
    group_name = consumer_name = None
    noack = False
    name = argv[0].decode(errors="surrogateescape")
    i = 1
    while i < len(argv):
        more = len(argv) - i - 1
        option = argv[i].lower()
        if option == b"block" and more:
            if client.sock is None:
                raise block_in_script(name)
            i += 1
            timeout = blocking.parse_timeout(argv[i], milliseconds=True)
        elif option == b"count" and more:
            i += 1
            count = max(parse_int(argv[i]), 0)
        elif option == b"streams" and more:
            streams_index = i + 1
            if (len(argv) - streams_index) % 2:
                raise RedisError(XREAD_UNBALANCED)
            break
        elif option == b"group" and more >= 2:
            if not group_read:
                raise RedisError(XREAD_GROUP_OPTION)
            group_name, consumer_name = argv[i + 1], argv[i + 2]
            i += 2
        elif option == b"noack":
            if not group_read:
                raise RedisError(XREAD_NOACK_OPTION)
            noack = True
        else:
            raise syntax_error()
        i += 1
    if not streams_index:
        raise syntax_error()
    if group_read and group_name is None:
        raise RedisError(XREADGROUP_WITHOUT_GROUP)
    if group_read:
        # What it changed in the groups is propagated as it happens (XCLAIM, XGROUP).
        client.server.propagation.prevent()
    half = (len(argv) - streams_index) // 2
    keys = argv[streams_index:streams_index + half]
    # Each key's position: the ID entries must follow, None for XREADGROUP's ">".
    after: list[Optional[StreamID]] = []
    groups: list[Optional[ConsumerGroup]] = []
    for key, raw in zip(keys, argv[streams_index + half:]):
        stream = _lookup(client, key)
        group = None
        if group_name is not None:
            group = stream.groups.get(group_name) if stream is not None else None
            if group is None:
                raise no_group(key, group_name, " in XREADGROUP with GROUP option")
        groups.append(group)
        if raw == b"$":
            if group_read:
                raise RedisError(XREADGROUP_DOLLAR_ID)
            after.append(stream.last_id if stream is not None else MIN_ID)
        elif raw == b">":
            if not group_read:
                raise RedisError(XREAD_GREATER_ID)
            after.append(None)
        else:
            after.append(parse_strict_id(raw))
    served = []
    for key, position, group in zip(keys, after, groups):
        stream = _lookup(client, key)
        if stream is None:
            continue
        if group is not None:
            if position is None and not (stream.length
                                         and stream.last_valid_id() > group.last_id):
                continue
            consumer = _consumer(client, key, group, consumer_name,  # type: ignore[arg-type]
                                 group_name if noack else None)     # (GROUP names both)
            if position is not None:
                entries = _read_history(client, stream, consumer, position, count)
            else:
                entries = _read_new(client, stream, group.last_id, count, group, consumer,
                                    noack, key, group_name)  # type: ignore[arg-type]
            client.server.keyspace.count_changes()
        else:
            # position is None only for '>', which XREAD refused without GROUP
            if position is None or not (stream.length and stream.last_valid_id() > position):
                continue
            entries = _read_new(client, stream, position, count, None, None, False)
        served.append((key, entries))
    if served:
        return _streams_reply(client, served)
    if timeout < 0:
        return NULL_ARRAY
    if not blocking.may_block(client):
        return NULL_ARRAY
    _block(client, keys, after, group_name, consumer_name, noack,
           count or XREAD_BLOCKED_DEFAULT_COUNT, timeout)
    return NO_REPLY


def _block(client: Client, keys: list[bytes], after: list, group_name: Optional[bytes],
           consumer_name: Optional[bytes], noack: bool, count: int, timeout: float) -> None:
    """Wait for entries past each key's ID (for a group, past its last delivered ID)."""
    positions = dict(zip(keys, after))

    def serve(receiver: Client, db: Database, key: bytes, stream: StreamValue) -> bool:
        group = None
        position = positions[key]
        if group_name is not None:
            group = stream.groups.get(group_name)
            if group is None:
                receiver.add_error(GROUP_GONE_WHILE_BLOCKED)
                return True
            position = group.last_id
        if not stream.last_id > position:
            return False
        consumer = (_consumer(receiver, key, group, consumer_name,  # type: ignore[arg-type]
                              group_name if noack else None)        # (GROUP names both)
                    if group else None)
        entries = _read_new(receiver, stream, position, count, group, consumer, noack, key,
                            group_name or b"")
        if group is not None:
            receiver.server.keyspace.count_changes()
        receiver.add_reply(_streams_reply(receiver, [(key, entries)]))
        return True

    on_gone = None
    if group_name is not None:
        def on_gone(receiver: Client, db: Database, key: bytes) -> bool:
            receiver.add_error(STREAM_GONE_WHILE_BLOCKED)
            return True
    blocking.block(client, keys, StreamValue, serve, timeout, on_gone=on_gone)


@command("xread")
def xread(client: Client, argv: list[bytes]) -> Reply:
    return _xread(client, argv, False)


@command("xreadgroup")
def xreadgroup(client: Client, argv: list[bytes]) -> Reply:
    return _xread(client, argv, True)


# -- consumer groups ----------------------------------------------------------------------------

XGROUP_HELP = (
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
)


def _xgroup_target(client: Client, argv, options_allowed: tuple) -> tuple:
    """XGROUP's common part (Redis's xgroupCommand preamble): options after the ID, then
    the stream (which must exist unless MKSTREAM) and the group, with their errors.
    Returns (stream or None, group or None, mkstream, entries_read)."""
    mkstream = False
    entries_read: Optional[int] = None
    i = 5
    while i < len(argv):
        option = argv[i].lower()
        if b"mkstream" in options_allowed and option == b"mkstream":
            mkstream = True
            i += 1
        elif b"entriesread" in options_allowed and option == b"entriesread" \
                and i + 1 < len(argv):
            value = parse_int(argv[i + 1])
            if value < 0 and value != -1:
                raise RedisError(ENTRIES_READ_RANGE)
            entries_read = None if value == -1 else value
            i += 2
        else:
            raise subcommand_syntax(argv)
    stream = _lookup(client, argv[2], write=True)
    group = None
    if not mkstream:
        if stream is None:
            raise RedisError(XGROUP_WITHOUT_KEY)
        group = stream.groups.get(argv[3])
        if group is None and argv[1].lower() != b"create" and argv[1].lower() != b"destroy":
            raise no_such_group(argv[3], argv[2])
    return stream, group, mkstream, entries_read


@command("xgroup|help")
def xgroup_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, XGROUP_HELP)


@command("xgroup|create")
def xgroup_create(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 8:
        raise subcommand_syntax(argv)
    stream, _, _, entries_read = _xgroup_target(client, argv, (b"mkstream", b"entriesread"))
    db, key = client.db, argv[2]
    if argv[4] == b"$":
        last = stream.last_id if stream is not None else MIN_ID
    else:
        last = parse_strict_id(argv[4])
    if stream is None:
        stream = StreamValue()
        db.set(key, stream)
        db.signal_modified(key)
    if argv[3] in stream.groups:
        raise RedisError(BUSYGROUP)
    stream.groups[argv[3]] = ConsumerGroup(last, entries_read)
    db.metadata_written(key, "t", "xgroup-create")
    return OK


@command("xgroup|setid")
def xgroup_setid(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) not in (5, 7):
        raise subcommand_syntax(argv)
    stream, group, _, entries_read = _xgroup_target(client, argv, (b"entriesread",))
    if argv[4] == b"$":
        last = stream.last_id
    else:
        last = parse_id(argv[4])[0]
    group.last_id = last
    group.entries_read = entries_read
    client.db.metadata_written(argv[2], "t", "xgroup-setid")
    return OK


@command("xgroup|destroy")
def xgroup_destroy(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) != 4:
        raise subcommand_syntax(argv)
    stream, group, _, _ = _xgroup_target(client, argv, ())
    if group is None:
        return 0
    del stream.groups[argv[3]]
    client.db.metadata_written(argv[2], "t", "xgroup-destroy")
    # Clients blocked in XREADGROUP on that group learn it is gone.
    blocking.signal_ready(client.db, argv[2])
    return 1


@command("xgroup|createconsumer")
def xgroup_createconsumer(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) != 5:
        raise subcommand_syntax(argv)
    _, group, _, _ = _xgroup_target(client, argv, ())
    if group.add_consumer(argv[4], _now(client)) is None:
        return 0
    client.db.metadata_written(argv[2], "t", "xgroup-createconsumer")
    return 1


@command("xgroup|delconsumer")
def xgroup_delconsumer(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) != 5:
        raise subcommand_syntax(argv)
    _, group, _, _ = _xgroup_target(client, argv, ())
    consumer = group.consumers.get(argv[4])
    if consumer is None:
        return 0
    pending = group.delete_consumer(consumer)
    client.db.metadata_written(argv[2], "t", "xgroup-delconsumer")
    return pending


def _group_of(client: Client, key: bytes, group_name: bytes, write: bool = False):
    """(stream, group) or (stream or None, None)."""
    stream = _lookup(client, key, write)
    if stream is None:
        return None, None
    return stream, stream.groups.get(group_name)


@command("xack")
def xack(client: Client, argv: list[bytes]) -> Reply:
    _, group = _group_of(client, argv[1], argv[2], write=True)
    if group is None:
        return 0
    ids = [parse_strict_id(raw) for raw in argv[3:]]
    acknowledged = sum(1 for stream_id in ids if group.acknowledge(stream_id))
    client.server.keyspace.count_changes(acknowledged)
    return acknowledged


@command("xpending")
def xpending(client: Client, argv: list[bytes]) -> Reply:
    argc = len(argv)
    if argc != 3 and not 6 <= argc <= 9:
        raise syntax_error()
    min_idle = 0
    consumer_name = None
    if argc >= 6:
        start_index = 3
        if argv[3].lower() == b"idle":
            min_idle = parse_int(argv[4])
            if argc < 8:
                raise syntax_error()
            start_index = 5
        count = max(parse_int(argv[start_index + 2]), 0)
        start = _interval_start(argv[start_index])
        end = _interval_end(argv[start_index + 1])
        if start_index + 3 < argc:
            consumer_name = argv[start_index + 3]
    stream, group = _group_of(client, argv[1], argv[2])
    if group is None:
        raise no_group(argv[1], argv[2])
    if argc == 3:
        pel = group.pel
        if not pel:
            return [0, None, None, NULL_ARRAY]
        consumers = [[c.name, b"%d" % len(c.pel)] for c in group.sorted_consumers() if c.pel]
        return [len(pel), format_id(pel.keys()[0]), format_id(pel.keys()[-1]), consumers]
    if consumer_name is not None:
        consumer = group.consumers.get(consumer_name)
        if consumer is None:
            return []
        pel = consumer.pel
    else:
        pel = group.pel
    now = _now(client)
    reply = []
    if count:
        for stream_id in pel.irange(start, end):
            nack = pel[stream_id]
            idle = now - nack.delivery_time
            if min_idle and idle < min_idle:
                continue
            reply.append([format_id(stream_id), nack.consumer.name, max(idle, 0),
                          nack.delivery_count])
            if len(reply) == count:
                break
    return reply


@command("xclaim")
def xclaim(client: Client, argv: list[bytes]) -> Reply:
    key, group_name, consumer_name = argv[1], argv[2], argv[3]
    stream, group = _group_of(client, key, group_name, write=True)
    if group is None:
        raise no_group(key, group_name)
    min_idle = max(parse_int(argv[4], XCLAIM_MIN_IDLE), 0)
    ids = []
    j = 5
    while j < len(argv):
        try:
            ids.append(parse_strict_id(argv[j]))
        except RedisError:
            break
        j += 1
    now = _now(client)
    delivery_time = retry_count = None
    force = just_id = False
    last_id = MIN_ID
    while j < len(argv):
        more = len(argv) - 1 - j
        option = argv[j].lower()
        if option == b"force":
            force = True
        elif option == b"justid":
            just_id = True
        elif option == b"idle" and more:
            j += 1
            delivery_time = now - parse_int(argv[j], XCLAIM_IDLE)
        elif option == b"time" and more:
            j += 1
            delivery_time = parse_int(argv[j], XCLAIM_TIME)
        elif option == b"retrycount" and more:
            j += 1
            retry_count = parse_int(argv[j], XCLAIM_RETRYCOUNT)
        elif option == b"lastid" and more:
            j += 1
            last_id = parse_strict_id(argv[j])
        else:
            raise unknown_xclaim_option(argv[j])
        j += 1
    # Propagated as what it changed (XCLAIM ... FORCE JUSTID for each entry, or the group's
    # new last ID), not as itself.
    propagating = client.server.propagation.active
    client.server.propagation.prevent()
    propagate_last_id = False
    if last_id > group.last_id:
        group.last_id = last_id
        propagate_last_id = True
    if delivery_time is None or delivery_time < 0 or delivery_time > now:
        delivery_time = now
    consumer = None
    reply = []
    for index, stream_id in enumerate(ids):
        nack = group.pel.get(stream_id)
        fields = stream.get(stream_id)
        if fields is None:
            # A deleted entry leaves the PEL instead of being claimed.
            if nack is not None:
                if propagating:
                    _propagate_claim(client, key, group_name, group, argv[5 + index], nack)
                propagate_last_id = False
                group.acknowledge(stream_id)
                client.server.keyspace.count_changes()
            continue
        if force and nack is None:
            nack = group.pel[stream_id] = PendingEntry(None, now)
        if nack is None:
            continue
        if nack.consumer is not None and min_idle and now - nack.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = _consumer(client, key, group, consumer_name)
        group.assign(stream_id, nack, consumer)
        nack.delivery_time = delivery_time
        if retry_count is not None:
            nack.delivery_count = retry_count
        elif not just_id:
            nack.delivery_count += 1
        reply.append(format_id(stream_id) if just_id else _entry(stream_id, fields))
        client.server.keyspace.count_changes()
        if propagating:
            _propagate_claim(client, key, group_name, group, argv[5 + index], nack)
        propagate_last_id = False
    if propagate_last_id:
        client.server.keyspace.count_changes()
        if propagating:
            _propagate_group_id(client, key, group_name, group)
    return reply


@command("xautoclaim")
def xautoclaim(client: Client, argv: list[bytes]) -> Reply:
    key, group_name, consumer_name = argv[1], argv[2], argv[3]
    min_idle = max(parse_int(argv[4], XAUTOCLAIM_MIN_IDLE), 0)
    start = _interval_start(argv[5])
    count = 100
    just_id = False
    j = 6
    while j < len(argv):
        option = argv[j].lower()
        if option == b"count" and len(argv) - 1 - j:
            count = parse_int(argv[j + 1], COUNT_NOT_ABOVE_ZERO)
            if not 1 <= count <= (2**63 - 1) // 10:
                raise RedisError(COUNT_NOT_ABOVE_ZERO)
            j += 1
        elif option == b"justid":
            just_id = True
        else:
            raise syntax_error()
        j += 1
    stream, group = _group_of(client, key, group_name, write=True)
    if group is None:
        raise no_group(key, group_name)
    attempts = count * 10
    now = _now(client)
    propagating = client.server.propagation.active
    client.server.propagation.prevent()      # propagated as an XCLAIM for each entry
    consumer = None
    claimed: list = []
    deleted: list = []
    pel = group.pel
    position = pel.bisect_left(start)
    while attempts and count and position < len(pel):
        attempts -= 1
        stream_id = pel.keys()[position]
        nack = pel[stream_id]
        fields = stream.get(stream_id)
        if fields is None:
            if propagating:
                _propagate_claim(client, key, group_name, group, format_id(stream_id), nack)
            group.acknowledge(stream_id)
            client.server.keyspace.count_changes()
            deleted.append(format_id(stream_id))
            count -= 1
            continue
        position += 1
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = _consumer(client, key, group, consumer_name)
        group.assign(stream_id, nack, consumer)
        nack.delivery_time = now
        if not just_id:
            nack.delivery_count += 1
        claimed.append(format_id(stream_id) if just_id else _entry(stream_id, fields))
        count -= 1
        client.server.keyspace.count_changes()
        if propagating:
            _propagate_claim(client, key, group_name, group, format_id(stream_id), nack)
    next_start = format_id(pel.keys()[position]) if position < len(pel) else b"0-0"
    return [next_start, claimed, deleted]


# -- XINFO --------------------------------------------------------------------------------------

XINFO_HELP = (
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
)


@command("xinfo|help")
def xinfo_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, XINFO_HELP)


def _xinfo_stream_of(client: Client, key: bytes) -> StreamValue:
    stream = _lookup(client, key)
    if stream is None:
        raise RedisError(NO_SUCH_KEY)
    return stream


@command("xinfo|consumers")
def xinfo_consumers(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) != 4:
        raise subcommand_syntax(argv)
    stream = _xinfo_stream_of(client, argv[2])
    group = stream.groups.get(argv[3])
    if group is None:
        raise no_such_group(argv[3], argv[2])
    now = _now(client)
    return [{b"name": c.name, b"pending": len(c.pel), b"idle": max(now - c.seen_time, 0)}
            for c in group.sorted_consumers()]


@command("xinfo|groups")
def xinfo_groups(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) != 3:
        raise subcommand_syntax(argv)
    stream = _xinfo_stream_of(client, argv[2])
    return [{b"name": name, b"consumers": len(group.consumers), b"pending": len(group.pel),
             b"last-delivered-id": format_id(group.last_id),
             b"entries-read": group.entries_read, b"lag": stream.lag(group)}
            for name, group in stream.sorted_groups()]


@command("xinfo|stream")
def xinfo_stream(client: Client, argv: list[bytes]) -> Reply:
    stream = _xinfo_stream_of(client, argv[2])
    options = argv[3:]
    full = bool(options)
    count = 10
    if options:
        if len(options) not in (1, 3) or options[0].lower() != b"full":
            raise subcommand_syntax(argv)
        if len(options) == 3:
            if options[1].lower() != b"count":
                raise subcommand_syntax(argv)
            count = parse_int(options[2])
            if count < 0:
                count = 10
    info: dict = {
        b"length": stream.length,
        b"radix-tree-keys": stream.node_count(),
        b"radix-tree-nodes": _radix_tree_nodes(stream),
        b"last-generated-id": format_id(stream.last_id),
        b"max-deleted-entry-id": format_id(stream.max_deleted_id),
        b"entries-added": stream.entries_added,
        b"recorded-first-entry-id": format_id(stream.first_id),
    }
    if not full:
        first, last = stream.first_entry(), stream.last_entry()
        info[b"groups"] = len(stream.groups)
        info[b"first-entry"] = _entry(*first) if first else None
        info[b"last-entry"] = _entry(*last) if last else None
        return info
    info[b"entries"] = [_entry(*e) for e in stream.range(MIN_ID, MAX_ID, count)]
    info[b"groups"] = [_group_full(stream, name, group, count)
                       for name, group in stream.sorted_groups()]
    return info


def _radix_tree_nodes(stream: StreamValue) -> int:
    """How many nodes Redis's radix tree of the stream's nodes has (XINFO's
    radix-tree-nodes): its keys are the 16-byte big-endian node IDs, and a compressed
    radix tree has a node at the root, at each key, at each branching point and at each
    child of one."""
    keys = [b"".join(part.to_bytes(8, "big") for part in key) for key in stream.keys]
    children: dict[bytes, set] = {}
    for key in keys:
        for length in range(len(key)):
            children.setdefault(key[:length], set()).add(key[length])
    nodes = {b""} | set(keys)
    for prefix, following in children.items():
        if len(following) > 1:
            nodes.add(prefix)
            nodes.update(prefix + bytes([byte]) for byte in following)
    return len(nodes)


def _group_full(stream: StreamValue, name: bytes, group: ConsumerGroup, count: int) -> dict:
    def limited(pel):
        items = pel.items()
        return items if not count else items[:count]
    return {
        b"name": name,
        b"last-delivered-id": format_id(group.last_id),
        b"entries-read": group.entries_read,
        b"lag": stream.lag(group),
        b"pel-count": len(group.pel),
        b"pending": [[format_id(i), n.consumer.name, n.delivery_time, n.delivery_count]
                     for i, n in limited(group.pel)],
        b"consumers": [{
            b"name": c.name,
            b"seen-time": c.seen_time,
            b"pel-count": len(c.pel),
            b"pending": [[format_id(i), n.delivery_time, n.delivery_count]
                         for i, n in limited(c.pel)],
        } for c in group.sorted_consumers()],
    }

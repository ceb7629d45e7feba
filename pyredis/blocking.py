"""Clients blocked on keys (Redis's blocked.c): BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP, XREAD ...

How a blocking command uses this module:

    timeout = parse_timeout(argv[-1])           # seconds as a float, 0 = forever
    ... try to serve at once; if nothing is there:
    if not may_block(client):                   # inside MULTI/EXEC or a script
        return NULL_ARRAY                       # the command answers as if it timed out
    block(client, keys, ListValue, serve, timeout)
    return NO_REPLY

`serve(client, db, key, value) -> bool` is called at the end of a command that touched one of
the keys (Redis's handleClientsBlockedOnKeys), once the key holds a value of the class `kind`.
It does the work of the command on `value` (pop, move ...), queues the reply with
client.add_reply and returns True; the client is then unblocked. Returning False keeps the
client blocked (a stream with nothing new for it). Clients blocked on a key are offered it in
the order they blocked (FIFO), and serving stops once the key's value is gone (deleted or
replaced). Values of another class never serve a client (Redis 7.0's type rules): a client in
BLPOP stays blocked while the key holds a sorted set. `on_gone(client, db, key) -> bool`, if
given, is called instead when the key was deleted or holds another type (XREADGROUP); it may
reply and return True to unblock the client.

Keys become ready through `Database.signal_modified`, which reports (db, key, type of the
value now there) to the keyspace events' `key_ready`, wired by the server to append to
`server.ready_keys`, when a client is blocked on the key; a write counts
only if it left a value of a type some waiter wants (or a waiter has `on_gone`), as Redis
signals keys, so keys are served in Redis's order. `server.process_command` calls
`server.blocking.serve_ready_keys()` after each command that left keys ready, so a push inside
MULTI/EXEC or a script wakes clients only once the whole transaction or script has run, and the
pushes done while serving (BLMOVE into a key others wait on) are served in the same pass.

A timeout is a reactor timer (no polling): when it fires the client gets `on_timeout(client)`,
by default the null array, as Redis replies; a deadline the server's clock passed by moving
forward (DEBUG ADVANCE-CLOCK) is caught by the next cron tick. CLIENT UNBLOCK id
[TIMEOUT|ERROR] (registered here) ends a block the same way or with an UNBLOCKED error; a freed
client leaves every queue it was in. `server.blocked_clients` counts blocked clients (INFO).
"""
from __future__ import annotations

import math
from fractions import Fraction
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Callable, Optional

from .args import parse_int
from .commands import TABLE, command
from .errors import (TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, TIMEOUT_NOT_INTEGER, UNBLOCKED,
                     UNBLOCK_REASON, RedisError, subcommand_syntax)
from .longdouble import ZERO, add_long_double, parse_long_double
from .protocol.encode import NULL_ARRAY, Reply
from .types.integers import INT64_MAX

if TYPE_CHECKING:
    from .client import Client
    from .db import Database
    from .server import Server

Serve = Callable[["Client", "Database", bytes, Any], bool]
OnGone = Callable[["Client", "Database", bytes], bool]

# Timers are armed at most this far ahead; a longer block re-arms (a timeout of years).
MAX_TIMER_DELAY = 86400.0 * 30


class BlockedState:
    """What a blocked client waits for: `client.blocked` while it is blocked."""

    __slots__ = ("db", "keys", "kind", "serve", "on_gone", "on_timeout", "deadline", "timer",
                 "duration")

    def __init__(self, db: "Database", keys: list[bytes], kind: type, serve: Serve,
                 on_gone: Optional[OnGone], on_timeout: Callable[["Client"], None],
                 deadline: float) -> None:
        self.db = db
        self.keys = keys
        self.kind = kind
        self.serve = serve
        self.on_gone = on_gone
        self.on_timeout = on_timeout
        self.deadline = deadline     # monotonic seconds, 0 = never
        self.timer: Optional[int] = None
        self.duration = 0            # µs the command ran before it blocked


# -- arguments --------------------------------------------------------------------------------

def parse_timeout(raw: bytes, milliseconds: bool = False) -> float:
    """A blocking timeout as seconds (0 = forever), with Redis's checks and errors: seconds
    as a long double (hex and exponents accepted) rounded up to whole ms, or integer ms."""
    if milliseconds:
        ms = parse_int(raw, TIMEOUT_NOT_INTEGER)
    elif raw.isdigit() and len(raw) < 16:
        ms = int(raw) * 1000          # the common case: whole seconds
    else:
        seconds = parse_long_double(raw)
        if seconds is None:
            raise RedisError(TIMEOUT_NOT_FLOAT)
        scaled = add_long_double(seconds * 1000, ZERO) if isinstance(seconds, Fraction) \
            else None
        # Past the 64-bit range, C's conversion gives LLONG_MIN: "negative".
        ms = math.ceil(scaled) if scaled is not None else -1
        if not -INT64_MAX - 1 <= ms <= INT64_MAX:
            ms = -1
    if ms < 0:
        raise RedisError(TIMEOUT_NEGATIVE)
    return ms / 1000.0


# -- blocking ---------------------------------------------------------------------------------

def may_block(client: "Client") -> bool:
    """Whether the client may block now (Redis's CLIENT_DENY_BLOCKING): not inside MULTI/EXEC
    (EXEC runs its queue with `in_multi` still set) and not from a script (no socket)."""
    return not client.in_multi and client.sock is not None


def block(client: "Client", keys: list[bytes], kind: type, serve: Serve, timeout: float,
          on_gone: Optional[OnGone] = None,
          on_timeout: Optional[Callable[["Client"], None]] = None) -> None:
    """Block `client` on `keys` (in its current db) until `serve` succeeds on one of them or
    `timeout` seconds pass (0 = forever). The command then returns NO_REPLY."""
    server = client.server
    db = client.db
    unique = list(dict.fromkeys(keys))
    deadline = server.clock.monotonic() + timeout if timeout > 0 else 0.0
    state = BlockedState(db, unique, kind, serve, on_gone, on_timeout or _reply_timed_out,
                         deadline)
    for key in unique:
        waiting = db.blocking_keys.get(key)
        if waiting is None:
            waiting = db.blocking_keys[key] = {}
        waiting[client] = None
    client.blocked = state
    server.blocked_clients += 1
    if deadline:
        _arm_timer(client, state, timeout)


def unblock(client: "Client") -> None:
    """Release a blocked client (after its reply was queued): leave the keys' queues, stop
    the timer, and run whatever it pipelined meanwhile (soon, outside the current command)."""
    state = client.blocked
    if state is None:
        return
    _release(client, state)
    _queue_for_reprocessing(client)


def _release(client: "Client", state: BlockedState) -> None:
    blocking_keys = state.db.blocking_keys
    for key in state.keys:
        waiting = blocking_keys.get(key)
        if waiting is not None:
            waiting.pop(client, None)
            if not waiting:
                del blocking_keys[key]
    if state.timer is not None:
        client.server.reactor.cancel(state.timer)
        state.timer = None
    client.blocked = None
    client.server.blocked_clients -= 1


def _reply_timed_out(client: "Client") -> None:
    client.add_reply(NULL_ARRAY)


def _arm_timer(client: "Client", state: BlockedState, delay: float) -> None:
    def expire() -> None:
        if client.blocked is not state:
            return
        state.timer = None
        left = state.deadline - client.server.clock.monotonic()
        if left > 0.0005:        # woken early (a capped timer, or the clock moved back)
            _arm_timer(client, state, left)
            return
        _time_out(client, state)
    state.timer = client.server.reactor.call_later(min(delay, MAX_TIMER_DELAY), expire)


def _time_out(client: "Client", state: BlockedState) -> None:
    state.on_timeout(client)
    unblock(client)


def blocked_clients_with_timeout(server: "Server") -> int:
    """INFO's clients_in_timeout_table."""
    return sum(1 for c in server.clients.values()
               if isinstance(c.blocked, BlockedState) and c.blocked.deadline)


# -- the server's part ------------------------------------------------------------------------

def signal_ready(db: "Database", key: bytes) -> None:
    """Offer key to its blocked clients again without it counting as modified for WATCH or
    tracking (Redis's bare signalKeyAsReady: XGROUP DESTROY wakes XREADGROUP)."""
    if db.blocking_keys and key in db.blocking_keys:
        db.events.key_ready(db, key, type(db.data.get(key)))


class Blocking:
    """The server's part for clients blocked on keys: serving them once their keys are
    written, timing them out when the clock jumps ahead, releasing a freed client."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.clock_offset = getattr(server.clock, "offset", None)   # as the cron last saw it

    def serve_ready_keys(self) -> None:
        """Serve the clients blocked on keys written by the command that just ran, key by key
        in the order they became ready, each key's clients first-blocked-first-served."""
        server = self.server
        while server.ready_keys:
            signals, server.ready_keys = server.ready_keys, []
            batch: dict[tuple, tuple] = {}
            for db, key, kind in signals:
                ident = (id(db), key)
                if ident not in batch and _makes_ready(db, key, kind):
                    batch[ident] = (db, key)
            waiting = set(batch)
            for ident, (db, key) in batch.items():
                waiting.discard(ident)
                mark = len(server.ready_keys)
                _serve_key(server, db, key)
                if waiting and len(server.ready_keys) > mark:
                    # Redis queues a key once until it is served: a key written while serving
                    # another one, and still waiting in this batch, is not queued again.
                    server.ready_keys[mark:] = [e for e in server.ready_keys[mark:]
                                                if (id(e[0]), e[1]) not in waiting]

    def time_out_if_clock_jumped(self) -> None:
        """From the cron: time out the blocks whose deadline the server's clock passed by
        moving forward (DEBUG ADVANCE-CLOCK, tests) ahead of their timers. Timers follow real
        time, so only a moved clock can leave deadlines behind."""
        server = self.server
        offset = getattr(server.clock, "offset", None)
        if offset is not None and offset == self.clock_offset:
            return
        self.clock_offset = offset
        if not server.blocked_clients:
            return
        now = server.clock.monotonic()
        for client in list(server.clients.values()):
            state = client.blocked
            if isinstance(state, BlockedState) and state.deadline and state.deadline <= now:
                _time_out(client, state)

    @staticmethod
    def client_freed(client: "Client") -> None:
        """A freed client leaves the queues of the keys it waited on."""
        state = client.blocked
        if state is not None:
            _release(client, state)


def _makes_ready(db: "Database", key: bytes, kind: type) -> bool:
    """Whether a write that left a value of type `kind` at key (NoneType: deleted) makes it
    ready, as Redis signals it: for a client waiting for that type, or for one that wants to
    hear of its key's deletion or change of type (`on_gone`)."""
    for client in db.blocking_keys.get(key, ()):
        state = client.blocked
        if isinstance(state, BlockedState) and (state.kind is kind or state.on_gone):
            return True
    return False


def _serve_key(server: "Server", db: "Database", key: bytes) -> None:
    waiting = db.blocking_keys.get(key)
    if not waiting:
        return
    value = db.peek(key)
    for client in list(waiting):
        state = client.blocked
        if state is None or state.db is not db or client not in waiting:
            continue
        errors_before = server.stats.error_replies
        start = perf_counter_ns()
        if value is not None and type(value) is state.kind:
            served = server.run_as(client, state.serve, client, db, key, value)
        elif state.on_gone is not None:
            served = server.run_as(client, state.on_gone, client, db, key)
        else:
            continue
        if served:
            count_unblocked_call(client, (perf_counter_ns() - start) // 1000,
                                 server.stats.error_replies > errors_before, client.argv)
            unblock(client)
        if value is not None and db.data.get(key) is not value:
            break       # the value was emptied and deleted: nothing left to serve


def count_unblocked_call(client: "Client", reply_usec: int, failed: bool,
                         argv: list[bytes]) -> None:
    """The blocked command's figures once it is served or unblocked, before it leaves its
    blocked state (Redis's updateStatsOnUnblock): the time it kept the server busy, its
    first call's plus the serving's, in INFO commandstats, latencystats and the slow log
    (with `argv` as its arguments); a failed call; the serving alone may be a latency
    spike."""
    server = client.server
    cmd = TABLE[client.last_cmd]
    state = client.blocked
    usec = (state.duration if state is not None else 0) + reply_usec
    cmd.usec += usec
    if failed:
        cmd.failed_calls += 1
    if server.config.latency_tracking:
        cmd.latency.record(usec)
    if "skip-slowlog" not in cmd.flags:
        server.slowlog.push_if_needed(client, argv, usec)
    server.latency.add_sample_if_needed("command-unblocking", reply_usec // 1000)


# -- unblocked clients' pending input ---------------------------------------------------------

def _queue_for_reprocessing(client: "Client") -> None:
    """Run the client's pipelined input before the loop sleeps, not inside the command that
    released it (Redis's unblocked_clients list)."""
    if not client.input_pending:
        client.input_pending = True
        client.server.pending_input.append(client)


@command("client|unblock")
def client_unblock(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 4:
        raise subcommand_syntax(argv)
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            error = True
        elif reason != b"timeout":
            raise RedisError(UNBLOCK_REASON)
    target = client.server.clients.get(parse_int(argv[2]))
    if target is None or target.blocked is None or not isinstance(target.blocked, BlockedState):
        return 0
    if error:
        target.add_error(UNBLOCKED)
    else:
        target.blocked.on_timeout(target)
    # A failure even for TIMEOUT, and logged without its arguments (released by then), as
    # Redis 7.0 does.
    count_unblocked_call(target, 0, True, [])
    unblock(target)
    return 1

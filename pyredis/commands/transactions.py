"""Transactions: MULTI EXEC DISCARD WATCH UNWATCH.

Queueing is done by the server's command path (commands answer +QUEUED, and a command
refused while queueing makes EXEC fail with EXECABORT); the WATCH bookkeeping lives in the
Database write hook (db.WatchedKey). EXEC runs the queued commands one after the other
through the server's call(), so blocked clients are served only once the whole transaction
is done and a client's own invalidation messages come after the EXEC reply.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..acl import exec_denied_message
from ..db import unwatch_all
from ..errors import (DISCARD_WITHOUT_MULTI, EXECABORT, EXEC_WITHOUT_MULTI, NESTED_MULTI,
                      WATCH_IN_MULTI, RedisError)
from ..protocol.encode import NO_REPLY, NULL_ARRAY, OK, Raw, Reply
from . import TABLE, command

if TYPE_CHECKING:
    from ..client import Client

EXEC = TABLE["exec"]


@command("multi")
def multi(client: Client, argv: list[bytes]) -> Reply:
    if client.in_multi:
        raise RedisError(NESTED_MULTI)
    client.in_multi = True
    return OK


def exec_flags(client: Client, argv: list[bytes]) -> frozenset:
    """EXEC is checked as a write (denyoom, may-replicate ...) command when one of its queued
    commands is (Redis's mstate.cmd_flags, kept as they are queued)."""
    return EXEC.flags | client.multi_flags


@command("exec", dynamic_flags=exec_flags)
def exec_(client: Client, argv: list[bytes]) -> Reply:
    if not client.in_multi:
        raise RedisError(EXEC_WITHOUT_MULTI)
    # EXEC itself is not propagated: its commands are, wrapped in MULTI ... EXEC.
    client.server.propagation.prevent()
    if not client.watch_dirty and _watched_key_expired(client):
        client.watch_dirty = True
    if client.multi_error or client.watch_dirty:
        aborted = client.multi_error
        client.discard_transaction()
        if aborted:
            raise RedisError(EXECABORT)
        return NULL_ARRAY
    if client.watched:
        unwatch_all(client)   # before running: the transaction's own writes do not matter
    queue = client.multi_queue
    client.add_reply(Raw(b"*%d\r\n" % len(queue)))
    call = client.server.call
    try:
        # in_multi stays set meanwhile: blocking commands answer at once, as if timed out.
        acl = client.server.acl
        for cmd, cmd_argv in queue:
            client.argv = cmd_argv
            if not client.user.unrestricted:
                # Permissions may have changed since the command was queued.
                denied = acl.denial(client, cmd, cmd_argv, b"multi")
                if denied:
                    client.add_error(exec_denied_message(denied))
                    continue
            call(client, cmd, cmd_argv)
    finally:
        client.argv = argv
        client.discard_transaction()
    return NO_REPLY


def _watched_key_expired(client: Client) -> bool:
    """A WATCHed key's TTL passed since WATCH (keys already stale then do not count)."""
    return any(not watched.expired and watched.db.is_expired(watched.key)
               for watched in client.watched)


@command("discard")
def discard(client: Client, argv: list[bytes]) -> Reply:
    if not client.in_multi:
        raise RedisError(DISCARD_WITHOUT_MULTI)
    client.discard_transaction()
    return OK


@command("watch")
def watch(client: Client, argv: list[bytes]) -> Reply:
    if client.in_multi:
        raise RedisError(WATCH_IN_MULTI)
    if not client.watch_dirty:    # once dirty, more WATCHes cannot change the outcome
        db = client.db
        for key in argv[1:]:
            db.watch(client, key)
    return OK


@command("unwatch")
def unwatch(client: Client, argv: list[bytes]) -> Reply:
    if client.watched:
        unwatch_all(client)
    client.watch_dirty = False
    return OK

"""MIGRATE: move keys to another server, as DUMP there and RESTORE on the other side.

As in Redis, the transfer is synchronous: the server waits for the target (up to the
timeout for each write and each reply line) before it serves anyone else, which is what
makes MIGRATE atomic from the clients' point of view. The connections stay open between
calls (pyredis.migration), so a failure on a connection that went stale is tried once more
on a new one, unless it was a timeout.
"""
from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Optional

from ..args import ArgReader, parse_int
from ..errors import (MIGRATE_CONNECT_FAILED, MIGRATE_KEYS_WITH_KEY, RedisError,
                      migrate_io_error, migrate_target_error, syntax_error)
from ..migration import CachedSocket, RefusedConnection
from ..persistence import rdb
from ..protocol.encode import OK, Reply, SimpleString, encode_command
from ..server import redact
from . import command
from .getkeys import atoi

if TYPE_CHECKING:
    from ..client import Client

NOKEY = SimpleString(b"NOKEY")
REPLY_LINE_LIMIT = 1023          # Redis reads each reply line into a 1 KB buffer
WRITE_CHUNK = 64 * 1024


class _SocketError(Exception):
    """The connection failed while `writing` (or reading); `retry` unless it timed out."""

    def __init__(self, writing: bool, retry: bool) -> None:
        super().__init__()
        self.writing, self.retry = writing, retry


def _read_line(sock: socket.socket, timeout: int) -> bytes:
    """One reply line without its CRLF (at most REPLY_LINE_LIMIT bytes of it), read within
    timeout milliseconds."""
    deadline = time.monotonic() + timeout / 1000
    line = bytearray()
    try:
        while len(line) < REPLY_LINE_LIMIT:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            byte = sock.recv(1)
            if not byte:
                raise _SocketError(writing=False, retry=True)
            if byte == b"\n":
                return bytes(line[:-1] if line.endswith(b"\r") else line)
            line += byte
    except socket.timeout:
        raise _SocketError(writing=False, retry=False) from None
    except OSError:
        raise _SocketError(writing=False, retry=True) from None
    return bytes(line)


def _write(sock: socket.socket, data: bytes, timeout: int) -> None:
    try:
        for start in range(0, len(data), WRITE_CHUNK):
            sock.settimeout(timeout / 1000)
            sock.sendall(data[start:start + WRITE_CHUNK])
    except socket.timeout:
        raise _SocketError(writing=True, retry=False) from None
    except OSError:
        raise _SocketError(writing=True, retry=True) from None


@command("migrate")
def migrate(client: Client, argv: list[bytes]) -> Reply:
    """MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password]
    [AUTH2 username password] [KEYS key ...]."""
    copy = replace = False
    auth: list[bytes] = []           # [password] or [username, password]
    first, count = 3, 1
    reader = ArgReader(argv, 6)
    while reader.more():
        word = reader.keyword()
        if word == b"COPY":
            copy = True
        elif word == b"REPLACE":
            replace = True
        elif word == b"AUTH":
            auth = [reader.next()]
            redact(argv, reader.pos - 1)
        elif word == b"AUTH2":
            if reader.remaining() < 2:
                raise syntax_error()
            auth = [reader.next(), reader.next()]
            redact(argv, reader.pos - 2)
            redact(argv, reader.pos - 1)
        elif word == b"KEYS":
            if argv[3]:
                raise RedisError(MIGRATE_KEYS_WITH_KEY)
            first, count = reader.pos, reader.remaining()
            break
        else:
            raise syntax_error()
    timeout = parse_int(argv[5])
    dbid = parse_int(argv[4])
    if timeout <= 0:
        timeout = 1000
    keys = [key for key in argv[first:first + count] if client.db.get(key) is not None]
    if not keys:
        return NOKEY
    sockets = client.server.migrate_sockets
    retry = True
    while True:
        try:
            cached = sockets.get(argv[1], argv[2], atoi(argv[2]), timeout,
                                 client.server.clock.time())
        except RefusedConnection:
            cached, error = None, _SocketError(writing=True, retry=True)
        else:
            if cached is None:
                raise RedisError(MIGRATE_CONNECT_FAILED)
            try:
                return _transfer(client, cached, keys, dbid, timeout, copy, replace, auth)
            except _SocketError as exc:
                error = exc
        sockets.close(argv[1] + b":" + argv[2])
        if not (retry and error.retry):
            raise migrate_io_error("writing" if error.writing else "reading")
        retry = False


def _transfer(client: Client, cached: CachedSocket, keys: list[bytes], dbid: int,
              timeout: int, copy: bool, replace: bool, auth: list[bytes]) -> Reply:
    """Send AUTH, SELECT (unless the connection has the database selected) and a RESTORE
    per key still there in one write, then read their replies; each key the target took is
    deleted here (unless COPY). A failure before the first RESTORE reply raises
    _SocketError; after it, the keys already moved stay moved."""
    db, sock, now = client.db, cached.sock, client.server.clock.ms()
    request = bytearray()
    if auth:
        request += encode_command((b"AUTH", *auth))
    select = cached.last_dbid != dbid
    if select:
        request += encode_command((b"SELECT", b"%d" % dbid))
    restore = b"RESTORE-ASKING" if client.server.config.cluster_enabled else b"RESTORE"
    sent = []
    for key in keys:
        expire_at = db.get_expire(key)
        ttl = 0
        if expire_at is not None:
            ttl = expire_at - now
            if ttl < 0:
                continue
            ttl = max(ttl, 1)
        value = db.get(key)
        if value is None:
            continue
        sent.append(key)
        request += encode_command((restore, key, b"%d" % ttl, rdb.dump_payload(value),
                                   *((b"REPLACE",) if replace else ())))
    _write(sock, bytes(request), timeout)
    auth_reply = _read_line(sock, timeout) if auth else b""
    select_reply = _read_line(sock, timeout) if select else b""
    error: Optional[bytes] = None
    moved = [b"DEL"]
    for position, key in enumerate(sent):
        try:
            reply = _read_line(sock, timeout)
        except _SocketError as exc:
            if error is not None:
                client.server.migrate_sockets.close(cached.name)
                break               # the target's error is what the client hears
            if position:
                exc.retry = False   # some keys moved: no second attempt
            raise
        failed = next((line for line in (auth_reply, select_reply, reply)
                       if line.startswith(b"-")), None)
        if failed is not None:
            if error is None:
                cached.last_dbid = -1
                error = failed
        elif not copy:
            db.delete(key)
            db.written(key, "g", "del")
            moved.append(key)
            client.server.propagation.rewrite(moved)   # replayed as DEL of the keys moved
    if error is not None:
        raise migrate_target_error(error[1:])
    cached.last_dbid = dbid
    return OK

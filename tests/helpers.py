"""Test helpers: free ports, real servers started as subprocesses, a raw RESP connection
that returns each reply's exact bytes (for byte-for-byte differential tests), and a pyredis
server in a thread of the test process (LiveServer) for looking at what a command did inside."""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import tempfile
import threading
from typing import Optional, Sequence

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from pyredis.config import Config
from pyredis.launch import ServerProcess, free_port, launch
from pyredis.server import Server


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# For a redis-py client that must see a dropped connection, a failed AUTH or -LOADING as it
# happens: redis-py's default retries each 10 times with a backoff of seconds (`retry=NO_RETRY`).
NO_RETRY = Retry(NoBackoff(), 0)

# A differential test on raw connections about a command's semantics, in which pyredis's I/O
# backend plays no part: it runs on the default backend alone, not once per backend.
ONE_IO_BACKEND = pytest.mark.parametrize("server", ["selectors"], indirect=True)


# Arguments for every pyredis server the tests start, before their own: the suite run
# against another configuration, e.g. PYREDIS_TEST_SERVER_ARGS="--io-threads 4".
SERVER_ARGS = shlex.split(os.environ.get("PYREDIS_TEST_SERVER_ARGS", ""))


def start_server(kind: str = "pyredis", args: Sequence[str] = (),
                 io: str = "selectors") -> ServerProcess:
    """pyredis or the real redis-server ("redis") in a child process, DEBUG enabled on both."""
    extra = SERVER_ARGS if kind == "pyredis" else []
    return launch(kind, [*extra, "--enable-debug-command", "yes", *args], io=io)


def scored(protocol: int, pairs: list[tuple[bytes, float]]) -> list:
    """(member, score) pairs as redis-py decodes them: tuples in RESP2, lists in RESP3."""
    return pairs if protocol == 2 else [list(pair) for pair in pairs]


class RawConnection:
    """Sends commands as RESP and returns each reply's raw bytes, untouched."""

    def __init__(self, port: int, timeout: float = 10.0, source: Optional[str] = None) -> None:
        """`source`: the local address to connect from (127.0.0.2 is a peer other than
        the loopback address Redis trusts)."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.pending = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, *args: object) -> None:
        self.sock.sendall(encode_command(args))

    def read_reply(self) -> bytes:
        """Read exactly one reply (push frames count as replies too)."""
        while True:
            size = _reply_size(self.pending)
            if size is not None:
                reply, self.pending = self.pending[:size], self.pending[size:]
                return reply
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.pending += data

    def execute(self, *args: object) -> bytes:
        self.send(*args)
        return self.read_reply()

    def close(self) -> None:
        self.sock.close()


def encode_command(args: tuple) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _reply_size(data: bytes, pos: int = 0) -> Optional[int]:
    """End offset of the complete RESP2/RESP3 reply starting at pos, None if incomplete."""
    end = data.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, header = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    if kind in (b"$", b"=", b"!"):
        n = int(header)
        if n < 0:
            return pos
        return pos + n + 2 if len(data) >= pos + n + 2 else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = int(header)
        count = n * 2 if kind in (b"%", b"|") else n
        for _ in range(max(count, 0)):
            nxt = _reply_size(data, pos)
            if nxt is None:
                return None
            pos = nxt
        if kind == b"|":  # an attribute is followed by the reply it annotates
            return _reply_size(data, pos)
        return pos
    return pos


class Session:
    """Named connections to one server, for multi-client scenarios compared across servers:
    `step(name, *command)` runs a command and returns, per connection, every reply and push
    it received because of that step (a PING on each connection marks the end)."""

    MARK = b"end-of-step"

    def __init__(self, port: int, names: list[str]) -> None:
        self.conns = {name: RawConnection(port) for name in names}
        self.in_multi: set[str] = set()   # their PING would only be queued

    def step(self, name: str, *command: object) -> dict[str, list[bytes]]:
        conn = self.conns[name]
        conn.send(*command)
        seen = {name: [conn.read_reply()]}
        word = str(command[0]).upper()
        if word == "MULTI":
            self.in_multi.add(name)
        elif word in ("EXEC", "DISCARD"):
            self.in_multi.discard(name)
        for other, conn in self.conns.items():
            if other in self.in_multi:
                continue
            conn.send("PING", self.MARK)
            replies = seen.setdefault(other, [])
            while True:
                reply = conn.read_reply()
                if self.MARK in reply:
                    break
                replies.append(reply)
        return seen

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


class LiveServer:
    """A pyredis server in a thread of this process, with its keyspace events and
    modified-key signals recorded, so tests can look at what a command did inside."""

    def __init__(self) -> None:
        config = Config()
        config.chdir = False          # it shares this process's working directory
        self.dir = tempfile.mkdtemp(prefix="pyredis-live-")
        config.set("dir", [self.dir])   # SAVE and DEBUG RELOAD write their dump.rdb here
        config.set("port", [str(free_port())])
        config.set("bind", ["127.0.0.1"])
        self.server = Server(config)
        self.events: list[tuple[str, str, bytes]] = []
        self.signals: list[bytes] = []
        events = self.server.keyspace.events
        events.notify = lambda db, cls, event, key: (
            cls in "nm" or self.events.append((cls, event, key)))  # not "new" nor "keymiss"
        events.key_changed = lambda db, key, by_client: self.signals.append(key)
        self.server.start()
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"install_signals": False}, daemon=True)
        self.thread.start()
        self.port = self.server.port
        self.client = redis.Redis(port=self.port, socket_timeout=30)
        self.raw = RawConnection(self.port)

    def run(self, *args):
        """Run one command; returns (raw reply, events, signalled keys, dirty delta)."""
        self.events.clear()
        self.signals.clear()
        dirty = self.server.keyspace.dirty
        reply = self.raw.execute(*args)
        return reply, list(self.events), list(self.signals), self.server.keyspace.dirty - dirty

    def ttl_ms(self, key: bytes):
        when = self.server.dbs[0].expires.get(key)
        return None if when is None else when - self.server.clock.ms()

    def stop(self) -> None:
        self.client.close()
        self.raw.close()
        self.server.reactor.call_soon_threadsafe(self.server.shutdown)
        self.thread.join(10)
        shutil.rmtree(self.dir, ignore_errors=True)

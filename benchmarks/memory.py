"""Memory: bytes per key after loading the same keys into each server, and bytes per idle
client with thousands of connections open (which also checks that every one is served)."""
from __future__ import annotations

import resource
import selectors
import socket
import struct
import time
from dataclasses import dataclass
from typing import Callable, Optional

from .servers import Conn, Server

BATCH = 5000  # commands per pipelined write while loading


@dataclass
class KeyMemory:
    kind: str              # "string", "hash" ...
    keys: int
    rss_per_key: float     # bytes of RSS growth per key
    used_per_key: Optional[float]   # INFO used_memory growth per key


def _load(conn: Conn, commands: Callable[[int], bytes], count: int) -> None:
    """Send `count` commands in pipelined batches, reading the one-line replies of each."""
    for start in range(0, count, BATCH):
        end = min(count, start + BATCH)
        conn.send(b"".join(commands(i) for i in range(start, end)))
        conn.count_lines(end - start)


def _fields(prefix: bytes, pairs: bool) -> bytes:
    """The 10 small fields (and values) of one hash, set or sorted set, RESP-encoded."""
    out = []
    for j in range(10):
        member = b"%s%d" % (prefix, j)
        if pairs:
            value = b"v%d" % j if prefix == b"f" else b"%d" % j
            first, second = (member, value) if prefix == b"f" else (value, member)
            out.append(b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(first), first, len(second), second))
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(member), member))
    return b"".join(out)


_HASH_FIELDS = _fields(b"f", True)   # f0 v0 f1 v1 ...
_SET_MEMBERS = _fields(b"m", False)  # m0 m1 ...
_ZSET_PAIRS = _fields(b"m", True)    # 0 m0 1 m1 ...


def _string(i: int) -> bytes:
    key = b"key:%08d" % i
    value = b"val:%08d" % i
    return b"*3\r\n$3\r\nSET\r\n$12\r\n%s\r\n$12\r\n%s\r\n" % (key, value)


def _string_ex(i: int) -> bytes:
    """A small string with a TTL, as a cache sets it."""
    key = b"ttl:%08d" % i
    value = b"val:%08d" % i
    return (b"*5\r\n$3\r\nSET\r\n$12\r\n%s\r\n$12\r\n%s\r\n$2\r\nEX\r\n$6\r\n100000\r\n"
            % (key, value))


def _hash(i: int) -> bytes:
    key = b"hash:%08d" % i
    return b"*22\r\n$4\r\nHSET\r\n$13\r\n%s\r\n%s" % (key, _HASH_FIELDS)


def _set(i: int) -> bytes:
    key = b"set:%08d" % i
    return b"*12\r\n$4\r\nSADD\r\n$12\r\n%s\r\n%s" % (key, _SET_MEMBERS)


def _zset(i: int) -> bytes:
    key = b"zset:%08d" % i
    return b"*22\r\n$4\r\nZADD\r\n$13\r\n%s\r\n%s" % (key, _ZSET_PAIRS)


LOADERS = [("string", _string, "SET"), ("string EX", _string_ex, "SET"), ("hash", _hash, "HSET"),
           ("set", _set, "SADD"), ("zset", _zset, "ZADD")]


def key_memory(server: Server, strings: int, collections: int,
               progress: Callable[[str], None]) -> list[KeyMemory]:
    """Load each kind in turn into a fresh server and measure what it grew by."""
    conn = Conn(server.port, timeout=300)
    results = []
    try:
        for kind, make, command in LOADERS:
            reply = conn.call(command, "bench:probe", *(["f", "v"] if command == "HSET" else
                                                         ["1", "m"] if command == "ZADD" else
                                                         ["m"]))
            conn.call("DEL", "bench:probe")
            if isinstance(reply, Exception):
                progress(f"{server.label}: {kind} keys skipped ({reply})")
                continue
            count = strings if kind.startswith("string") else collections
            rss0 = server.rss()
            used0 = server.info_field(conn, "memory", "used_memory")
            started = time.monotonic()
            _load(conn, make, count)
            rss1 = server.rss()
            used1 = server.info_field(conn, "memory", "used_memory")
            used = (used1 - used0) / count if used0 is not None and used1 is not None else None
            results.append(KeyMemory(kind, count, (rss1 - rss0) / count, used))
            progress(f"{server.label}: {count:,} {kind} keys loaded in "
                     f"{time.monotonic() - started:.1f}s, {(rss1 - rss0) / count:.0f} B/key RSS")
    finally:
        conn.close()
    return results


@dataclass
class ClientMemory:
    clients: int
    connected: int          # how many the server accepted
    rss_per_client: float   # bytes of RSS growth per idle client
    answered: int           # how many of them got PONG back when all pinged at once
    serve_all_s: float      # seconds until the last PONG arrived


def raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def idle_clients(server: Server, count: int, timeout: float = 120.0) -> ClientMemory:
    """Open `count` connections that send nothing and measure the server's RSS growth; then
    PING on all of them at once and count the PONGs (none may be starved)."""
    socks: list[socket.socket] = []
    try:
        fds0 = server.open_files()
        rss0 = server.rss()
        deadline = time.monotonic() + timeout
        for start in range(0, count, 250):
            for _ in range(min(250, count - start)):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                socks.append(sock)
            # Let the server accept this batch before the listen backlog overflows.
            while time.monotonic() < deadline and server.open_files() - fds0 < len(socks):
                time.sleep(0.01)
        time.sleep(0.2)
        connected = server.open_files() - fds0
        rss1 = server.rss()
        answered, elapsed = _ping_all(socks, deadline)
    finally:
        for sock in socks:
            # Reset rather than close, leaving no ports in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
    return ClientMemory(count, connected, (rss1 - rss0) / count, answered, elapsed)


def _ping_all(socks: list[socket.socket], deadline: float) -> tuple[int, float]:
    selector = selectors.DefaultSelector()
    started = time.monotonic()
    for sock in socks:
        sock.setblocking(False)
        try:
            sock.send(b"PING\r\n")
        except OSError:
            continue
        selector.register(sock, selectors.EVENT_READ, [b""])
    answered = 0
    last = started
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(1.0):
            try:
                data = key.fileobj.recv(64)  # type: ignore[union-attr]
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            key.data[0] += data
            if key.data[0].startswith(b"+PONG\r\n") or not data:
                answered += bool(data)
                last = time.monotonic()
                selector.unregister(key.fileobj)
    selector.close()
    return answered, last - started

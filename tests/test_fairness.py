"""One client's big work never holds up the others (the reactor bounds what it does for one
client per cycle, as Redis does). Each test orders events: while client A's huge reply is
still in flight, or its huge pipeline still running, client B's command is answered. Were the
server to finish A's work first, B would wait on A, who waits on B: the test would fail."""
import resource
import selectors
import socket
import struct
import threading
import time

import pytest

from helpers import RawConnection, start_server, encode_command

MB = 1024 * 1024


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size > 0:
        data = sock.recv(min(size, 4 * MB))
        if not data:
            raise ConnectionError("connection closed")
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def slow_reader(port: int) -> socket.socket:
    """A connection with a small receive buffer, so the server cannot push a big reply at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    return sock


def check_big_reply_interleaves(port: int, request: bytes, expected_size: int) -> bytes:
    """A sends `request` and reads 1 MB of the reply; then B's PING must be answered before
    A reads the rest. Returns A's whole reply."""
    a = slow_reader(port)
    b = RawConnection(port, timeout=60)
    try:
        a.sendall(request)
        head = recv_exactly(a, MB)
        assert b.execute("PING") == b"+PONG\r\n"
        return head + recv_exactly(a, expected_size - MB)
    finally:
        a.close()
        b.close()


def known(raw: RawConnection, *commands: str) -> bool:
    return all(b"unknown command" not in raw.execute(c) for c in commands)


def test_big_bulk_reply_does_not_hold_up_others(server, raw):
    value = b"v" * (100 * MB)
    header = b"$%d\r\n" % len(value)
    reply = check_big_reply_interleaves(server.port, encode_command((b"ECHO", value)),
                                        len(header) + len(value) + 2)
    assert reply == header + value + b"\r\n"


def test_big_mget_reply_does_not_hold_up_others(server, raw):
    if not known(raw, "MGET"):
        pytest.skip("MGET not implemented yet")
    value = b"m" * MB
    keys = [b"big:%d" % i for i in range(100)]
    for key in keys:
        raw.execute("SET", key, value)
    item = b"$%d\r\n%s\r\n" % (len(value), value)
    reply = check_big_reply_interleaves(server.port, encode_command((b"MGET", *keys)),
                                        len(b"*100\r\n") + 100 * len(item))
    assert reply == b"*100\r\n" + item * 100


def test_big_lrange_reply_does_not_hold_up_others(server, raw):
    """A million elements: the reply is encoded as the socket drains, not all at once."""
    if not known(raw, "RPUSH", "LRANGE"):
        pytest.skip("lists not implemented yet")
    element = b"e" * 100
    for _ in range(100):
        assert raw.execute("RPUSH", "biglist", *[element] * 10_000).startswith(b":")
    item = b"$100\r\n" + element + b"\r\n"
    header = b"*1000000\r\n"
    reply = check_big_reply_interleaves(
        server.port, encode_command((b"LRANGE", b"biglist", b"0", b"-1")),
        len(header) + 1_000_000 * len(item))
    assert reply[:len(header)] == header
    assert reply.count(item) == 1_000_000


def test_long_pipeline_does_not_hold_up_others(server, raw):
    """A sends 200,000 SETs without reading a reply; B's DBSIZE, asked meanwhile, sees the
    pipeline part-way done."""
    count = 200_000
    keys = (b"p:%d" % i for i in range(count))
    pipeline = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(k), k)
                        for k in keys)
    a = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sender = threading.Thread(target=a.sendall, args=(pipeline,), daemon=True)
    sender.start()
    seen = 0
    deadline = time.monotonic() + 60
    while not seen and time.monotonic() < deadline:
        seen = int(raw.execute("DBSIZE")[1:-2])
    try:
        assert 0 < seen < count
        sender.join(60)
        assert recv_exactly(a, 5 * count) == b"+OK\r\n" * count
        assert raw.execute("DBSIZE") == b":%d\r\n" % count
    finally:
        a.close()


@pytest.mark.parametrize("io", ["selectors", "uvloop"])
def test_ten_thousand_clients_all_served(io):
    """10,000 connections open at once (the server raises its descriptor limit as Redis
    does), then a PING on every one: each gets its PONG."""
    count = 10_000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < count + 200:
        pytest.skip(f"descriptor limit {hard} is below {count}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, count + 200), hard))
    proc = start_server("pyredis", ["--maxclients", str(count + 100)], io=io)
    socks = []
    selector = selectors.DefaultSelector()
    try:
        for i in range(count):
            socks.append(socket.create_connection(("127.0.0.1", proc.port), timeout=30))
            if i % 500 == 499:
                # A round trip on a newer connection: the server has accepted all before it
                # (the listen backlog never overflows).
                probe = RawConnection(proc.port)
                assert probe.execute("PING") == b"+PONG\r\n"
                probe.close()
        for sock in socks:
            sock.sendall(b"PING\r\n")
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        answered = 0
        deadline = time.monotonic() + 120
        while answered < count and time.monotonic() < deadline:
            for key, _ in selector.select(1.0):
                assert key.fileobj.recv(16) == b"+PONG\r\n"
                selector.unregister(key.fileobj)
                answered += 1
        assert answered == count
    finally:
        selector.close()
        for sock in socks:
            # Reset rather than close: 10,000 ports left in TIME_WAIT would starve other tests.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        proc.stop()

"""Limits on what one client may cost the server, each compared with redis-server:
proto-max-bulk-len, client-query-buffer-limit, maxclients, timeout, tcp-keepalive,
client-output-buffer-limit (normal, pubsub, replica classes; hard and soft limits) and client
eviction (maxmemory-clients, CLIENT NO-EVICT)."""
from __future__ import annotations

import os
import socket
import tempfile
import time
from typing import Callable, Iterator

import pytest
import redis

from helpers import RawConnection, start_server
from pyredis.launch import ServerProcess

KINDS = ["pyredis", "redis"]


def wait_for(condition: Callable[[], bool], tries: int = 300, pause: float = 0.05) -> bool:
    """Poll `condition` a bounded number of times; its last value."""
    for _ in range(tries):
        if condition():
            return True
        time.sleep(pause)
    return condition()


def closed_by_server(sock: socket.socket, limit: int = 256 * 1024 * 1024) -> bytes:
    """Read until the server closes the connection (at most `limit` bytes); what came."""
    sock.settimeout(30)
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def client_names(r: redis.Redis) -> list[str]:
    return [c["name"] for c in r.client_list()]


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(params=KINDS)
def logged(request: pytest.FixtureRequest) -> Iterator[tuple[ServerProcess, str]]:
    """A server of each kind with its own log file: (process, log path)."""
    folder = tempfile.mkdtemp(prefix="limits-log-")
    log = os.path.join(folder, "server.log")
    proc = start_server(request.param, ["--logfile", log])
    yield proc, log
    proc.stop()
    if os.path.exists(log):
        os.unlink(log)
    os.rmdir(folder)


def read_log(path: str) -> str:
    with open(path, errors="replace") as f:
        return f.read()


# -- proto-max-bulk-len and client-query-buffer-limit ----------------------------------------


def test_proto_max_bulk_len_applies_to_the_next_argument(r):
    """A lowered limit holds at once, for the connection that set it too: a bulk header
    over it is a protocol error and the connection is closed."""
    r.config_set("proto-max-bulk-len", "1mb")
    try:
        port = r.connection_pool.connection_kwargs["port"]
        conn = RawConnection(port)
        conn.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
        assert closed_by_server(conn.sock) == b"-ERR Protocol error: invalid bulk length\r\n"
        conn.close()
        r.set("k", b"x" * (1024 * 1024))    # at the limit is fine
        assert r.strlen("k") == 1024 * 1024
    finally:
        r.config_set("proto-max-bulk-len", "512mb")


def test_query_buffer_limit_closes_the_client_with_redis_log_line(logged):
    proc, log = logged
    r = redis.Redis(port=proc.port)
    r.config_set("client-query-buffer-limit", "1mb")
    sock = socket.create_connection(("127.0.0.1", proc.port))
    try:
        # An argument of 3 MB that never completes: the buffer passes 1 MB and the client goes.
        sock.sendall(b"*2\r\n$3\r\nSET\r\n$3000000\r\n")
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            for _ in range(40):
                sock.sendall(b"v" * 65536)
                time.sleep(0.001)
        assert closed_by_server(sock) == b""
        assert wait_for(lambda: "Closing client that reached max query buffer length"
                        in read_log(log))
        line = next(line for line in read_log(log).splitlines()
                    if "max query buffer length" in line)
        assert " id=" in line and " qbuf=" in line and "cmd=NULL" in line
        assert '(qbuf initial bytes: "vvvv' in line
        assert r.ping()
    finally:
        sock.close()
        r.close()


def ask(sock: socket.socket, line: bytes) -> bytes:
    """An inline command whose reply is a bulk string, over a plain socket: the bulk."""
    sock.sendall(line + b"\r\n")
    data = b""
    while b"\r\n" not in data:
        data += sock.recv(65536)
    header, _, rest = data.partition(b"\r\n")
    while len(rest) < int(header[1:]) + 2:
        rest += sock.recv(65536)
    return rest


# -- maxclients ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_maxclients_refuses_one_more(kind):
    proc = start_server(kind, ["--maxclients", "3"])
    socks: list[socket.socket] = []
    try:
        for _ in range(3):   # the launcher's PING connection has gone; three fit
            sock = socket.create_connection(("127.0.0.1", proc.port), timeout=10)
            sock.sendall(b"PING\r\n")
            assert sock.recv(100) == b"+PONG\r\n"
            socks.append(sock)
        extra = socket.create_connection(("127.0.0.1", proc.port), timeout=10)
        socks.append(extra)
        assert closed_by_server(extra) == b"-ERR max number of clients reached\r\n"
        socks.pop().close()
        socks.pop().close()
        assert wait_for(lambda: b"connected_clients:2\r\n" in ask(socks[0], b"INFO clients"))
        # A place is free again.
        again = RawConnection(proc.port)
        assert again.execute("PING") == b"+PONG\r\n"
        again.close()
        assert b"rejected_connections:1\r\n" in ask(socks[0], b"INFO stats")
    finally:
        for sock in socks:
            sock.close()
        proc.stop()


# -- timeout and tcp-keepalive ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_timeout_closes_idle_clients_only(kind):
    """Idle clients go after `timeout` seconds; subscribed and blocked ones stay, as Redis
    keeps them."""
    proc = start_server(kind, ["--timeout", "1"])
    idle = RawConnection(proc.port)
    subscriber = RawConnection(proc.port)
    blocked = RawConnection(proc.port)
    control = redis.Redis(port=proc.port)
    try:
        for conn, name in ((idle, "idle"), (subscriber, "sub"), (blocked, "blocked")):
            assert conn.execute("CLIENT", "SETNAME", name) == b"+OK\r\n"
        subscriber.execute("SUBSCRIBE", "ch")
        blocked.send("BLPOP", "nothing", "0")
        assert wait_for(lambda: "idle" not in client_names(control), tries=100, pause=0.1)
        assert closed_by_server(idle.sock) == b""
        names = client_names(control)
        assert "sub" in names and "blocked" in names
        control.rpush("nothing", "x")
        assert blocked.read_reply() == b"*2\r\n$7\r\nnothing\r\n$1\r\nx\r\n"
    finally:
        for conn in (idle, subscriber, blocked):
            conn.close()
        control.close()
        proc.stop()


def test_tcp_keepalive_is_set_on_client_sockets(fresh):
    server = fresh.server
    fresh.client.config_set("tcp-keepalive", 60)
    conn = RawConnection(fresh.port)
    try:
        assert conn.execute("PING") == b"+PONG\r\n"
        sock = max(server.clients.values(), key=lambda c: c.id).sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 20
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
    finally:
        conn.close()
        fresh.client.config_set("tcp-keepalive", 300)


# -- client-output-buffer-limit --------------------------------------------------------------


def _flood_gets(port: int, count: int) -> tuple[socket.socket, bytes]:
    """A client that pipelines `count` GETs and reads nothing until the server closes it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 10_000
    try:
        for _ in range(count // 10_000):
            sock.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sock, b""


@pytest.mark.parametrize("kind", KINDS)
def test_a_million_gets_never_read_are_cut_off_at_the_hard_limit(kind):
    proc = start_server(kind, ["--client-output-buffer-limit", "normal 4mb 0 0"])
    r = redis.Redis(port=proc.port)
    try:
        r.set("big", b"x" * 1000)
        before = rss_kb(proc.pid)
        sock, _ = _flood_gets(proc.port, 1_000_000)
        received = closed_by_server(sock)
        sock.close()
        # Cut off: what came is far less than the million replies (a GB).
        assert len(received) < 64 * 1024 * 1024
        assert r.ping()
        assert wait_for(lambda: len(r.client_list()) == 1)
        # The server's memory stayed bounded by the limit, not the million replies.
        assert rss_kb(proc.pid) - before < 256 * 1024
    finally:
        r.close()
        proc.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_soft_limit_closes_after_its_seconds_even_without_traffic(kind, tmp_path):
    proc = start_server(kind, ["--client-output-buffer-limit", "pubsub 0 100kb 1"])
    r = redis.Redis(port=proc.port)
    sub = socket.create_connection(("127.0.0.1", proc.port), timeout=30)
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sub.sendall(b"CLIENT SETNAME slow\r\nSUBSCRIBE ch\r\n")
        assert wait_for(lambda: r.pubsub_numsub("ch")[0][1] == 1)
        message = b"m" * 10_000
        for i in range(3000):   # until its buffer is over the soft limit: the sockets take MBs
            if i % 50 == 0:
                slow = [c for c in r.client_list() if c["name"] == "slow"]
                if not slow or int(slow[0]["omem"]) > 100 << 10:
                    break
            r.publish("ch", message)
        # Over the soft limit: once its second has passed it goes, with no more messages.
        assert wait_for(lambda: "slow" not in client_names(r), tries=100, pause=0.1)
    finally:
        sub.close()
        r.close()
        proc.stop()


def test_hard_limit_on_pubsub_and_single_big_reply(r):
    """A big reply over the normal limit is not sent at all; a subscriber over the pubsub
    hard limit is closed."""
    port = r.connection_pool.connection_kwargs["port"]
    r.config_set("client-output-buffer-limit", "normal 100000 0 0 pubsub 100000 0 0")
    try:
        r.rpush("list", *([b"x" * 1000] * 150))
        conn = RawConnection(port)
        conn.send("LRANGE", "list", "0", "-1")
        assert closed_by_server(conn.sock) == b""
        conn.close()
        sub = socket.create_connection(("127.0.0.1", port), timeout=30)
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.sendall(b"SUBSCRIBE ch\r\n")
        assert wait_for(lambda: r.pubsub_numsub("ch")[0][1] == 1)
        for _ in range(2000):
            if not r.publish("ch", b"m" * 10_000):
                break
        assert r.pubsub_numsub("ch")[0][1] == 0
        sub.close()
    finally:
        r.config_set("client-output-buffer-limit",
                     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")


def test_output_buffer_limit_classes_round_trip(r):
    r.config_set("client-output-buffer-limit",
                 "normal 1mb 2mb 60 replica 3mb 4mb 70 pubsub 5mb 6mb 80")
    try:
        assert r.config_get("client-output-buffer-limit") == {
            "client-output-buffer-limit":
                "normal 1048576 2097152 60 slave 3145728 4194304 70 pubsub 5242880 6291456 80"}
    finally:
        r.config_set("client-output-buffer-limit",
                     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")


def test_huge_hrandfield_stops_at_the_limit(r):
    """HRANDFIELD with a huge negative count stops once the reply passes the limit (the
    client is closed) instead of building a reply of a billion fields."""
    port = r.connection_pool.connection_kwargs["port"]
    r.config_set("client-output-buffer-limit", "normal 1000000 0 0")
    try:
        r.hset("h", "a", "b")
        conn = RawConnection(port)
        conn.send("HRANDFIELD", "h", "-999999999")
        assert closed_by_server(conn.sock) == b""
        conn.close()
        assert r.hlen("h") == 1
    finally:
        r.config_set("client-output-buffer-limit",
                     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")


# -- client eviction -------------------------------------------------------------------------


def _partial_bulk(port: int, name: str, size: int, no_evict: bool = False) -> socket.socket:
    """A named client holding `size` bytes of an argument that never completes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    setup = b"CLIENT SETNAME %s\r\n" % name.encode()
    if no_evict:
        setup += b"CLIENT NO-EVICT on\r\n"
    sock.sendall(setup)
    expected = setup.count(b"\n") * b"+OK\r\n"
    received = b""
    while len(received) < len(expected):
        received += sock.recv(100)
    assert received == expected
    sock.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n" % (size * 2) + b"v" * size)
    return sock


def _tot_mem(r: redis.Redis, name: str) -> int:
    for c in r.client_list():
        if c["name"] == name:
            return int(c["tot-mem"])
    return 0


def test_client_eviction_biggest_first_and_no_evict(logged):
    """Over maxmemory-clients, the biggest clients go first, only until the rest fit; a
    client with CLIENT NO-EVICT on is never evicted."""
    proc, log = logged
    r = redis.Redis(port=proc.port)
    r.client_setname("control")
    r.client_no_evict("on")
    sizes = {"small": 100_000, "big": 600_000, "kept": 900_000}
    socks = [_partial_bulk(proc.port, name, size, no_evict=name == "kept")
             for name, size in sizes.items()]
    try:
        assert wait_for(lambda: all(_tot_mem(r, name) >= size for name, size in sizes.items()))
        r.config_set("maxmemory-clients", 400_000)
        assert wait_for(lambda: "big" not in client_names(r))
        assert sorted(client_names(r)) == ["control", "kept", "small"]
        assert r.info("stats")["evicted_clients"] == 1
        assert wait_for(lambda: "Evicting client: id=" in read_log(log))
    finally:
        for sock in socks:
            sock.close()
        r.close()


@pytest.mark.parametrize("kind", KINDS)
def test_client_evicted_for_its_own_big_argument(kind):
    proc = start_server(kind, ["--maxmemory-clients", "1mb"])
    r = redis.Redis(port=proc.port)
    try:
        conn = RawConnection(proc.port)
        conn.execute("CLIENT", "SETNAME", "fat")
        try:
            conn.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n" + b"v" * 2_000_000
                          + b"\r\n")
        except (ConnectionResetError, BrokenPipeError):
            pass                       # evicted while the argument was still on its way
        assert closed_by_server(conn.sock) == b""
        assert "fat" not in client_names(r)
        assert r.exists("k") == 0
        conn.close()
    finally:
        r.close()
        proc.stop()

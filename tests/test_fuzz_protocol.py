"""Hostile and broken clients, over TCP: malformed RESP gets redis-server's protocol error and
a closed connection (compared byte for byte), never a traceback or a big allocation; random
commands with random arguments never break the server; slow, idle, vanishing and flooding
clients do not stop the others from being served (their latency is printed, not asserted).

The number of examples is bounded for CI; PYREDIS_FUZZ_EXAMPLES sets it for a longer run."""
from __future__ import annotations

import os
import resource
import socket
import statistics
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import RawConnection, encode_command, start_server
from pyredis.commands import TABLE

EXAMPLES = int(os.environ.get("PYREDIS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def exchange(port: int, payload: bytes) -> tuple[bytes, bool]:
    """Send `payload`, then half-close: everything the server answered, and whether it
    closed the connection on its own before our end of stream could matter (a protocol
    error closes at once; otherwise both servers close once they read the end)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk


LENGTHS = st.sampled_from([
    b"abc", b"-5", b"-1", b"-2147483649", b"", b"+3", b" 3", b"3 ", b"0x10", b"1e3",
    b"2147483648", b"3000000000", b"99999999999999999999", b"536870913", b"600000000",
    b"9223372036854775807", b"-9223372036854775808", b"\x00", b"12\x00"])

ASCII_GARBAGE = st.binary(min_size=1, max_size=300).map(lambda b: bytes(c & 0x7F for c in b))

malformed = st.one_of(
    # bad multibulk counts
    st.builds(lambda n: b"*" + n + b"\r\n$4\r\nPING\r\n", LENGTHS),
    # bad bulk lengths, a 2 GB one among them
    st.builds(lambda n: b"*1\r\n$" + n + b"\r\nPING\r\n", LENGTHS),
    st.just(b"*1\r\n$2147483648\r\n"),
    # a huge count followed by a few arguments: nothing allocated up front
    st.builds(lambda n, k: b"*%d\r\n" % n + b"$1\r\na\r\n" * k,
              st.integers(10_000, 2**31 - 1), st.integers(0, 5)),
    # elements that are not bulk strings
    st.builds(lambda e: b"*2\r\n$3\r\nGET\r\n" + e,
              st.sampled_from([b":1\r\n", b"+OK\r\n", b"-ERR\r\n", b"*1\r\n", b"%1\r\n",
                               b"_\r\n", b"#t\r\n", b"~1\r\n", b"\r\n", b"$\r\n"])),
    # a bulk shorter or longer than announced
    st.builds(lambda n, body: b"*1\r\n$%d\r\n" % n + body + b"\r\n",
              st.integers(0, 20), ASCII_GARBAGE),
    # garbage, alone or after a valid command (7-bit: see test_binary_garbage_is_harmless)
    ASCII_GARBAGE,
    st.builds(lambda g: b"*1\r\n$4\r\nPING\r\n" + g, ASCII_GARBAGE),
)


@FUZZ
@given(payload=malformed)
def test_malformed_requests_match_redis(server, real_server, payload):
    ours = exchange(server.port, payload)
    theirs = exchange(real_server.port, payload)
    assert ours == theirs


@FUZZ
@given(payload=st.binary(min_size=1, max_size=300))
def test_binary_garbage_is_harmless(server, real_server, payload):
    """Any bytes: the same number of replies as redis-server, errors only, and the server
    goes on. (The bytes are not compared: an unknown command's name is echoed as UTF-8
    text, where Redis echoes the raw bytes.)"""
    ours, closed = exchange(server.port, payload)
    theirs, _ = exchange(real_server.port, payload)
    assert closed
    assert ours.count(b"\r\n-") == theirs.count(b"\r\n-")
    assert ours[:1] == theirs[:1]
    assert b"internal error" not in ours
    assert exchange(server.port, b"PING\r\n") == (b"+PONG\r\n", True)


def test_bulk_header_of_2gb_allocates_nothing(server, real_server):
    """A 2 GB bulk header is refused with Redis's error; a header just under the limit
    with a few bytes of its body makes the server allocate nothing of its size."""
    assert exchange(server.port, b"*1\r\n$2147483648\r\n") == \
        exchange(real_server.port, b"*1\r\n$2147483648\r\n") == \
        (b"-ERR Protocol error: invalid bulk length\r\n", True)
    conn = RawConnection(server.port)
    control = RawConnection(server.port)
    try:
        before = _rss_kb(control)
        conn.send_raw(b"*2\r\n$3\r\nGET\r\n$536870912\r\n" + b"x" * 1000)
        assert control.execute("PING") == b"+PONG\r\n"
        listing = control.execute("CLIENT", "LIST").decode()
        assert max(int(f.split("=")[1]) for f in listing.split()
                   if f.startswith("qbuf=")) < 1024 * 1024
        assert _rss_kb(control) - before < 64 * 1024
    finally:
        conn.close()
        control.close()


def _rss_kb(conn: RawConnection) -> int:
    info = conn.execute("INFO", "server").decode()
    pid = int(info.split("process_id:")[1].split()[0])
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


# -- random commands -------------------------------------------------------------------------

# Commands that would stop the server, block, switch the connection's protocol or reply mode,
# reach the network, or lock the test out; the rest run with random arguments.
EXCLUDED = {"shutdown", "debug", "monitor", "sync", "psync", "replicaof", "slaveof",
            "failover", "migrate", "quit", "reset", "hello", "auth", "client", "wait",
            "waitaof", "acl", "subscribe", "psubscribe", "ssubscribe", "unsubscribe",
            "punsubscribe", "sunsubscribe", "config", "save", "bgsave", "bgrewriteaof",
            "cluster", "module", "replconf", "select", "swapdb", "flushall", "multi",
            "exec", "watch", "script", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall",
            "fcall_ro", "function", "latency", "pfdebug", "pfselftest", "lastsave"}
NAMES = sorted(name for name, cmd in TABLE.items()
               if name.split("|")[0] not in EXCLUDED
               and not {"blocking", "admin", "pubsub"} & set(cmd.flags))
WORDS = [b"NX", b"XX", b"EX", b"PX", b"GET", b"KEEPTTL", b"WITHSCORES", b"LIMIT", b"COUNT",
         b"MATCH", b"TYPE", b"BY", b"STORE", b"ASC", b"DESC", b"ALPHA", b"WITHVALUES", b"REV",
         b"BYSCORE", b"BYLEX", b"MAXLEN", b"MINID", b"~", b"=", b"*", b"$", b">", b"-", b"+",
         b"(1", b"[a", b"GT", b"LT", b"CH", b"INCR", b"AGGREGATE", b"SUM", b"WEIGHTS",
         b"LEFT", b"RIGHT", b"BEFORE", b"AFTER", b"IDLE", b"FORCE", b"JUSTID", b"MKSTREAM",
         b"OVERFLOW", b"SAT", b"WRAP", b"FAIL", b"u8", b"i16", b"#1", b"BIT", b"BYTE",
         b"RANK", b"STREAMS", b"GROUP", b"NOACK", b"WITHCOORD", b"WITHDIST", b"FROMLONLAT",
         b"BYRADIUS", b"m", b"ANY", b"LEN", b"IDX", b"WITHMATCHLEN", b"0-1", b"SCHEDULE"]
argument = st.one_of(
    st.sampled_from([b"k1", b"k2", b"k3", b"{k}1"]),
    st.sampled_from([b"0", b"1", b"-1", b"2", b"100", b"-100", b"3.5", b"inf", b"-inf",
                     b"nan", b"9223372036854775807", b"-9223372036854775808",
                     b"18446744073709551616", b"4294967296", b""]),
    st.sampled_from(WORDS),
    st.binary(max_size=12),
)
command = st.builds(lambda name, args: [*name.encode().split(b"|"), *args],
                    st.sampled_from(NAMES), st.lists(argument, max_size=7))


@pytest.fixture(scope="module")
def fuzz_server():
    proc = start_server("pyredis")
    yield proc
    proc.stop()


@FUZZ
@given(commands=st.lists(command, min_size=1, max_size=25))
def test_random_commands_never_break_the_server(fuzz_server, commands):
    conn = RawConnection(fuzz_server.port, timeout=30)
    try:
        for argv in commands:
            conn.send(*argv)
            reply = conn.read_reply()
            assert b"internal error" not in reply, (argv, reply)
        assert conn.execute("PING") == b"+PONG\r\n"
    finally:
        conn.close()


# -- slow, idle, vanishing and flooding clients ----------------------------------------------


def latencies(port: int, count: int = 50) -> list[float]:
    """PING round trips of a well-behaved client, in ms (printed by the tests)."""
    conn = RawConnection(port)
    out = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            assert conn.execute("PING") == b"+PONG\r\n"
            out.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return out


def report(label: str, values: list[float]) -> None:
    print(f"{label}: PING median {statistics.median(values):.2f} ms, "
          f"max {max(values):.2f} ms over {len(values)}")


def test_slowloris_does_not_hold_up_others(server):
    """A client sends its request a byte at a time; another one is served meanwhile."""
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    request = encode_command(("SET", "slowloris", "v" * 20))
    values: list[float] = []
    try:
        for i, byte in enumerate(request):
            slow.sendall(bytes([byte]))
            if i % 8 == 0:
                values += latencies(server.port, 2)
            time.sleep(0.005)
        assert slow.recv(100) == b"+OK\r\n"
    finally:
        slow.close()
    report("during a slowloris client", values)


def test_many_idle_connections(server):
    count = int(os.environ.get("PYREDIS_IDLE_CONNECTIONS", "1000"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < count + 200:
        pytest.skip(f"descriptor limit {hard} is below {count}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, count + 200), hard))
    socks = []
    try:
        for _ in range(count):
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=30))
        values = latencies(server.port)
        report(f"with {count} idle connections", values)
        conn = RawConnection(server.port)
        info = conn.execute("INFO", "clients").decode()
        conn.close()
        assert int(info.split("connected_clients:")[1].split()[0]) >= count
    finally:
        for sock in socks:
            sock.close()


def test_disconnect_mid_pipeline_and_mid_big_reply(server, raw):
    # A pipeline cut off mid-way: what was read runs, the server goes on.
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    pipeline = b"".join(encode_command(("INCR", "counter")) for _ in range(20_000))
    sock.sendall(pipeline[:len(pipeline) // 2 + 3])
    sock.close()
    # A big reply whose reader goes away after its first bytes.
    raw.execute("SET", "big", "x" * (20 * 1024 * 1024))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(encode_command(("GET", "big")))
    assert sock.recv(1024)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()   # a reset, in the middle of the reply
    assert raw.execute("PING") == b"+PONG\r\n"
    counter = int(raw.execute("GET", "counter")[raw.execute("GET", "counter").index(b"\n") + 1:])
    assert 0 < counter <= 10_000
    for _ in range(100):
        if raw.execute("INFO", "clients").count(b"connected_clients:1\r\n"):
            break
        time.sleep(0.05)
    assert b"connected_clients:1\r\n" in raw.execute("INFO", "clients")


def test_flooding_client_that_never_reads(server, raw):
    """A client pipelines GETs of a 100-byte value and never reads: the others keep being
    served while it floods, and it is cut off at its output limit."""
    raw.execute("SET", "v", "x" * 100)
    raw.execute("CONFIG", "SET", "client-output-buffer-limit", "normal 32mb 0 0")
    flooder = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    flooder.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    chunk = encode_command(("GET", "v")) * 1000
    done = threading.Event()

    def flood() -> None:
        try:
            for _ in range(500):   # 500,000 GETs: 55 MB of replies, past the limit
                flooder.sendall(chunk)
        except OSError:
            pass
        done.set()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    try:
        values: list[float] = []
        for _ in range(400):
            values += latencies(server.port, 5)
            if done.is_set():
                break
        report("while a client floods without reading", values)
        thread.join(60)
        assert done.is_set()
        assert raw.execute("PING") == b"+PONG\r\n"
        assert raw.execute("CLIENT", "LIST").count(b"id=") == 1, "the flooder was cut off"
    finally:
        flooder.close()
        raw.execute("CONFIG", "SET", "client-output-buffer-limit",
                    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")

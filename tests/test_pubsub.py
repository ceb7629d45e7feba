"""Pub/Sub: reply and message sequences compared byte for byte with the real redis-server
(RESP2 and RESP3), redis-py's PubSub objects (sync and asyncio), Redis's glob rules for
patterns, the RESP2 subscribed context, output buffer limits for subscribers that never read,
and the encode-once fan-out."""
import asyncio
import socket
import threading
import time

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings, strategies as st

from helpers import RawConnection, start_server


class Pair:
    """A subscriber and a publisher connection on one server."""

    def __init__(self, port: int, proto: int = 2) -> None:
        self.sub = RawConnection(port)
        self.pub = RawConnection(port)
        self.proto = proto
        if proto == 3:
            self.sub.execute("HELLO", "3")

    def step(self, who: str, *command) -> list[bytes]:
        """Run a command; return the replies it causes on the subscriber, in order."""
        if who == "pub":
            replies = [self.pub.execute(*command)]
        else:
            self.sub.send(*command)
            replies = []
        # A PING on the subscriber marks the end of what the step produced.
        self.sub.send("PING", "end-of-step")
        while True:
            reply = self.sub.read_reply()
            if b"end-of-step" in reply or reply == b"+PONG\r\n":
                return replies
            replies.append(reply)

    def close(self) -> None:
        self.sub.close()
        self.pub.close()


STEPS = [
    ("sub", "SUBSCRIBE", "chan1", "chan2", "chan1"),
    ("pub", "PUBLISH", "chan1", "hello"),
    ("pub", "PUBLISH", "chan3", "nobody"),
    ("sub", "PSUBSCRIBE", "chan*", "ch?n[0-9]", "chan*"),
    ("pub", "PUBLISH", "chan2", "world"),
    ("pub", "PUBLISH", "chanX", "pattern only"),
    ("pub", "PUBSUB", "NUMSUB", "chan1", "chan2", "nope"),
    ("pub", "PUBSUB", "NUMPAT"),
    ("pub", "PUBSUB", "CHANNELS", "chan2"),
    ("sub", "UNSUBSCRIBE", "chan1", "never"),
    ("pub", "PUBLISH", "chan1", "pattern still"),
    ("sub", "PUNSUBSCRIBE", "chan*"),
    ("pub", "PUBLISH", "chan1", "one pattern left"),
    ("sub", "SSUBSCRIBE", "shard1", "shard2"),
    ("pub", "SPUBLISH", "shard1", "sharded"),
    ("pub", "PUBLISH", "shard1", "not sharded"),
    ("pub", "PUBSUB", "SHARDNUMSUB", "shard1", "shard3"),
    ("pub", "PUBSUB", "SHARDCHANNELS", "shard1"),
    ("sub", "SUNSUBSCRIBE", "shard1"),
    ("sub", "SUNSUBSCRIBE", "shard2"),
    ("sub", "SUNSUBSCRIBE"),
    ("sub", "PUNSUBSCRIBE"),
    ("sub", "UNSUBSCRIBE", "chan2"),
    ("sub", "UNSUBSCRIBE"),
    ("sub", "PUNSUBSCRIBE"),
    ("pub", "PUBLISH", "chan2", "gone"),
    ("pub", "PUBSUB", "NUMPAT"),
    ("pub", "PUBSUB", "CHANNELS"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_message_sequences_match_redis(server, real_server, proto):
    ours, theirs = Pair(server.port, proto), Pair(real_server.port, proto)
    try:
        for step in STEPS:
            mine, reference = ours.step(*step), theirs.step(*step)
            if step[0] == "pub":
                # Patterns matching one channel are tried in the server's hash order.
                mine, reference = sorted(mine), sorted(reference)
            assert mine == reference, step
    finally:
        ours.close()
        theirs.close()


PUBSUB_ERRORS = [
    ("SUBSCRIBE",), ("PUBLISH", "a"), ("PUBSUB",), ("PUBSUB", "NOPE"), ("PUBSUB", "NUMPAT", "x"),
    ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "shardchannels", "a", "b"),
    ("PUBSUB", "HELP"), ("PUBSUB", "help", "x"), ("PUBSUB", "NUMSUB"), ("SPUBLISH", "a"),
]


def test_pubsub_command_errors_and_help_match_redis(raw, real_raw):
    for command in PUBSUB_ERRORS:
        assert raw.execute(*command) == real_raw.execute(*command), command


def test_resp2_subscribed_context(raw, real_raw):
    commands = [("SUBSCRIBE", "a"), ("GET", "a"), ("SET", "a", "1"), ("MULTI",), ("EXEC",),
                ("PING",), ("PING", "hi"), ("PSUBSCRIBE", "b*"), ("UNSUBSCRIBE", "a"),
                ("GET", "a"), ("PUNSUBSCRIBE",), ("GET", "a"), ("SSUBSCRIBE", "s"),
                ("ECHO", "x"), ("RESET",), ("GET", "a")]
    assert [raw.execute(*c) for c in commands] == [real_raw.execute(*c) for c in commands]


def test_subscribe_inside_transaction(raw, real_raw):
    commands = [("MULTI",), ("SUBSCRIBE", "x"), ("SSUBSCRIBE", "y"), ("PSUBSCRIBE", "z*"),
                ("EXEC",), ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",)]
    assert [raw.execute(*c) for c in commands] == [real_raw.execute(*c) for c in commands]


def test_resp3_pushes_interleave_with_replies(target_server, r):
    conn = RawConnection(target_server.port)
    try:
        conn.execute("HELLO", "3")
        assert conn.execute("SUBSCRIBE", "news") == b">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
        r.set("k", "v")
        assert r.publish("news", "first") == 1
        conn.send("GET", "k")
        assert conn.read_reply() == b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nfirst\r\n"
        assert conn.read_reply() == b"$1\r\nv\r\n"
        assert conn.execute("PING") == b"+PONG\r\n"
    finally:
        conn.close()


def test_pushes_ignore_client_reply_off(target_server, r):
    conn = RawConnection(target_server.port)
    try:
        conn.execute("HELLO", "3")
        conn.send("CLIENT", "REPLY", "OFF")
        conn.send("SUBSCRIBE", "quiet")
        assert conn.read_reply() == b">3\r\n$9\r\nsubscribe\r\n$5\r\nquiet\r\n:1\r\n"
        r.publish("quiet", "still delivered")
        assert conn.read_reply() == \
            b">3\r\n$7\r\nmessage\r\n$5\r\nquiet\r\n$15\r\nstill delivered\r\n"
    finally:
        conn.close()


# -- redis-py ---------------------------------------------------------------------------

def test_redis_py_pubsub_listen_and_pattern_handlers(r):
    received = []
    patterns_before = r.pubsub_numpat()   # the session's server may hold others' patterns
    ps = r.pubsub()
    try:
        ps.subscribe("orders")
        ps.psubscribe(**{"events.*": lambda message: received.append(message)})
        assert ps.get_message(timeout=5)["type"] == "subscribe"
        assert ps.get_message(timeout=5)["type"] == "psubscribe"
        assert r.publish("orders", "o1") == 1
        assert r.publish("events.login", "alice") == 1
        assert r.pubsub_numsub("orders") == [(b"orders", 1)]
        assert r.pubsub_numpat() == patterns_before + 1

        # listen() yields what no handler took: the channel message, not the pattern one.
        message = next(ps.listen())
        assert (message["type"], message["channel"], message["data"]) == \
            ("message", b"orders", b"o1")
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            ps.get_message(timeout=0.1)
        assert received[0]["pattern"] == b"events.*"
        assert received[0]["channel"] == b"events.login" and received[0]["data"] == b"alice"
        ps.unsubscribe("orders")
        ps.punsubscribe("events.*")
        # Once both are confirmed (not before: they race with the PUBLISH otherwise).
        confirmed: set = set()
        while len(confirmed) < 2 and time.monotonic() < deadline + 5:
            message = ps.get_message(timeout=0.1)
            if message is not None:
                confirmed.add(message["type"])
        assert confirmed == {"unsubscribe", "punsubscribe"}
        assert r.publish("orders", "o2") == 0
    finally:
        ps.close()


def test_redis_py_pubsub_run_in_thread(r):
    got = threading.Event()
    payloads = []

    def handler(message):
        payloads.append(message["data"])
        if len(payloads) == 3:
            got.set()

    ps = r.pubsub()
    ps.subscribe(**{"jobs": handler})
    worker = ps.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        deadline = time.monotonic() + 5
        while r.pubsub_numsub("jobs")[0][1] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(3):
            r.publish("jobs", f"job{i}")
        assert got.wait(10)
        assert payloads == [b"job0", b"job1", b"job2"]
    finally:
        worker.stop()
        worker.join(5)
        ps.close()


def test_redis_py_asyncio_pubsub(server):
    async def scenario():
        client = redis.asyncio.Redis(port=server.port)
        ps = client.pubsub()
        try:
            await ps.subscribe("a-chan")
            await ps.psubscribe("a-*")
            assert (await ps.get_message(timeout=5))["type"] == "subscribe"
            assert (await ps.get_message(timeout=5))["type"] == "psubscribe"
            assert await client.publish("a-chan", "payload") == 2
            seen = []
            async for message in ps.listen():
                seen.append((message["type"], message.get("pattern"), message["data"]))
                if len(seen) == 2:
                    break
            assert seen == [("message", None, b"payload"), ("pmessage", b"a-*", b"payload")]
            await ps.unsubscribe()
            await ps.punsubscribe()
        finally:
            await ps.aclose()
            await client.aclose()
    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_redis_py_resp3_pubsub(server):
    client = redis.Redis(port=server.port, protocol=3)
    ps = client.pubsub()
    try:
        ps.subscribe("r3")
        assert ps.get_message(timeout=5)["type"] == "subscribe"
        client.publish("r3", "hello")
        message = ps.get_message(timeout=5)
        assert message["type"] == "message" and message["data"] == b"hello"
    finally:
        ps.close()
        client.close()


# -- glob rules ---------------------------------------------------------------------------

CHANNELS = ["a", "ab", "abc", "b", "h[llo", "hello", "hallo", "hxllo", "a*b", "a?c", "x\\y",
            "news.sport", "news.art", "-", "]", "^x", "", "A", "\xe9"]
PATTERN_ALPHABET = st.sampled_from(["a", "b", "c", "*", "?", "[", "]", "^", "-", "\\", "h",
                                    "l", "o", "e", "x", ".", "A", "!"])


@pytest.fixture(scope="module")
def channel_holders(server, real_server):
    """One connection per server subscribed to every test channel (kept for the module)."""
    conns = []
    for port in (server.port, real_server.port):
        conn = RawConnection(port)
        conn.execute("SUBSCRIBE", *[c.encode("latin-1") for c in CHANNELS])
        for _ in range(len(CHANNELS) - 1):
            conn.read_reply()
        conns.append(conn)
    yield conns
    for conn in conns:
        conn.close()


def _sorted_array(reply: bytes) -> list[bytes]:
    lines = reply.split(b"\r\n")
    return sorted(lines[2:-1:2])


@settings(max_examples=60, deadline=None)
@given(pattern=st.lists(PATTERN_ALPHABET, max_size=6).map("".join))
def test_glob_rules_match_redis(server, real_server, channel_holders, pattern):
    results = []
    for port in (server.port, real_server.port):
        conn = RawConnection(port)
        try:
            results.append(_sorted_array(conn.execute("PUBSUB", "CHANNELS", pattern)))
        finally:
            conn.close()
    assert results[0] == results[1], pattern


@settings(max_examples=30, deadline=None)
@given(pattern=st.lists(PATTERN_ALPHABET, min_size=1, max_size=5).map("".join),
       channel=st.sampled_from(CHANNELS[:-1]))
def test_psubscribe_matching_matches_redis(server, real_server, pattern, channel):
    counts = []
    for port in (server.port, real_server.port):
        pair = Pair(port)
        try:
            pair.step("sub", "PSUBSCRIBE", pattern)
            counts.append(pair.step("pub", "PUBLISH", channel, "m"))
        finally:
            pair.close()
    assert counts[0] == counts[1], (pattern, channel)


# -- slow subscribers ---------------------------------------------------------------------

def _subscriber_that_never_reads(port: int, channel: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(channel), channel.encode()))
    return sock


def _numsub(r, channel: str) -> int:
    return r.pubsub_numsub(channel)[0][1]


def _publish_until_disconnected(r, channel: str, size: int, limit_bytes: int,
                                pause: float = 0.0) -> int:
    """Publish `size`-byte messages until the subscriber is gone; return bytes published."""
    deadline = time.monotonic() + 60
    payload = b"x" * size
    published = 0
    while _numsub(r, channel) and published < limit_bytes and time.monotonic() < deadline:
        pipe = r.pipeline(transaction=False)
        for _ in range(16):
            pipe.publish(channel, payload)
        pipe.execute()
        published += 16 * size
        if pause:
            time.sleep(pause)
    return published


def test_subscriber_that_never_reads_is_disconnected_at_hard_limit(r, target_server):
    """The default `pubsub 32mb 8mb 60`: past 32mb queued, the subscriber is dropped."""
    sock = _subscriber_that_never_reads(target_server.port, "firehose")
    try:
        deadline = time.monotonic() + 10
        while not _numsub(r, "firehose") and time.monotonic() < deadline:
            time.sleep(0.01)
        published = _publish_until_disconnected(r, "firehose", 64 * 1024, 128 * 1024 * 1024)
        assert _numsub(r, "firehose") == 0
        assert 32 * 1024 * 1024 <= published < 64 * 1024 * 1024
        assert r.ping()
    finally:
        sock.close()


@pytest.fixture
def soft_limit_server():
    proc = start_server("pyredis", ["--client-output-buffer-limit", "pubsub 0 256kb 1"])
    yield proc
    proc.stop()


def test_subscriber_over_the_soft_limit_for_its_seconds_is_disconnected(soft_limit_server):
    """`pubsub 0 256kb 1`: no hard limit; over 256kb for more than a second is too long."""
    r = redis.Redis(port=soft_limit_server.port)
    sock = _subscriber_that_never_reads(soft_limit_server.port, "s")
    try:
        deadline = time.monotonic() + 10
        while not _numsub(r, "s") and time.monotonic() < deadline:
            time.sleep(0.01)
        _publish_until_disconnected(r, "s", 16 * 1024, 512 * 1024 * 1024, pause=0.1)
        assert _numsub(r, "s") == 0
        assert r.ping()
    finally:
        sock.close()
        r.close()


def test_hard_limit_set_with_config_set(r, target_server):
    default = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    r.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
    sock = _subscriber_that_never_reads(target_server.port, "small")
    try:
        assert "pubsub 1048576 0 0" in \
            r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
        deadline = time.monotonic() + 10
        while not _numsub(r, "small") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _publish_until_disconnected(r, "small", 16 * 1024, 64 * 1024 * 1024) \
            < 32 * 1024 * 1024
        assert _numsub(r, "small") == 0
    finally:
        sock.close()
        r.config_set("client-output-buffer-limit", default)


# -- encode once --------------------------------------------------------------------------

def test_publish_encodes_the_message_once_for_all_subscribers():
    """In-process: 1,000 subscribers (half RESP2, half RESP3) get the very same bytes object,
    one per protocol, queued without being copied."""
    from pyredis.server import Server

    srv = Server()
    ends = []
    clients = []
    try:
        for i in range(1001):
            ours, theirs = socket.socketpair()
            ends += [ours, theirs]
            client = srv.add_client(ours, None)
            if i == 1000:
                publisher = client
                break
            client.proto = 2 if i % 2 else 3
            srv.process_command(client, [b"SUBSCRIBE", b"fanout"])
            clients.append(client)
        srv.process_command(publisher, [b"PUBLISH", b"fanout", b"payload"])
        assert publisher.reply[-1] == b":1000\r\n"
        assert len({id(client.reply[-1]) for client in clients}) == 2
        assert {client.reply[-1] for client in clients} == {
            b"*3\r\n$7\r\nmessage\r\n$6\r\nfanout\r\n$7\r\npayload\r\n",
            b">3\r\n$7\r\nmessage\r\n$6\r\nfanout\r\n$7\r\npayload\r\n"}
    finally:
        for end in ends:
            end.close()

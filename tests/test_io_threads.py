"""io-threads: replies written (and queries read) by helper threads stay complete and in order
for many clients with big replies; INFO counts the threaded reads and writes; the directives
are immutable, as in Redis. (The core suites run against such a server with
PYREDIS_TEST_SERVER_ARGS="--io-threads 4 --io-threads-do-reads yes": see `make test-io-threads`.)"""
import time

import pytest
import redis

from helpers import RawConnection, encode_command, start_server

CLIENTS = 40            # well over 2 x 4 threads: the threads are used
KEYS = 30
ELEMENTS = 600


def value_of(i: int) -> bytes:
    """A 100 KB value that tells its key apart."""
    return (b"%05d:" % i) * (100_000 // 6)


def bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


LIST_REPLY = b"*%d\r\n" % ELEMENTS + b"".join(bulk(b"e%d" % j) for j in range(ELEMENTS))


@pytest.fixture(scope="module", params=[("writes", "selectors"), ("reads-and-writes", "uvloop")],
                ids=lambda param: "-".join(param))
def threaded(request):
    mode, io = request.param
    args = ["--io-threads", "4"]
    if mode == "reads-and-writes":
        args += ["--io-threads-do-reads", "yes"]
    server = start_server("pyredis", args, io=io)
    client = redis.Redis(port=server.port, socket_timeout=30)
    for i in range(KEYS):
        client.set(f"k{i}", value_of(i))
    client.rpush("list", *[b"e%d" % j for j in range(ELEMENTS)])
    yield server, client, mode
    client.close()
    server.stop()


def stats(client: redis.Redis) -> dict:
    return client.info("everything")


def test_many_clients_big_replies_complete_and_in_order(threaded):
    server, client, mode = threaded
    conns = [RawConnection(server.port, timeout=30) for _ in range(CLIENTS)]
    try:
        for round_no in range(6):
            expected = []
            for c, conn in enumerate(conns):
                commands, replies = [], []
                for j in range(4 if round_no % 2 == 0 else 1):
                    key = (c * 7 + j + round_no) % KEYS
                    commands.append(encode_command(("GET", f"k{key}")))
                    replies.append(bulk(value_of(key)))
                commands.append(encode_command(("LRANGE", "list", 0, -1)))
                replies.append(LIST_REPLY)
                commands.append(encode_command(("ECHO", f"{c}:{round_no}")))
                replies.append(bulk(f"{c}:{round_no}".encode()))
                conn.send_raw(b"".join(commands))
                expected.append(replies)
            for conn, replies in zip(conns, expected):
                for reply in replies:
                    assert conn.read_reply() == reply
    finally:
        for conn in conns:
            conn.close()
    info = stats(client)
    assert info["io_threaded_writes_processed"] > 0
    assert info["total_writes_processed"] >= info["io_threaded_writes_processed"]
    if mode == "reads-and-writes":
        assert info["io_threaded_reads_processed"] > 0
    else:
        assert info["io_threaded_reads_processed"] == 0
    # Idle again: the cron stops using the threads.
    deadline = time.monotonic() + 5
    while stats(client)["io_threads_active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stats(client)["io_threads_active"] == 0


def test_clients_closing_under_threaded_writes(threaded):
    """Clients that hang up with replies pending, and QUIT at the end of a pipeline, beside
    clients that read everything: the server stays up and the others get all their bytes."""
    server, client, _ = threaded
    conns = [RawConnection(server.port, timeout=30) for _ in range(CLIENTS)]
    for c, conn in enumerate(conns):
        conn.send_raw(encode_command(("GET", f"k{c % KEYS}")) * 3
                      + (encode_command(("QUIT",)) if c % 3 == 1 else b""))
    for c, conn in enumerate(conns):
        if c % 3 == 0:
            conn.close()             # gone with its replies unread
            continue
        for _ in range(3):
            assert conn.read_reply() == bulk(value_of(c % KEYS))
        if c % 3 == 1:
            assert conn.read_reply() == b"+OK\r\n"
            assert conn.sock.recv(1) == b""     # closed after the reply
        conn.close()
    assert client.ping()


def test_io_threads_are_immutable(r):
    """Redis refuses CONFIG SET on both directives (they take effect at startup only)."""
    for name, value in (("io-threads", "2"), ("io-threads-do-reads", "yes")):
        with pytest.raises(redis.ResponseError) as error:
            r.config_set(name, value)
        assert str(error.value) == (f"CONFIG SET failed (possibly related to argument "
                                    f"'{name}') - can't set immutable config")
    assert r.config_get("io-threads") == {"io-threads": "1"}

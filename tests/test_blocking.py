"""Blocking list commands with several clients: FIFO service, timeouts, BLMOVE chains,
disconnects, CLIENT UNBLOCK, MULTI; the same scenarios against redis-server give the same bytes."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import RawConnection, start_server


def blocked_count(conn: RawConnection) -> int:
    reply = conn.execute("INFO", "clients").decode()
    for line in reply.split("\r\n"):
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise AssertionError("INFO has no blocked_clients")


def wait_blocked(conn: RawConnection, n: int) -> None:
    """Wait (bounded) until the server reports n blocked clients."""
    deadline = time.monotonic() + 10
    while blocked_count(conn) != n:
        assert time.monotonic() < deadline, f"never saw {n} blocked clients"
        time.sleep(0.005)


def connections(port: int, n: int) -> list[RawConnection]:
    return [RawConnection(port) for _ in range(n)]


@pytest.fixture(params=["pyredis", "redis"])
def port(request, server, real_server):
    """Each scenario runs on pyredis and on redis-server, asserting the same bytes."""
    proc = server if request.param == "pyredis" else real_server
    conn = RawConnection(proc.port)
    conn.execute("FLUSHALL")
    conn.close()
    return proc.port


def test_clients_are_served_first_blocked_first_served(port):
    ctl = RawConnection(port)
    waiters = connections(port, 3)
    for i, conn in enumerate(waiters):
        conn.send("BLPOP", "q", "other", 0)
        wait_blocked(ctl, i + 1)
    assert ctl.execute("RPUSH", "q", "a", "b") == b":2\r\n"
    assert waiters[0].read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    assert waiters[1].read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    wait_blocked(ctl, 1)
    assert ctl.execute("EXISTS", "q") == b":0\r\n"
    assert ctl.execute("LPUSH", "other", "c") == b":1\r\n"
    assert waiters[2].read_reply() == b"*2\r\n$5\r\nother\r\n$1\r\nc\r\n"
    for conn in waiters + [ctl]:
        conn.close()


def test_timeout_replies_null_array_and_client_goes_on(port):
    conn = RawConnection(port)
    conn.send("BRPOP", "missing", "0.05")
    conn.send("PING")
    assert conn.read_reply() == b"*-1\r\n"
    assert conn.read_reply() == b"+PONG\r\n"
    assert conn.execute("BLMOVE", "missing", "dst", "LEFT", "RIGHT", "0.01") == b"*-1\r\n"
    assert conn.execute("BLMPOP", "0.01", "1", "missing", "LEFT") == b"*-1\r\n"
    conn.close()


def test_pipelined_commands_run_after_the_block_ends(port):
    ctl, conn = connections(port, 2)
    conn.send_raw(b"BLPOP q 0\r\nLLEN q\r\nPING\r\n")
    wait_blocked(ctl, 1)
    ctl.execute("RPUSH", "q", "x", "y")
    assert conn.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    assert conn.read_reply() == b":1\r\n"
    assert conn.read_reply() == b"+PONG\r\n"
    ctl.close()
    conn.close()


def test_blmove_chain_serves_the_next_waiter(port):
    ctl = RawConnection(port)
    mover, popper = connections(port, 2)
    mover.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", 0)
    wait_blocked(ctl, 1)
    popper.send("BRPOPLPUSH", "dst", "final", 0)
    wait_blocked(ctl, 2)
    assert ctl.execute("RPUSH", "src", "v") == b":1\r\n"
    assert mover.read_reply() == b"$1\r\nv\r\n"
    assert popper.read_reply() == b"$1\r\nv\r\n"
    assert ctl.execute("LRANGE", "final", 0, -1) == b"*1\r\n$1\r\nv\r\n"
    assert ctl.execute("EXISTS", "src", "dst") == b":0\r\n"
    for conn in (ctl, mover, popper):
        conn.close()


def test_blmove_to_a_wrong_type_destination_errors_and_keeps_the_element(port):
    ctl, conn = connections(port, 2)
    ctl.execute("SET", "dst", "string")
    conn.send("BLMOVE", "src", "dst", "LEFT", "LEFT", 0)
    wait_blocked(ctl, 1)
    ctl.execute("RPUSH", "src", "v")
    assert conn.read_reply().startswith(b"-WRONGTYPE")
    assert ctl.execute("LRANGE", "src", 0, -1) == b"*1\r\n$1\r\nv\r\n"
    ctl.close()
    conn.close()


def test_blmpop_serves_count_elements(port):
    ctl, conn = connections(port, 2)
    conn.send("BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2)
    wait_blocked(ctl, 1)
    ctl.execute("RPUSH", "b", "1", "2", "3")
    assert conn.read_reply() == b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    ctl.close()
    conn.close()


def test_closed_connection_leaves_the_queue(port):
    ctl, gone, stays = connections(port, 3)
    gone.send("BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    stays.send("BLPOP", "q", 0)
    wait_blocked(ctl, 2)
    gone.close()
    wait_blocked(ctl, 1)
    ctl.execute("RPUSH", "q", "only")
    assert stays.read_reply() == b"*2\r\n$1\r\nq\r\n$4\r\nonly\r\n"
    ctl.close()
    stays.close()


def test_a_sorted_set_does_not_serve_a_list_waiter(port):
    ctl, conn = connections(port, 2)
    conn.send("BLPOP", "k", 0)
    wait_blocked(ctl, 1)
    ctl.execute("SET", "k", "string")
    ctl.execute("DEL", "k")
    ctl.execute("RPUSH", "k", "v")
    assert conn.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
    ctl.close()
    conn.close()


def test_timeout_errors_match_redis(port):
    conn = RawConnection(port)
    negative = b"-ERR timeout is negative\r\n"
    not_float = b"-ERR timeout is not a float or out of range\r\n"
    for timeout, reply in (("-1", negative), ("inf", negative), ("1e400", negative),
                           ("0x7FFFFFFFFFFFFF", negative), ("abc", not_float),
                           ("1e5000", not_float), (" 1", not_float), ("nan", not_float),
                           ("1.5e-9x", not_float)):
        assert conn.execute("BLPOP", "k", timeout) == reply, timeout
    assert conn.execute("BLPOP", "k", "0x1p-8") == b"*-1\r\n"
    assert conn.execute("BLPOP", "k", "1e-400") == b"*-1\r\n"
    conn.close()


def client_id(conn: RawConnection) -> int:
    return int(conn.execute("CLIENT", "ID")[1:-2])


def test_client_unblock_timeout_and_error(port):
    ctl, conn = connections(port, 2)
    target = client_id(conn)
    assert ctl.execute("CLIENT", "UNBLOCK", target) == b":0\r\n"
    conn.send("BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    assert ctl.execute("CLIENT", "UNBLOCK", target, "TIMEOUT") == b":1\r\n"
    assert conn.read_reply() == b"*-1\r\n"
    conn.send("BLMOVE", "q", "d", "LEFT", "LEFT", 0)
    wait_blocked(ctl, 1)
    assert ctl.execute("CLIENT", "UNBLOCK", target, "error") == b":1\r\n"
    assert conn.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    wait_blocked(ctl, 0)
    assert conn.execute("PING") == b"+PONG\r\n"
    ctl.close()
    conn.close()


def test_push_in_multi_wakes_after_exec(port):
    ctl, conn = connections(port, 2)
    if ctl.execute("MULTI").startswith(b"-ERR unknown"):
        pytest.skip("MULTI not available yet")
    ctl.execute("DISCARD")
    conn.send("BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    ctl.execute("MULTI")
    ctl.execute("RPUSH", "q", "a")
    ctl.execute("DEL", "q")
    ctl.execute("RPUSH", "q", "b")
    assert ctl.execute("EXEC") == b"*3\r\n:1\r\n:1\r\n:1\r\n"
    assert conn.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    ctl.close()
    conn.close()


def test_advancing_the_clock_times_blocks_out():
    own = start_server("pyredis")      # the clock moves for good: not the shared server
    try:
        ctl, conn = connections(own.port, 2)
        conn.send("BLPOP", "q", 1000)
        wait_blocked(ctl, 1)
        assert ctl.execute("DEBUG", "ADVANCE-CLOCK", 1001) == b"+OK\r\n"
        assert conn.read_reply() == b"*-1\r\n"
        ctl.close()
        conn.close()
    finally:
        own.stop()


def test_timeouts_in_milliseconds_for_stream_style_commands():
    from pyredis.blocking import parse_timeout
    from pyredis.errors import RedisError
    assert parse_timeout(b"1500", milliseconds=True) == 1.5
    assert parse_timeout(b"0", milliseconds=True) == 0
    for raw, message in ((b"1.5", "ERR timeout is not an integer or out of range"),
                         (b"-1", "ERR timeout is negative")):
        with pytest.raises(RedisError) as caught:
            parse_timeout(raw, milliseconds=True)
        assert caught.value.message == message


def test_push_in_a_script_wakes_after_it_ends(port):
    ctl, conn = connections(port, 2)
    # from a script BLMPOP answers at once: its null array reaches Lua as false
    assert ctl.execute("EVAL", "return redis.call('blmpop', 0, 1, 'q', 'left')", 0) == \
        b"$-1\r\n"
    conn.send("BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    script = ("redis.call('rpush', KEYS[1], 'a'); redis.call('del', KEYS[1]); "
              "redis.call('rpush', KEYS[1], 'b'); return redis.call('llen', KEYS[1])")
    assert ctl.execute("EVAL", script, 1, "q") == b":1\r\n"
    assert conn.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    ctl.close()
    conn.close()


# -- several waiters, random pushes: served the same way as by redis-server -------------------

BKEYS = ["a", "b", "c"]
WAITER = st.one_of(
    st.tuples(st.sampled_from(["BLPOP", "BRPOP"]),
              st.lists(st.sampled_from(BKEYS), min_size=1, max_size=3)).map(
        lambda t: [t[0], *t[1], 0]),
    st.tuples(st.sampled_from(BKEYS), st.sampled_from(BKEYS), st.sampled_from(["LEFT", "RIGHT"]),
              st.sampled_from(["LEFT", "RIGHT"])).map(lambda t: ["BLMOVE", *t, 0]),
    st.tuples(st.lists(st.sampled_from(BKEYS), min_size=1, max_size=2),
              st.sampled_from(["LEFT", "RIGHT"]), st.integers(1, 3)).map(
        lambda t: ["BLMPOP", 0, len(t[0]), *t[0], t[1], "COUNT", t[2]]),
)
PUSH = st.tuples(st.sampled_from(["LPUSH", "RPUSH"]), st.sampled_from(BKEYS),
                 st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3)).map(
    lambda t: [t[0], t[1], *t[2]]) | st.tuples(
    st.sampled_from(["DEL", "LPOP", "SET"]), st.sampled_from(BKEYS)).map(
    lambda t: [*t, "s"] if t[0] == "SET" else list(t))


def play(port: int, waiters: list, pushes: list) -> list:
    """Block each waiter in turn, push, release the rest; every reply and the final lists."""
    ctl = RawConnection(port)
    ctl.execute("FLUSHALL")
    conns = connections(port, len(waiters))
    for i, (conn, command) in enumerate(zip(conns, waiters)):
        conn.send(*command)
        wait_blocked(ctl, i + 1)
    transcript = []
    for batch in pushes:
        if len(batch) > 1:
            ctl.execute("MULTI")
            for push in batch:
                ctl.execute(*push)
            transcript.append(ctl.execute("EXEC"))
        else:
            transcript.append(ctl.execute(*batch[0]))
    for conn in conns:
        ctl.execute("CLIENT", "UNBLOCK", client_id_of(ctl, conn))
        transcript.append(conn.read_reply())
    transcript += [ctl.execute("LRANGE", key, 0, -1) for key in BKEYS]
    for conn in conns + [ctl]:
        conn.close()
    return transcript


def client_id_of(ctl: RawConnection, conn: RawConnection) -> int:
    """The id of a (possibly blocked) connection, from CLIENT LIST by its local port."""
    port = conn.sock.getsockname()[1]
    for line in ctl.execute("CLIENT", "LIST").decode().split("\n"):
        if f"addr=127.0.0.1:{port} " in line:
            return int(line.split("id=")[1].split()[0])
    raise AssertionError("connection not in CLIENT LIST")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(WAITER, min_size=1, max_size=3),
       st.lists(st.lists(PUSH, min_size=1, max_size=4), min_size=1, max_size=4))
def test_random_waiters_are_served_as_by_redis(server, real_server, waiters, pushes):
    assert play(server.port, waiters, pushes) == play(real_server.port, waiters, pushes)


def test_keys_are_served_in_the_order_they_became_ready(port):
    """A SET of another type does not make a list waiter's key ready: in this transaction b
    is ready before a (created as a list after it), so b's waiter gets b's own element."""
    ctl, popper, mover = connections(port, 3)
    popper.send("BLPOP", "b", 0)
    wait_blocked(ctl, 1)
    mover.send("BLMOVE", "a", "b", "RIGHT", "LEFT", 0)
    wait_blocked(ctl, 2)
    for command in (("MULTI",), ("SET", "a", "s"), ("RPUSH", "b", "x"), ("DEL", "a"),
                    ("RPUSH", "a", "y"), ("EXEC",)):
        ctl.execute(*command)
    assert popper.read_reply() == b"*2\r\n$1\r\nb\r\n$1\r\nx\r\n"
    assert mover.read_reply() == b"$1\r\ny\r\n"
    assert ctl.execute("LRANGE", "b", 0, -1) == b"*1\r\n$1\r\ny\r\n"
    for conn in (ctl, popper, mover):
        conn.close()

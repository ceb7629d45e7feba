"""The request parser: multibulk and inline requests, pipelining, and Redis's exact protocol
errors (after which the connection is closed), compared with the real redis-server."""
import socket

import pytest
from hypothesis import given, settings, strategies as st

from helpers import RawConnection, start_server, encode_command
from pyredis.errors import ProtocolError
from pyredis.protocol.auto import REQUEST_PARSERS
from pyredis.protocol.parse import BIG_ARG, split_args

MALFORMED = [
    b"*abc\r\n",                       # invalid multibulk length
    b"*3000000000\r\n",                # more than INT_MAX
    b"*1\r\nfoo\r\n",                  # expected '$'
    b"*1\r\n$abc\r\n",                 # invalid bulk length
    b"*1\r\n$-5\r\n",                  # negative bulk length
    b"*1\r\n$600000000\r\n",           # over proto-max-bulk-len
    b'set "a b\r\n',                   # unbalanced quotes (inline)
    b"set 'a'b c\r\n",                 # closing quote not followed by a space
    b"*1\r\n:5\r\n",                   # integer where a bulk is expected
]


def _exchange(port: int, payload: bytes) -> tuple[bytes, bool]:
    """Send payload, return (everything received, whether the server closed the socket)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                return data, False
            if not chunk:
                return data, True
            data += chunk
            if data.endswith(b"\r\n") and data.startswith(b"-"):
                sock.settimeout(2)


@pytest.mark.parametrize("payload", MALFORMED)
def test_protocol_errors_match_redis_and_close(server, real_server, payload):
    ours = _exchange(server.port, payload)
    theirs = _exchange(real_server.port, payload)
    assert ours == theirs
    assert ours[1], "the connection is closed after a protocol error"


def test_too_big_inline_request(server, real_server):
    payload = b"a" * (70 * 1024)
    assert _exchange(server.port, payload) == _exchange(real_server.port, payload)


def test_inline_commands_and_quoting(raw, real_raw):
    for line in (b'SET k "hello world"\r\n', b"GET k\r\n", b"SET k2 'it\\'s'\r\n",
                 b"GET k2\r\n", b'SET k3 "\\x41\\n\\t"\r\n', b"GET k3\r\n", b"PING\n"):
        raw.send_raw(line)
        real_raw.send_raw(line)
        assert raw.read_reply() == real_raw.read_reply()


def test_empty_requests_are_ignored(raw, real_raw):
    for conn in (raw, real_raw):
        conn.send_raw(b"\r\n*0\r\n*-1\r\n\n")
    assert raw.execute("PING") == real_raw.execute("PING") == b"+PONG\r\n"


def test_pipeline_split_at_every_byte(server):
    """A pipeline fed one byte at a time gives the same replies as fed whole."""
    payload = b"".join(encode_command(("SET", f"key{i}", "v" * i)) for i in range(20))
    payload += b"GET key7\r\n" + encode_command(("GET", "key19"))
    conn = RawConnection(server.port)
    for i in range(len(payload)):
        conn.send_raw(payload[i:i + 1])
    replies = [conn.read_reply() for _ in range(22)]
    assert replies[:20] == [b"+OK\r\n"] * 20
    assert replies[20] == b"$7\r\nvvvvvvv\r\n"
    assert replies[21] == b"$19\r\n" + b"v" * 19 + b"\r\n"
    conn.close()


def test_large_bulk_argument(r):
    value = b"x" * (5 * 1024 * 1024)
    r.set("big", value)
    assert r.get("big") == value


# -- the parser on its own, property-tested -------------------------------------------

args_strategy = st.lists(st.binary(max_size=40), min_size=1, max_size=8)


@pytest.mark.parametrize("parser_class", REQUEST_PARSERS.values(), ids=REQUEST_PARSERS.keys())
@settings(max_examples=200, deadline=None)
@given(st.lists(args_strategy, min_size=1, max_size=6), st.data())
def test_parser_roundtrip_any_split(parser_class, commands, data):
    payload = b"".join(encode_command(tuple(c)) for c in commands)
    cut = data.draw(st.integers(min_value=0, max_value=len(payload)))
    parser = parser_class()
    parsed = []
    for chunk in (payload[:cut], payload[cut:]):
        parser.feed(chunk)
        parsed.extend(parser.parse())
    assert parsed == commands
    assert parser.pending() == 0


# Arguments around the size from which the rest of one is gathered in pieces of its own.
big_arg = st.builds(lambda byte, size: bytes([byte]) * size, st.integers(0, 255),
                    st.integers(BIG_ARG - 2, BIG_ARG + 3000))


@pytest.mark.parametrize("parser_class", REQUEST_PARSERS.values(), ids=REQUEST_PARSERS.keys())
@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.binary(max_size=40), big_arg), min_size=1, max_size=4),
                min_size=1, max_size=4), st.data())
def test_big_arguments_in_any_pieces(parser_class, commands, data):
    """Requests with big arguments, cut anywhere into several reads, some fed without a
    parse between: the same requests, and nothing pending or wanted after them."""
    payload = b"".join(encode_command(tuple(c)) for c in commands)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=6)))
    parser = parser_class()
    parsed = []
    for start, end in zip([0] + cuts, cuts + [len(payload)]):
        parser.feed(payload[start:end])
        assert parser.pending() <= end
        if data.draw(st.booleans()):
            parsed.extend(parser.parse())
    parsed.extend(parser.parse())
    assert parsed == commands
    assert parser.pending() == 0 and parser.wanted() == 0


@pytest.mark.parametrize("parser_class", REQUEST_PARSERS.values(), ids=REQUEST_PARSERS.keys())
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_parser_never_crashes_on_garbage(parser_class, payload):
    parser = parser_class()
    parser.feed(payload)
    try:
        for argv in parser.parse():
            assert all(isinstance(a, bytes) for a in argv)
    except ProtocolError as exc:
        assert exc.message.startswith("ERR Protocol error: ")


@pytest.mark.parametrize("line,expected", [
    (b"a b  c", [b"a", b"b", b"c"]),
    (b'"a b" c', [b"a b", b"c"]),
    (b"'a\\'b'", [b"a'b"]),
    (b'"\\x41\\x4a"', [b"AJ"]),
    (b'"a\\"b"', [b'a"b']),
    (b'"unterminated', None),
    (b'"a"b', None),
    (b"", []),
])
def test_split_args(line, expected):
    assert split_args(line) == expected


@pytest.fixture(scope="module")
def password_servers():
    """pyredis and redis-server with requirepass: clients must authenticate first."""
    servers = [start_server(kind, ["--requirepass", "pw"]) for kind in ("pyredis", "redis")]
    yield servers
    for proc in servers:
        proc.stop()


@pytest.mark.parametrize("payload", [
    encode_command(("SET",) + ("k",) * 10),                 # 11 arguments
    b"*1\r\n$16385\r\n",                                     # a bulk over 16 KB
    b"*11\r\n$3\r\nSET\r\n",                                 # the header alone is enough
    encode_command(("PING",)) + b"*2\r\n$4\r\nECHO\r\n$17000\r\n",   # after a request
])
def test_unauthenticated_clients_send_small_requests_only(password_servers, payload):
    """Before AUTH, Redis refuses a request of more than 10 arguments or a bulk of more
    than 16 KB with a protocol error, and closes the connection."""
    ours, theirs = (_exchange(proc.port, payload) for proc in password_servers)
    assert ours == theirs
    assert ours[1] and b"unauthenticated" in ours[0]


def test_no_auth_commands_before_auth(password_servers):
    """Before AUTH only the no-auth commands run (AUTH, HELLO, QUIT, RESET): RESET answers
    +RESET and leaves the client unauthenticated, QUIT answers +OK and closes."""
    payload = b"".join(encode_command(args) for args in (
        ("PING",), ("RESET",), ("GET", "k"), ("MULTI",), ("HELLO", "2", "AUTH", "x", "y"),
        ("QUIT",), ("PING",)))
    ours, theirs = (_exchange(proc.port, payload) for proc in password_servers)
    assert ours == theirs
    assert ours[0].startswith(b"-NOAUTH Authentication required.\r\n+RESET\r\n-NOAUTH")
    assert ours[0].endswith(b"+OK\r\n") and ours[1]


def test_authenticated_clients_have_the_usual_limits(password_servers):
    payload = (encode_command(("AUTH", "pw")) + encode_command(("SET",) + ("k",) * 10)
               + encode_command(("ECHO", "x" * 20000)) + encode_command(("RESET",))
               + b"*2\r\n$4\r\nECHO\r\n$20000\r\n")
    ours, theirs = (_exchange(proc.port, payload) for proc in password_servers)
    assert ours == theirs
    assert ours[0].startswith(b"+OK\r\n-ERR syntax error\r\n$20000\r\n")
    assert ours[0].endswith(b"+RESET\r\n-ERR Protocol error: unauthenticated bulk length\r\n")

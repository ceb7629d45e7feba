"""The hiredis fast-path request parser against the exact pure-Python one: on any input, cut
anywhere, both give the same requests and the same protocol error (Redis's text)."""
import pytest
from hypothesis import given, settings, strategies as st

from helpers import encode_command
from pyredis.errors import ProtocolError
from pyredis.protocol.parse import RequestParser
from pyredis.protocol.parse_hiredis import HiredisRequestParser

# Pieces of input, valid and not, that the two parsers must see alike.
ODD_PIECES = [
    b"*0\r\n", b"*-1\r\n", b"\r\n", b"\n", b"PING\r\n", b"set k 'v w'\r\n", b'get "a\\x41"\n',
    b"*1\r\n:5\r\n", b"*1\r\n+PING\r\n", b"*1\r\n=8\r\ntxt:PING\r\n", b"*1\r\n(12\r\n",
    b"*2\r\n$3\r\nabc\r\n_\r\n", b"*1\r\n,1.5\r\n", b"*1\r\n#t\r\n", b"*1\r\n-ERR x\r\n",
    b"*1\r\n%1\r\n$1\r\na\r\n$1\r\nb\r\n", b"*1\r\n*1\r\n$1\r\na\r\n", b"*1\r\n$-1\r\n",
    b"*3000000000\r\n", b"*1\r\n$600000000\r\n", b"*1\r\n$-5\r\n", b"*1\r\n$03\r\nabc\r\n",
    b"*01\r\n$1\r\na\r\n", b"*1\rX$4\r\nPING\r\n", b"*1\r\n$4\rXPING\r\n",
    b"*1\r\n$4\r\nPINGxy", b"*2\r\n$1\r\na\r\n", b"$5\r\nhello\r\n", b"+OK\r\n", b":1\r\n",
    b"*abc\r\n", b"*1\r\nfoo\r\n", b'set "a b\r\n', b"*", b"*1\r\n$", b"*1\r\n$1",
    b"x" * 70000, b"*" + b"1" * 70000, b"*1\r\n$" + b"1" * 70000,
]

argument = st.one_of(st.binary(max_size=30),
                     st.sampled_from([b"", b"\r\n+x", b"\n=", b"(", b"*1\r\n", b"$3\r\n"]))
request = st.lists(argument, min_size=1, max_size=5).map(lambda a: encode_command(tuple(a)))
piece = st.one_of(request, request, st.sampled_from(ODD_PIECES), st.binary(max_size=20))


def run(parser_class, chunks):
    """Feed chunk by chunk; the requests parsed, then the protocol error text (or None)."""
    parser = parser_class()
    out = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            out.extend(parser.parse())
    except ProtocolError as exc:
        return out, exc.message
    return out, None


def cut(data, points):
    points = sorted(p % (len(data) + 1) for p in points)
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)])]


@settings(max_examples=300, deadline=None)
@given(st.lists(piece, min_size=1, max_size=8), st.lists(st.integers(0, 10**6), max_size=6))
def test_both_parsers_agree(pieces, points):
    chunks = cut(b"".join(pieces), points)
    assert run(HiredisRequestParser, chunks) == run(RequestParser, chunks)


@settings(max_examples=100, deadline=None)
@given(st.lists(request, min_size=1, max_size=30), st.integers(1, 64))
def test_pipelines_of_valid_requests(requests, size):
    """Valid pipelines fed in fixed-size reads: both parsers, the same requests."""
    data = b"".join(requests)
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    out, error = run(HiredisRequestParser, chunks)
    assert error is None
    assert (out, error) == run(RequestParser, chunks)


@pytest.mark.parametrize("piece", ODD_PIECES)
def test_each_odd_piece_alone_and_after_a_request(piece):
    for data in (piece, encode_command(("SET", "k", "v")) + piece):
        for size in ((1, 3, len(data)) if len(data) < 1000 else (1000, len(data))):
            chunks = [data[i:i + size] for i in range(0, len(data), size)]
            assert run(HiredisRequestParser, chunks) == run(RequestParser, chunks)


def test_big_argument_across_many_reads():
    value = b"v" * 300_000
    data = encode_command(("SET", "k", value)) + encode_command(("GET", "k"))
    chunks = [data[i:i + 16384] for i in range(0, len(data), 16384)]
    assert run(HiredisRequestParser, chunks) == ([[b"SET", b"k", value], [b"GET", b"k"]], None)


def test_lower_bulk_limit_is_kept():
    data = encode_command(("SET", "k", "v" * 100))
    assert run(lambda: HiredisRequestParser(50), [data]) == run(lambda: RequestParser(50), [data])
    assert run(lambda: HiredisRequestParser(50), [data])[1] == \
        "ERR Protocol error: invalid bulk length"


def test_hiredis_is_in_charge_again_after_an_inline_command():
    parser = HiredisRequestParser()
    parser.feed(b"PING\r\n")
    assert list(parser.parse()) == [[b"PING"]]
    parser.feed(encode_command(("GET", "k")))
    assert not parser.exact_on
    assert list(parser.parse()) == [[b"GET", b"k"]]


def test_a_big_argument_is_read_by_the_exact_parser_alone():
    """The first read of a big argument goes to the exact parser without passing through
    hiredis's buffer; hiredis is in charge again for the next request."""
    value = b"v" * 100_000
    data = encode_command(("SET", "k", value))
    parser = HiredisRequestParser()
    parser.feed(data[:16384])
    assert parser.exact_on and parser.reader is None
    assert list(parser.parse()) == []
    parser.feed(data[16384:])
    assert list(parser.parse()) == [[b"SET", b"k", value]]
    parser.feed(encode_command(("GET", "k")))
    assert not parser.exact_on and parser.reader is not None
    assert list(parser.parse()) == [[b"GET", b"k"]]


@pytest.mark.parametrize("parser_class", [HiredisRequestParser, RequestParser])
def test_the_rest_of_a_big_argument_is_wanted_at_once(parser_class):
    """From 32 KB on, the parser tells how many bytes the argument still needs (the client
    reads them in one go, as Redis does); smaller arguments want nothing special."""
    value = b"v" * 100_000
    data = encode_command(("SET", "k", value))
    parser = parser_class()
    parser.feed(data[:16384])
    assert list(parser.parse()) == []
    assert parser.wanted() == len(data) - 16384
    parser.feed(data[16384:50000])
    assert list(parser.parse()) == []
    assert parser.wanted() == len(data) - 50000
    parser.feed(data[50000:])
    assert list(parser.parse()) == [[b"SET", b"k", value]]
    assert parser.wanted() == 0
    small = encode_command(("SET", "k", b"v" * 1000))
    parser.feed(small[:500])
    assert list(parser.parse()) == []
    assert parser.wanted() == 0


def test_limits_before_authentication_are_lifted_after_it():
    parser = HiredisRequestParser()
    parser.set_auth_limits(True)
    parser.feed(encode_command(("AUTH", "pw")))
    assert list(parser.parse()) == [[b"AUTH", b"pw"]]
    parser.set_auth_limits(False)
    big = ("SET",) + ("k",) * 10
    parser.feed(encode_command(big))
    assert list(parser.parse()) == [[arg.encode() for arg in big]]
    parser.feed(encode_command(big))
    assert not parser.exact_on    # hiredis is in charge again
    assert list(parser.parse()) == [[arg.encode() for arg in big]]
    parser.set_auth_limits(True)
    parser.feed(encode_command(big))
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        list(parser.parse())


def _hiredis_would_misread(data):
    """The two whole-buffer searches of the dense check, as regular expressions."""
    from pyredis.protocol import parse_hiredis
    return bool(parse_hiredis._BIG_COUNT(data)) or \
        parse_hiredis._ODD_ELEMENT(data) is not None or data[0] in parse_hiredis._ODD_BYTES


@given(st.binary(max_size=64), st.lists(st.tuples(
    st.integers(0, 9000), st.sampled_from([b"*12345", b"*1234", b"\n+", b"\n$", b"\n", b"*",
                                           b"\n|", b"+", b"\n%", b"\r\n" * 8])), max_size=8))
@settings(max_examples=300, deadline=None)
def test_a_big_argument_s_bytes_go_to_the_exact_parser(head, marks):
    """A read of more than 4 KB with fewer than 32 newlines is a big argument's: the exact
    parser takes it, whatever it holds; a denser one is checked as any read."""
    from pyredis.protocol import parse_hiredis
    data = bytearray(head + b"x" * 9000)
    for pos, piece in marks:
        data[pos:pos + len(piece)] = piece
    data = bytes(data)
    sparse = data.count(b"\n") < parse_hiredis.SPARSE_MARKS
    assert parse_hiredis._sparse(data) == sparse
    assert parse_hiredis._risky(data) == (sparse or _hiredis_would_misread(data))


@given(st.lists(st.sampled_from([b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", b"*12345",
                                 b"\n+", b"\n|", b"x" * 40]), min_size=120, max_size=300))
@settings(max_examples=200, deadline=None)
def test_dense_bytes_get_the_same_answer(pieces):
    """Many requests in one read: not sparse, and the answer is the regular expressions'."""
    from pyredis.protocol import parse_hiredis
    data = b"".join(pieces)
    if len(data) > parse_hiredis.SPARSE_MIN and parse_hiredis._sparse(data):
        return   # mostly the 40-byte filler: a big argument's bytes (the test above)
    assert parse_hiredis._risky(data) == _hiredis_would_misread(data)

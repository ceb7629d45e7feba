"""The reply encoder's array fast paths (plain bytes elements in one join; elements of one
length with one separator) and lazy big replies give the same bytes as encoding element by
element."""
from hypothesis import given, settings, strategies as st

from pyredis.protocol.encode import (NULL_ARRAY, OK, LazyAggregate, SimpleString, encode,
                                     encode_reply, format_double)

element = st.one_of(
    st.binary(max_size=20), st.binary(min_size=4090, max_size=4100),
    st.builds(bytearray, st.binary(max_size=5)), st.builds(SimpleString, st.binary(max_size=5)),
    st.just(OK), st.integers(-5, 20000), st.none(), st.just(NULL_ARRAY),
    st.lists(st.binary(max_size=5), max_size=3))
# Elements all of one length, up to and past the 4 KB where the fast paths stop.
uniform = st.sampled_from([0, 1, 3, 20, 4095, 4096]).flatmap(
    lambda n: st.lists(st.binary(min_size=n, max_size=n), min_size=3, max_size=20))


def one_by_one(items: list, proto: int) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(encode(item, proto) for item in items)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(element, max_size=12), st.lists(element, min_size=14, max_size=40),
                 st.lists(st.binary(max_size=20), min_size=14, max_size=40), uniform),
       st.sampled_from([2, 3]))
def test_arrays_encode_as_their_elements(items, proto):
    assert encode(items, proto) == one_by_one(items, proto)
    assert encode(tuple(items), proto) == one_by_one(items, proto)


@settings(max_examples=20, deadline=None)
@given(st.lists(element, min_size=1, max_size=4), st.integers(1, 70000))
def test_lazy_replies_in_slices_equal_the_whole(pattern, limit):
    items = (pattern * (2000 // len(pattern) + 1))[:2000]
    lazy = encode_reply(items, 2)
    assert isinstance(lazy, LazyAggregate)
    body = b""
    while not lazy.done():
        body += lazy.encode_some(limit)
    assert lazy.header + body == one_by_one(items, 2)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([dict, set, frozenset, tuple]), st.sampled_from([2, 3]),
       st.integers(1, 70000))
def test_lazy_maps_and_sets_equal_the_whole(kind, proto, limit):
    keys = [b"k%d" % i for i in range(1500)]
    value = dict(zip(keys, range(1500))) if kind is dict else kind(keys)
    lazy = encode_reply(value, proto)
    assert isinstance(lazy, LazyAggregate)
    body = b""
    while not lazy.done():
        body += lazy.encode_some(limit)
    assert lazy.header + body == encode(value, proto)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.floats(), st.integers(-2**60, 2**60).map(float),
                 st.sampled_from([0.0, -0.0, 1e17, -1e17, 1e17 - 16, 2.0**53 + 2, 0.5, -3.0])))
def test_doubles_are_written_as_printf_writes_them(value):
    """Integral scores take a shortcut: it must write what %.17g writes, -0 and 1e+17
    included."""
    assert format_double(value) == b"%.17g" % value
    assert encode([value], 2) == b"*1\r\n$%d\r\n%s\r\n" % (len(b"%.17g" % value), b"%.17g" % value)

"""The loop's file events, on epoll and on the selectors fallback of platforms without it:
the same handlers called in the same order."""
from __future__ import annotations

import os
import select
import socket

import pytest

from pyredis.reactor import Reactor, _Selector

POLLERS = [pytest.param(_Selector, id="selectors")]
if hasattr(select, "epoll"):
    POLLERS.insert(0, pytest.param(select.epoll, id="epoll"))


@pytest.fixture(params=POLLERS)
def reactor(request):
    reactor = Reactor(request.param())
    yield reactor
    reactor.close()


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_readable_and_writable_files_call_their_handlers(reactor, pair):
    a, b = pair
    calls = []
    reactor.add_reader(a, lambda: calls.append("read"))
    reactor.poll(0.0)
    assert calls == []
    b.send(b"x")
    reactor.poll(0.0)
    assert calls == ["read"]
    reactor.add_writer(a, lambda: calls.append("write"))
    reactor.poll(0.0)
    assert calls == ["read", "read", "write"]
    reactor.remove_reader(a)
    reactor.poll(0.0)
    assert calls[3:] == ["write"]
    reactor.remove_writer(a)
    reactor.poll(0.0)
    assert calls[4:] == []


def test_the_barrier_runs_the_write_handler_first(reactor, pair):
    a, b = pair
    calls = []
    b.send(b"x")
    reactor.add_reader(a, lambda: calls.append("read"))
    reactor.add_writer(a, lambda: calls.append("write"))
    reactor.poll(0.0)
    reactor.barrier = True
    reactor.poll(0.0)
    assert calls == ["read", "write", "write", "read"]


def test_a_hang_up_is_readable(reactor, pair):
    a, b = pair
    calls = []
    reactor.add_reader(a, lambda: calls.append(a.recv(10)))
    b.close()
    reactor.poll(0.0)
    assert calls == [b""]


def test_a_file_forgotten_in_the_cycle_is_not_called(reactor):
    pairs = [socket.socketpair() for _ in range(2)]
    calls = []

    def first() -> None:
        calls.append(0)
        reactor.forget(pairs[1][0])

    try:
        reactor.add_reader(pairs[0][0], first)
        reactor.add_reader(pairs[1][0], lambda: calls.append(1))
        for _, peer in pairs:
            peer.send(b"x")
        reactor.poll(0.0)
        assert calls in ([0], [1, 0])   # the order of ready files is the poller's
        reactor.poll(0.0)
        assert calls.count(1) <= 1 and calls.count(0) == 2
    finally:
        for a, b in pairs:
            a.close()
            b.close()


def test_file_descriptors_as_numbers(reactor):
    read_fd, write_fd = os.pipe()
    calls = []
    try:
        reactor.add_reader(read_fd, lambda: calls.append("read"))
        os.write(write_fd, b"x")
        reactor.poll(0.0)
        assert calls == ["read"]
        reactor.forget(read_fd)
        reactor.poll(0.0)
        assert calls == ["read"]
    finally:
        os.close(read_fd)
        os.close(write_fd)

"""The event loop (Redis's ae.c): file events on epoll (through `selectors` where there is
none), timers, and before-sleep hooks, all in one thread."""
from __future__ import annotations

import collections
import heapq
import itertools
import select
import selectors
import socket
import sys
import time
from typing import Any, Callable, Final, Optional

# Event masks as epoll's (its values, also where there is no epoll): a file is readable on
# anything but "writable" alone (an error or a hang-up included), writable on anything but
# "readable" alone, as selectors reads epoll's masks.
READ: Final = 1     # EPOLLIN
WRITE: Final = 4    # EPOLLOUT


def dispatch(files: dict, events: list, barrier: bool = False) -> None:
    """Call the handlers of ready files: `events` are (fd, mask) pairs, `files` maps an fd to
    its [on_readable, on_writable]. With `barrier` a file's write handler runs before its
    read handler (Redis's AE_BARRIER): a reply to a command read now waits for the end of
    the cycle, after the AOF is written and fsynced."""
    # The handlers as the poll found them: a file forgotten by a handler run before in this
    # cycle has them cleared, and a new file given the same fd meanwhile is not called.
    ready = [(files.get(fd), mask) for fd, mask in events]
    for handlers, mask in ready:
        if handlers is None:
            continue
        readable = mask != WRITE
        if barrier and mask != READ and handlers[1] is not None:
            handlers[1]()
            if readable and handlers[0] is not None:
                handlers[0]()
            continue
        if readable and handlers[0] is not None:
            handlers[0]()
        if mask != READ and handlers[1] is not None:
            handlers[1]()


class _Selector:
    """epoll's interface (register, modify, unregister, poll of (fd, mask) pairs) over the
    platform's best `selectors` selector, where the select module has no epoll."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.name = type(self.selector).__name__.lower().replace("selector", "") or "select"

    @staticmethod
    def _events(mask: int) -> int:
        return (selectors.EVENT_READ if mask & READ else 0) | \
            (selectors.EVENT_WRITE if mask & WRITE else 0)

    def register(self, fd: int, mask: int) -> None:
        self.selector.register(fd, self._events(mask))

    def modify(self, fd: int, mask: int) -> None:
        self.selector.modify(fd, self._events(mask))

    def unregister(self, fd: int) -> None:
        self.selector.unregister(fd)

    def poll(self, timeout: float = -1, maxevents: int = -1) -> list[tuple[int, int]]:
        ready = self.selector.select(None if timeout < 0 else timeout)
        return [(key.fd, (READ if events & selectors.EVENT_READ else 0)
                 | (WRITE if events & selectors.EVENT_WRITE else 0)) for key, events in ready]

    def close(self) -> None:
        self.selector.close()


def fileno(fileobj: Any) -> int:
    """The fd of a file given as an fd or as an object with fileno(), as selectors takes
    them (-1 for a closed socket)."""
    return fileobj if isinstance(fileobj, int) else fileobj.fileno()


def new_poller() -> Any:
    """epoll where the platform has it (polled without selectors' per-event Python, which
    cost as much as the poll itself at -P 1), else the best `selectors` selector."""
    return select.epoll() if hasattr(select, "epoll") else _Selector()


class Reactor:
    def __init__(self, poller: Any = None) -> None:
        self.poller = poller if poller is not None else new_poller()
        self._files: dict[int, list] = {}   # fd -> [on_readable, on_writable]
        # INFO's multiplexing_api: "epoll", "kqueue", "poll" ...
        self.api_name = getattr(self.poller, "name", "epoll")
        self._timers: list[tuple[float, int, Callable[[], Optional[float]]]] = []
        self._timer_ids = itertools.count()
        self._cancelled: set[int] = set()
        self.before_sleep: Callable[[], None] = lambda: None
        self.busy = False   # set by before_sleep when work is left: poll without waiting
        self.barrier = False   # write handlers first (appendfsync always, see dispatch)
        self.running = False
        # Other threads hand work to the loop through this queue and wake it with a byte on
        # the socketpair, so stop() or call_soon_threadsafe() act at once, not at the next timer.
        self._calls: collections.deque[Callable[[], None]] = collections.deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.add_reader(self._wake_r, self._run_calls)

    # -- file events -----------------------------------------------------------------------
    # Each registered file carries [on_readable, on_writable]; either may be None.

    def add_reader(self, sock: Any, callback: Callable[[], None]) -> None:
        self._set(sock, 0, callback)

    def remove_reader(self, sock: Any) -> None:
        self._set(sock, 0, None)

    def add_writer(self, sock: Any, callback: Callable[[], None]) -> None:
        self._set(sock, 1, callback)

    def remove_writer(self, sock: Any) -> None:
        self._set(sock, 1, None)

    def _set(self, sock: Any, slot: int, callback: Optional[Callable[[], None]]) -> None:
        fd = fileno(sock)
        handlers = self._files.get(fd)
        if handlers is None:
            if callback is None or fd < 0:
                return
            handlers = self._files[fd] = [None, None]
            handlers[slot] = callback
            self.poller.register(fd, READ if slot == 0 else WRITE)
            return
        handlers[slot] = callback
        mask = (READ if handlers[0] else 0) | (WRITE if handlers[1] else 0)
        if mask:
            self.poller.modify(fd, mask)
        else:
            del self._files[fd]
            self.poller.unregister(fd)

    def forget(self, sock: Any) -> None:
        """Drop every handler of a file about to be closed."""
        fd = fileno(sock)
        handlers = self._files.pop(fd, None)
        if handlers is None:
            return
        handlers[:] = [None, None]   # the loop may still hold this file's event in hand
        self.poller.unregister(fd)

    # -- timers ----------------------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable[[], Optional[float]]) -> int:
        """Run callback after `delay` seconds; if it returns a number, again after that many."""
        timer_id = next(self._timer_ids)
        heapq.heappush(self._timers, (time.monotonic() + delay, timer_id, callback))
        return timer_id

    def cancel(self, timer_id: int) -> None:
        self._cancelled.add(timer_id)

    def _run_timers(self) -> None:
        now = time.monotonic()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, timer_id, callback = heapq.heappop(timers)
            if timer_id in self._cancelled:
                self._cancelled.discard(timer_id)
                continue
            again = callback()
            if again is not None:
                heapq.heappush(timers, (now + again, timer_id, callback))

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        self.running = True
        while self.running:
            self.before_sleep()
            if not self.running:
                break
            timeout = None
            if self.busy:
                timeout = 0.0
            elif self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            self.poll(timeout)
            self._run_timers()

    def poll(self, timeout: Optional[float]) -> None:
        """Wait up to `timeout` seconds for file events and handle them (timers aside): one
        turn of the loop, also taken by a long script to serve other clients."""
        files = self._files
        events = self.poller.poll(-1 if timeout is None else timeout, len(files) or 1)
        dispatch(files, events, self.barrier)

    def stop(self) -> None:
        """End the loop after the current cycle; safe to call from any thread."""
        self.running = False
        self.wake()

    # -- other threads ---------------------------------------------------------------------

    def call_soon_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run callback in the loop's thread, in its next cycle."""
        self._calls.append(callback)
        self.wake()

    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass   # a wake-up is already pending, or the loop is closed

    def _run_calls(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self._calls:
            self._calls.popleft()()

    def close(self) -> None:
        self.poller.close()
        self._wake_r.close()
        self._wake_w.close()


class UvloopReactor:
    """The same interface on uvloop (libuv): `--io uvloop`.

    libuv has no before-sleep hook, so each callback run by the loop (a ready file, a timer,
    a call from another thread) schedules `before_sleep` once: it then runs after the
    callbacks of that loop iteration, before the loop polls again, as in the selectors loop.
    """

    api_name = "epoll" if sys.platform.startswith("linux") else "kqueue"

    def __init__(self) -> None:
        import uvloop
        self.loop = uvloop.new_event_loop()
        self.before_sleep: Callable[[], None] = lambda: None
        self.busy = False
        # Honoured by poll(); libuv's own loop orders a file's callbacks itself.
        self.barrier = False
        self.running = False
        self._sleep_scheduled = False
        self._timers: dict[int, Any] = {}
        self._timer_ids = itertools.count()
        self._files: dict[int, list] = {}   # fd -> [on_readable, on_writable], for poll()

    def _then_before_sleep(self, callback: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            callback()
            if not self._sleep_scheduled:
                self._sleep_scheduled = True
                self.loop.call_soon(self._before_sleep)
        return run

    def _before_sleep(self) -> None:
        self._sleep_scheduled = False
        self.before_sleep()
        if not self.running:
            self.loop.stop()
        elif self.busy and not self._sleep_scheduled:
            self._sleep_scheduled = True   # work left for the next cycle: come back at once
            self.loop.call_soon(self._before_sleep)

    # -- file events -----------------------------------------------------------------------

    def add_reader(self, sock: Any, callback: Callable[[], None]) -> None:
        fd = fileno(sock)
        self._files.setdefault(fd, [None, None])[0] = callback
        self.loop.add_reader(fd, self._then_before_sleep(callback))

    def remove_reader(self, sock: Any) -> None:
        fd = fileno(sock)
        self._files.get(fd, [None, None])[0] = None
        self.loop.remove_reader(fd)

    def add_writer(self, sock: Any, callback: Callable[[], None]) -> None:
        fd = fileno(sock)
        self._files.setdefault(fd, [None, None])[1] = callback
        self.loop.add_writer(fd, self._then_before_sleep(callback))

    def remove_writer(self, sock: Any) -> None:
        fd = fileno(sock)
        self._files.get(fd, [None, None])[1] = None
        self.loop.remove_writer(fd)

    def forget(self, sock: Any) -> None:
        """Drop every handler of a file about to be closed."""
        fd = fileno(sock)
        if fd >= 0:
            handlers = self._files.pop(fd, None)
            if handlers is not None:
                handlers[:] = [None, None]   # poll() may hold this file's event in hand
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)

    # -- timers ----------------------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable[[], Optional[float]]) -> int:
        """Run callback after `delay` seconds; if it returns a number, again after that many."""
        timer_id = next(self._timer_ids)

        def fire() -> None:
            again = callback()
            if again is not None and timer_id in self._timers:
                self._timers[timer_id] = self.loop.call_later(again, wrapped)
            else:
                self._timers.pop(timer_id, None)

        wrapped = self._then_before_sleep(fire)
        self._timers[timer_id] = self.loop.call_later(delay, wrapped)
        return timer_id

    def cancel(self, timer_id: int) -> None:
        handle = self._timers.pop(timer_id, None)
        if handle is not None:
            handle.cancel()

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        self.running = True
        self._sleep_scheduled = True
        self.loop.call_soon(self._before_sleep)
        self.loop.run_forever()

    def poll(self, timeout: Optional[float]) -> None:
        """Wait up to `timeout` seconds for file events and handle them, from inside a
        callback (a long script serving other clients): libuv cannot be entered again from
        its own callback, so the same files are polled here with a selector of their own."""
        poller = new_poller()
        try:
            for fd, handlers in self._files.items():
                mask = (READ if handlers[0] else 0) | (WRITE if handlers[1] else 0)
                if mask:
                    poller.register(fd, mask)
            events = poller.poll(-1 if timeout is None else timeout, len(self._files) or 1)
            dispatch(self._files, events, self.barrier)
        finally:
            poller.close()

    def stop(self) -> None:
        """End the loop after the current cycle; safe to call from any thread."""
        self.running = False
        self.wake()

    def call_soon_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run callback in the loop's thread, in its next cycle."""
        self.loop.call_soon_threadsafe(self._then_before_sleep(callback))

    def wake(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._then_before_sleep(lambda: None))
        except RuntimeError:
            pass   # the loop is closed

    def close(self) -> None:
        self.loop.close()


IO_BACKENDS: Final = ("selectors", "uvloop")


def make_reactor(io: str = "selectors") -> Any:
    """The event loop for an I/O backend name (`--io`)."""
    if io == "uvloop":
        return UvloopReactor()
    if io != "selectors":
        raise ValueError(f"unknown I/O backend {io!r} (choose from {', '.join(IO_BACKENDS)})")
    return Reactor()

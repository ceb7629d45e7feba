"""The event loop (Redis's ae.c): file events on `selectors` (epoll on Linux), timers, and
before-sleep hooks, all in one thread."""
from __future__ import annotations

import collections
import heapq
import itertools
import selectors
import socket
import sys
import time
from typing import Any, Callable, Optional

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


def dispatch(events: list, barrier: bool = False) -> None:
    """Call the handlers of ready files: (selector key whose data is [on_read, on_write],
    event mask) pairs, as a selector's select() returns them. With `barrier` a file's write
    handler runs before its read handler (Redis's AE_BARRIER): a reply to a command read
    now waits for the end of the cycle, after the AOF is written and fsynced."""
    for key, mask in events:
        handlers = key.data
        if barrier and mask & WRITE and handlers[1] is not None:
            handlers[1]()
            if mask & READ and handlers[0] is not None:
                handlers[0]()
            continue
        if mask & READ and handlers[0] is not None:
            handlers[0]()
        if mask & WRITE and handlers[1] is not None:
            handlers[1]()


class Reactor:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        # INFO's multiplexing_api: "epoll", "kqueue", "poll" ...
        self.api_name = type(self.selector).__name__.lower().replace("selector", "") or "select"
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
        try:
            key = self.selector.get_key(sock)
        except (KeyError, ValueError):
            if callback is None:
                return
            handlers: list[Optional[Callable[[], None]]] = [None, None]
            handlers[slot] = callback
            self.selector.register(sock, READ if slot == 0 else WRITE, handlers)
            return
        handlers = key.data
        handlers[slot] = callback
        mask = (READ if handlers[0] else 0) | (WRITE if handlers[1] else 0)
        if mask:
            self.selector.modify(sock, mask, handlers)
        else:
            self.selector.unregister(sock)

    def forget(self, sock: Any) -> None:
        """Drop every handler of a file about to be closed."""
        try:
            key = self.selector.unregister(sock)
        except (KeyError, ValueError):
            return
        key.data[:] = [None, None]   # the loop may still hold this file's event in hand

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
        dispatch(self.selector.select(timeout), self.barrier)

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
        self.selector.close()
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
        fd = sock.fileno()
        self._files.setdefault(fd, [None, None])[0] = callback
        self.loop.add_reader(fd, self._then_before_sleep(callback))

    def remove_reader(self, sock: Any) -> None:
        fd = sock.fileno()
        self._files.get(fd, [None, None])[0] = None
        self.loop.remove_reader(fd)

    def add_writer(self, sock: Any, callback: Callable[[], None]) -> None:
        fd = sock.fileno()
        self._files.setdefault(fd, [None, None])[1] = callback
        self.loop.add_writer(fd, self._then_before_sleep(callback))

    def remove_writer(self, sock: Any) -> None:
        fd = sock.fileno()
        self._files.get(fd, [None, None])[1] = None
        self.loop.remove_writer(fd)

    def forget(self, sock: Any) -> None:
        """Drop every handler of a file about to be closed."""
        fd = sock.fileno()
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
        with selectors.DefaultSelector() as selector:
            for fd, handlers in self._files.items():
                mask = (READ if handlers[0] else 0) | (WRITE if handlers[1] else 0)
                if mask:
                    selector.register(fd, mask, handlers)
            dispatch(selector.select(timeout), self.barrier)

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


IO_BACKENDS = ("selectors", "uvloop")


def make_reactor(io: str = "selectors") -> Any:
    """The event loop for an I/O backend name (`--io`)."""
    if io == "uvloop":
        return UvloopReactor()
    if io != "selectors":
        raise ValueError(f"unknown I/O backend {io!r} (choose from {', '.join(IO_BACKENDS)})")
    return Reactor()

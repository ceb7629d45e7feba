"""Threaded I/O (Redis 7.0's `io-threads` and `io-threads-do-reads`, networking.c): helper
threads share with the main thread the writing of the replies pending at the end of a loop
cycle and, with io-threads-do-reads, the reading of the clients' queries, while the main
thread runs no command.

Each use is a fan-out and a fan-in, as in Redis: the main thread deals the clients out round
robin (it is thread 0 and takes its own share), waits for the helpers, then does what only
it may do: the write handlers, closing clients, the limits, running the commands read. A
helper touches nothing but its clients' buffers and sockets and its own counters. Python
runs one thread at a time, but a socket call releases the GIL: the kernel's part of each
send and recv (copying, TCP) overlaps the Python work of the other threads.

The threads are used once a cycle leaves at least twice as many clients with pending
replies as there are threads, and no longer below that (Redis's stopThreadedIOIfNeeded):
for a few clients the hand-off costs more than it saves.
"""
from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any, Callable

from .client import FLAG_MASTER, FLAG_REPLICA, Client

if TYPE_CHECKING:
    from .server import Server, Stats

# Clients whose reads stay on the main thread, as in Redis (the replication links).
MAIN_THREAD_READS = frozenset((FLAG_MASTER, FLAG_REPLICA))


def _read(client: Client, stats: "Stats") -> Any:
    return client.read_query()


class IOThreads:
    """io-threads N: N-1 helper threads (started the first time they are needed) and the
    main thread's share. `active` is INFO's io_threads_active."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.count = server.config.io_threads
        self.do_reads = server.config.io_threads_do_reads
        self.active = False
        self.pending_reads: dict[int, Client] = {}    # by id: once each per cycle
        self._jobs: list[queue.SimpleQueue] = []     # one per helper: (work, clients) or None
        self._done: queue.SimpleQueue = queue.SimpleQueue()   # a helper's results or error
        self._threads: list[threading.Thread] = []

    # -- starting and stopping ----------------------------------------------------------

    def stop_if_needed(self, pending: int) -> bool:
        """Redis's stopThreadedIOIfNeeded: True (do without the threads) when `pending`
        clients with replies are too few for them; the threads are then marked inactive,
        the reads they were to do done first."""
        if self.count == 1:
            return True
        if pending < self.count * 2:
            if self.active:
                self.handle_pending_reads()
                self.active = False
                self.server.postpone_reads = False
            return True
        return False

    def _start(self) -> None:
        if not self._threads:
            from .server import Stats
            for i in range(1, self.count):
                jobs: queue.SimpleQueue = queue.SimpleQueue()
                thread = threading.Thread(target=self._serve, args=(jobs, Stats()),
                                          name=f"io_thd_{i}", daemon=True)
                self._jobs.append(jobs)
                self._threads.append(thread)
                thread.start()
        self.active = True
        self.server.postpone_reads = self.do_reads

    def stop(self) -> None:
        """End the helper threads (the server stops serving)."""
        for jobs in self._jobs:
            jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._jobs, self._threads = [], []
        self.active = False
        self.server.postpone_reads = False

    # -- fan-out, fan-in ----------------------------------------------------------------

    def _serve(self, jobs: queue.SimpleQueue, stats: "Stats") -> None:
        """A helper thread: runs each share it is given, hands back the results and what
        it counted."""
        while True:
            job = jobs.get()
            if job is None:
                return
            work, clients = job
            try:
                results = [(client, work(client, stats)) for client in clients]
            except BaseException as exc:   # raised again by the main thread
                self._done.put(exc)
                continue
            self._done.put((results, stats.writes_processed, stats.net_output_bytes))
            stats.writes_processed = stats.net_output_bytes = 0

    def _run(self, work: Callable[[Client, "Stats"], Any], clients: list[Client],
             main_share: list[Client]) -> dict[Client, Any]:
        """`work(client, stats)` for every client: dealt round robin to the threads, the
        main thread's share first with `main_share` added; each client's result."""
        shares: list[list[Client]] = [main_share] + [[] for _ in self._jobs]
        for i, client in enumerate(clients):
            shares[i % len(shares)].append(client)
        given = 0
        for jobs, share in zip(self._jobs, shares[1:]):
            if share:
                jobs.put((work, share))
                given += 1
        stats = self.server.stats
        results: dict[Client, Any] = {}
        error = None
        try:
            for client in shares[0]:
                results[client] = work(client, stats)
        finally:
            # Every helper's answer is taken, even after an error here: none is left for
            # the next fan-in.
            for _ in range(given):
                done = self._done.get()
                if isinstance(done, BaseException):
                    error = done
                    continue
                pairs, writes, output_bytes = done
                results.update(pairs)
                stats.writes_processed += writes
                stats.net_output_bytes += output_bytes
        if error is not None:
            raise error
        return results

    # -- writes and reads ---------------------------------------------------------------

    def handle_pending_writes(self) -> bool:
        """Redis's handleClientsWithPendingWritesUsingThreads: the server's pending replies
        sent by the threads; False, with nothing done, when too few clients wait for them."""
        server = self.server
        if self.stop_if_needed(len(server.pending_writes)):
            return False
        if not self.active:
            self._start()
        self.handle_pending_reads()   # none left behind (their replies go out now too)
        pending, server.pending_writes = server.pending_writes, []
        threaded: list[Client] = []
        main_share: list[Client] = []     # replicas: the main thread feeds them, as Redis
        for client in pending:
            client.pending_write = False
            if client.reply and not client.writing and not client.closed:
                (main_share if FLAG_REPLICA in client.flags else threaded).append(client)
        written = self._run(Client.write_replies, threaded, main_share)
        update_memory = server.client_eviction.update if server.config.maxmemory_clients \
            else None
        for client in pending:
            if client in written:
                if written[client]:
                    client.after_write()
                else:
                    client.close()
            elif not client.reply and client.close_after_reply:
                client.close()
            if update_memory is not None:
                update_memory(client)
        server.stats.io_threaded_writes_processed += len(pending)
        return True

    def postpone_read(self, client: Client) -> bool:
        """Redis's postponeClientRead: with io-threads-do-reads and the threads active, a
        readable client is read by them at the end of the cycle (not a blocked client, nor
        a replication link)."""
        if client.blocked is not None or (client.flags and client.flags & MAIN_THREAD_READS):
            return False
        self.pending_reads[client.id] = client
        return True

    def handle_pending_reads(self) -> None:
        """Redis's handleClientsWithPendingReadsUsingThreads: the postponed reads done by the
        threads, then the commands read run, client by client, on the main thread."""
        if not self.pending_reads:
            return
        postponed, self.pending_reads = self.pending_reads, {}
        clients = [client for client in postponed.values() if not client.closed]
        arrived = self._run(_read, clients, [])
        for client in clients:
            if not client.closed:
                client.handle_read(arrived[client])
        self.server.stats.io_threaded_reads_processed += len(postponed)

"""Replication, the master side (Redis's replication.c): the stream of effects fed to the
replicas and kept in the backlog, SYNC and PSYNC (a full resynchronisation: the RDB of a
BGSAVE sent from dbfilename, or with repl-diskless-sync streamed by the child through a pipe
to the replicas that take `$EOF:<mark>` framing, then the stream gathered since the fork; a
partial one from the backlog when the replica's history is ours), REPLCONF, the replicas'
states, and what the cron does for them once a second (pings, keepalives, timeouts, the
backlog's time limit, a diskless transfer started once its delay is over).

The stream is held once, in the backlog's blocks (Redis 7's shared replication buffer): a
replica's reply buffer holds views of them, and the backlog reaches back to the oldest byte a
replica has yet to send, past repl-backlog-size if need be. So INFO's
mem_total_replication_buffers is the backlog's memory, a replica's output buffer (and its
limit) counts only its share, and a replica reconnecting may continue from anything a slow
one still holds. A replica is a client with flag S. Until its RDB is sent, its socket
belongs to the transfer: the client is marked `writing` without a write handler of its own,
so its share of the stream grows until the replica is online.

At SHUTDOWN (without NOW) the server waits, writes paused, up to shutdown-timeout seconds
for the replicas to acknowledge the whole stream (server.py; replicas_caught_up here).
"""
from __future__ import annotations

import os
import socket
import time
from collections import deque
from typing import TYPE_CHECKING, Callable, Optional

from . import blocking
from .client import FLAG_REPLICA
from .persistence import rdb
from .persistence.snapshots import SOCKETS
from .protocol.encode import encode_command

if TYPE_CHECKING:
    from .client import Client
    from .server import Server

NO_REPLID = "0" * 40

# A replica's states (Redis's SLAVE_STATE_*), with the names INFO shows for them.
WAIT_BGSAVE_START = "wait_bgsave_start"   # waits for a BGSAVE it can use to start
WAIT_BGSAVE_END = "wait_bgsave_end"       # its BGSAVE runs; the stream gathers meanwhile
SEND_BULK = "send_bulk"                   # the RDB file is being sent
ONLINE = "online"                         # the stream flows
RDB_TRANSMITTED = "rdb_transmitted"       # a replica that wanted only the RDB got it
STATE_NAMES = {WAIT_BGSAVE_START: "wait_bgsave", WAIT_BGSAVE_END: "wait_bgsave",
               SEND_BULK: "send_bulk", ONLINE: "online", RDB_TRANSMITTED: "rdb_transmitted"}

RDB_CHUNK = 64 * 1024   # bytes of the RDB file sent per writable event
REPL_BLOCK_SIZE = 16 * 1024     # the least size of a block of the stream (Redis's)
REPL_BLOCK_OVERHEAD = 64        # its header and list node, as Redis counts them

# FAILOVER's states, as INFO's master_failover_state names them.
NO_FAILOVER = "no-failover"
FAILOVER_WAIT_FOR_SYNC = "waiting-for-sync"        # writes paused, a replica to catch up
FAILOVER_IN_PROGRESS = "failover-in-progress"      # now its replica: PSYNC ... FAILOVER sent


class ReplicaLink:
    """What the master knows of one replica connection: what it announced with REPLCONF,
    where its synchronisation stands, what it acknowledged."""
    __slots__ = ("client", "state", "listening_port", "announced_ip", "capa_eof",
                 "capa_psync2", "rdb_only", "pre_psync", "ack_offset", "ack_time",
                 "initial_offset", "rdb_fd", "rdb_sent", "rdb_size", "preamble",
                 "stream_on_ack", "pipe_waiting", "last_partial_write")

    def __init__(self, client: "Client") -> None:
        self.client = client
        self.state = ""
        self.listening_port = 0
        self.announced_ip = ""
        self.capa_eof = False             # takes an RDB framed by $EOF:<mark> (diskless)
        self.capa_psync2 = False          # understands +CONTINUE <replid>
        self.rdb_only = False             # REPLCONF rdb-only 1: the RDB and nothing after
        self.pre_psync = False            # came with SYNC: no +FULLRESYNC, no ACKs expected
        self.ack_offset = 0
        self.ack_time = 0.0
        self.initial_offset = -1          # master_repl_offset when its RDB was forked
        self.rdb_fd = -1
        self.rdb_sent = 0
        self.rdb_size = 0
        self.preamble = b""               # `$<size>\r\n` still to send before the file
        self.stream_on_ack = False        # diskless: the stream starts at its first ACK
        self.pipe_waiting = False         # diskless: the pipe's chunk is not all sent to it
        self.last_partial_write = 0.0     # diskless: when a send to it last fell short

    def name(self) -> str:
        """The replica as Redis's log lines name it: its address and listening port."""
        addr = self.announced_ip or self.client.addr.rsplit(":", 1)[0].strip("[]")
        if not self.listening_port:
            return f"{addr}:<unknown-replica-port>"
        return f"[{addr}]:{self.listening_port}" if ":" in addr else \
            f"{addr}:{self.listening_port}"

    def fed(self) -> bool:
        """Whether the stream goes to it (Redis's canFeedReplicaReplBuffer)."""
        return self.state != WAIT_BGSAVE_START and not self.rdb_only


class Backlog:
    """The stream's recent history and what the replicas still have to send, held once
    (Redis 7's shared replication buffer): blocks of at least 16 KB, each allocated whole and
    written once, so that the replicas' output buffers hold views of them instead of copies.
    It keeps at least repl-backlog-size bytes, and more while a replica has older bytes to
    send: a slow replica costs memory once, and one reconnecting may continue from there."""
    __slots__ = ("blocks", "size", "first_offset", "histlen", "tail_used", "tail_view",
                 "memory")

    def __init__(self, size: int, next_offset: int) -> None:
        self.blocks: deque[bytearray] = deque()
        self.size = size
        self.first_offset = next_offset   # the offset of the first block's first byte
        self.histlen = 0                  # the bytes of stream held
        self.tail_used = 0                # the bytes written in the last block
        self.tail_view = memoryview(b"")
        self.memory = 0                   # the blocks and their headers, as INFO counts them

    def append(self, data: bytes) -> list[memoryview]:
        """Write `data` after the last byte; returns views of where it went."""
        views = []
        view = memoryview(data)
        while view:
            room = len(self.tail_view) - self.tail_used
            if not room:
                # No block bigger than a 16th of the backlog, so that the backlog can let
                # go of most of a big write.
                room = min(max(len(view), REPL_BLOCK_SIZE),
                           max(self.size // 16, REPL_BLOCK_SIZE))
                block = bytearray(room)
                self.blocks.append(block)
                self.memory += room + REPL_BLOCK_OVERHEAD
                self.tail_view = memoryview(block)
                self.tail_used = 0
            start = self.tail_used
            end = start + min(room, len(view))
            self.tail_view[start:end] = view[:end - start]
            views.append(self.tail_view[start:end])
            view = view[end - start:]
            self.tail_used = end
            self.histlen += end - start
        return views

    def trim(self, keep_from: int) -> None:
        """Let go of the oldest blocks while repl-backlog-size bytes remain without them and
        no replica still has to send from them (its next byte at `keep_from` or later);
        never of the last block (Redis's incrementalTrimReplicationBacklog)."""
        blocks = self.blocks
        while len(blocks) > 1:
            head = len(blocks[0])
            if self.histlen - head <= self.size or keep_from < self.first_offset + head:
                break
            blocks.popleft()
            self.histlen -= head
            self.first_offset += head
            self.memory -= head + REPL_BLOCK_OVERHEAD

    def since(self, offset: int) -> Optional[list[memoryview]]:
        """The stream from `offset` to its end, or None if the backlog lacks part of it."""
        skip = offset - self.first_offset
        if skip < 0 or skip > self.histlen:
            return None
        views = []
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            used = self.tail_used if i == last else len(block)
            if skip < used:
                views.append(memoryview(block)[skip:used])
            skip = max(skip - used, 0)
        return views

    def rebase(self, next_offset: int) -> None:
        """The offsets move: the byte after the last one is `next_offset` (a restarted
        master's history continues from its RDB's offset)."""
        self.first_offset = next_offset - self.histlen


class Replication:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.replicas: list[ReplicaLink] = []     # clients with flag S, in attach order
        self.links: dict[int, ReplicaLink] = {}   # by client id: every REPLCONF'd client too
        self.backlog: Optional[Backlog] = None
        self.master_repl_offset = 0
        self.replid2 = NO_REPLID                  # the history before the current one
        self.second_replid_offset = -1
        self.stream_db = -1                       # the db the stream last selected
        self.no_replicas_since = time.time()
        self.good_replicas = 0                    # online with lag <= min-replicas-max-lag
        self.cron_loops = 0
        self.sync_full = 0                        # INFO stats
        self.sync_partial_ok = 0
        self.sync_partial_err = 0
        # A diskless transfer: the pipe the child writes the RDB to, the replicas it goes
        # to, the chunk read last, how many replicas still have part of it to take, and
        # the pipe whose closing tells the child it may exit.
        self.rdb_pipe = -1
        self.pipe_links: list[ReplicaLink] = []
        self.pipe_chunk = b""
        self.pipe_writing = 0
        self.child_exit_fd = -1
        # Clients in WAIT, newest first: (client, its block, the offset it waits for, how
        # many replicas); and whether the replicas are to be asked for an ACK this cycle.
        self.waiting_acks: list[tuple["Client", blocking.BlockedState, int, int]] = []
        self.get_ack_from_replicas = False
        # FAILOVER: its state, its deadline (monotonic, 0: none), whether it goes on at the
        # deadline, and the replica it goes to (None: the first one caught up).
        self.failover_state = NO_FAILOVER
        self.failover_end = 0.0
        self.failover_force = False
        self.failover_host: Optional[str] = None
        self.failover_port = 0

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: the sync counters of INFO stats."""
        self.sync_full = self.sync_partial_ok = self.sync_partial_err = 0

    def has_stream(self) -> bool:
        """Whether anything follows the stream (for propagation): a backlog or replicas,
        and this server is no replica (then its stream is its master's, fed_stream)."""
        return (self.backlog is not None or bool(self.replicas)) \
            and not self.server.replica.active

    # -- the stream ----------------------------------------------------------------------

    def feed(self, db_index: int, argv: list[bytes]) -> None:
        """One command into the stream, after a SELECT when its db is not the one the
        stream last selected (Redis's replicationFeedSlaves)."""
        data = encode_command(argv)
        if db_index != self.stream_db:
            data = encode_command([b"SELECT", b"%d" % db_index]) + data
            self.stream_db = db_index
        self.feed_stream(data)

    def feed_stream(self, data: bytes) -> None:
        """Bytes of the stream to the backlog and the replicas: a command fed above, or on a
        replica its master's stream as it applied it, unchanged (Redis's
        replicationFeedStreamFromMasterStream)."""
        self.master_repl_offset += len(data)
        views = [memoryview(data)] if self.backlog is None else self.backlog.append(data)
        if not self.replicas:
            return
        floor = self.output_limit_floor()
        for link in self.replicas:
            if link.fed():
                client = link.client
                for view in views:
                    client.add_push(view)
                if client.reply_bytes >= floor:
                    self.server.check_output_buffer_limits(client)

    def trim_backlog(self) -> None:
        """Before the loop sleeps: the backlog lets go of what it no longer needs to hold,
        what is past repl-backlog-size and that no replica still has to send."""
        backlog = self.backlog
        assert backlog is not None
        if len(backlog.blocks) < 2 or backlog.histlen - len(backlog.blocks[0]) <= backlog.size:
            return
        keep_from = self.master_repl_offset + 1
        for link in self.replicas:
            if link.fed():
                # A replica's output buffer holds the stream's last bytes, from this one.
                keep_from = min(keep_from, self.master_repl_offset + 1
                                - link.client.reply_bytes)
        backlog.trim(keep_from)

    def output_limit_floor(self) -> float:
        """The output buffer size below which no replica is over its limits."""
        hard, soft, _ = self.server.config.client_output_buffer_limit.get("slave", (0, 0, 0))
        limits = [v for v in (hard, soft) if v]
        return min(limits) if limits else float("inf")

    def link(self, client: "Client") -> ReplicaLink:
        link = self.links.get(client.id)
        if link is None:
            link = self.links[client.id] = ReplicaLink(client)
        return link

    # -- SYNC and PSYNC ------------------------------------------------------------------

    def sync(self, client: "Client", replid: Optional[bytes], offset: int) -> None:
        """A replica asks for the stream (Redis's syncCommand, from its checks on): PSYNC
        gives its replication id and offset, SYNC none (replid None)."""
        server = self.server
        link = self.link(client)
        server.log("notice", f"Replica {link.name()} asks for synchronization")
        if replid is not None:
            if self.try_partial_resync(link, replid.decode(errors="replace"), offset):
                self.sync_partial_ok += 1
                return
            if not replid.startswith(b"?"):
                self.sync_partial_err += 1
        else:
            link.pre_psync = True
        self.sync_full += 1
        self.attach(link, WAIT_BGSAVE_START)
        if len(self.replicas) == 1 and self.backlog is None:
            # A new history: no past one could continue into it.
            self.change_replid()
            self.clear_replid2()
            self.create_backlog()
            server.log("notice", "Replication backlog created, my new replication IDs are "
                       f"'{server.replid}' and '{self.replid2}'")
        snapshots = server.snapshots
        if snapshots.in_progress() and snapshots.child_kind == SOCKETS:
            server.log("notice", "Current BGSAVE has socket target. Waiting for next BGSAVE "
                       "for SYNC")
        elif snapshots.in_progress():
            # A BGSAVE to disk runs: usable if another replica gathers the stream since its
            # fork, which this one then shares.
            other = next((r for r in self.replicas if r.state == WAIT_BGSAVE_END
                          and (not r.rdb_only or link.rdb_only)), None)
            if other is not None and (not other.capa_eof or link.capa_eof) \
                    and (not other.capa_psync2 or link.capa_psync2):
                if not link.rdb_only:
                    for chunk in other.client.reply:
                        client.add_push(chunk)
                self.setup_full_resync(link, other.initial_offset)
                server.log("notice", "Waiting for end of BGSAVE for SYNC")
            else:
                server.log("notice", "Can't attach the replica to the current BGSAVE. "
                           "Waiting for next BGSAVE for SYNC")
        elif server.config.repl_diskless_sync and link.capa_eof \
                and server.config.repl_diskless_sync_delay:
            # The cron starts it once the delay passed, for every replica arrived by then.
            server.log("notice", "Delay next BGSAVE for diskless SYNC")
        else:
            self.start_bgsave(link.capa_eof)

    def try_partial_resync(self, link: ReplicaLink, replid: str, offset: int) -> bool:
        """PSYNC <replid> <offset>: continue from the backlog when the replica's history is
        ours and the backlog still holds what follows its offset (Redis's
        masterTryPartialResynchronization). False: a full resynchronisation is needed."""
        server = self.server
        if replid != server.replid and (replid != self.replid2
                                        or offset > self.second_replid_offset):
            if replid.startswith("?"):
                server.log("notice", f"Full resync requested by replica {link.name()}")
            elif replid not in (server.replid, self.replid2):
                server.log("notice", "Partial resynchronization not accepted: Replication ID "
                           f"mismatch (Replica asked for '{replid}', my replication IDs are "
                           f"'{server.replid}' and '{self.replid2}')")
            else:
                server.log("notice", "Partial resynchronization not accepted: Requested "
                           f"offset for second ID was {offset}, but I can reply up to "
                           f"{self.second_replid_offset}")
            return False
        backlog = self.backlog
        stream = backlog.since(offset) if backlog is not None else None
        if stream is None:
            server.log("notice", f"Unable to partial resync with replica {link.name()} for "
                       f"lack of backlog (Replica request was: {offset}).")
            if offset > self.master_repl_offset:
                server.log_warning(f"Warning: replica {link.name()} tried to PSYNC with an "
                                   "offset that is greater than the master replication "
                                   "offset.")
            return False
        self.attach(link, ONLINE)
        link.ack_time = time.time()
        reply = b"+CONTINUE %s\r\n" % server.replid.encode() if link.capa_psync2 \
            else b"+CONTINUE\r\n"
        if not self.send_now(link, reply):
            return True
        link.client.writing = False
        for view in stream:
            link.client.add_push(view)
        server.log("notice", f"Partial resynchronization request from {link.name()} "
                   f"accepted. Sending {sum(map(len, stream))} bytes of backlog starting "
                   f"from offset {offset}.")
        self.refresh_good_replicas()
        return True

    def attach(self, link: ReplicaLink, state: str) -> None:
        """The client becomes a replica: its replies are held until the stream starts."""
        client = link.client
        link.state = state
        client.flags = client.flags | {FLAG_REPLICA}
        client.reply_mode = "replica"
        client.writing = True
        if self.server.config.repl_disable_tcp_nodelay and client.sock is not None:
            try:
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            except OSError:
                pass
        self.replicas.append(link)
        self.server.propagation.refresh()

    def send_now(self, link: ReplicaLink, data: bytes) -> bool:
        """A reply to PSYNC, written at once ahead of anything queued; a replica that
        cannot take it is closed. False if it was."""
        try:
            sent = link.client.sock.send(data)  # type: ignore[union-attr]  # a connection
        except OSError:
            sent = -1
        if sent != len(data):
            self.server.clients_to_close.append(link.client)
            return False
        return True

    def setup_full_resync(self, link: ReplicaLink, offset: int) -> None:
        """Its RDB is on the way (forked at `offset`): the stream gathers for it from now,
        starting with a SELECT (Redis's replicationSetupSlaveForFullResync)."""
        link.initial_offset = offset
        link.state = WAIT_BGSAVE_END
        self.stream_db = -1
        if not link.pre_psync:
            self.send_now(link, b"+FULLRESYNC %s %d\r\n" % (self.server.replid.encode(),
                                                             offset))

    def start_bgsave(self, capa_eof: bool) -> bool:
        """A BGSAVE for the replicas waiting to start one (Redis's
        startBgsaveForReplication): to their sockets when all of them take the EOF framing
        and repl-diskless-sync is on, else to disk. They are dropped if it cannot start."""
        server = self.server
        if server.snapshots.active_child():     # an AOF rewrite: it waits for it to end
            server.log("notice", "No BGSAVE in progress, but another BG operation is "
                       "active. BGSAVE for replication delayed")
            return False
        to_sockets = server.config.repl_diskless_sync and capa_eof
        server.log("notice", "Starting BGSAVE for SYNC with target: "
                   + ("replicas sockets" if to_sockets else "disk"))
        if to_sockets:
            started = self.save_to_sockets()
        else:
            started = server.snapshots.background_save()
            if started:
                for link in self.replicas:
                    if link.state == WAIT_BGSAVE_START:
                        self.setup_full_resync(link, self.master_repl_offset)
        if not started:
            server.log_warning("BGSAVE for replication failed")
            for link in [r for r in self.replicas if r.state == WAIT_BGSAVE_START]:
                self.detach(link)
                client = link.client
                client.reply_mode = "on"
                client.writing = False
                client.add_error("BGSAVE failed, replication can't continue")
                client.close_after_reply = True
            return False
        return True

    def save_to_sockets(self) -> bool:
        """Diskless: a child writes `$EOF:<mark>\r\n`, the RDB and the mark to a pipe, and
        the loop passes each chunk on to the replicas (Redis's rdbSaveToSlavesSockets). The
        child exits once told the replicas took it all."""
        server = self.server
        if self.rdb_pipe != -1:
            return False        # the last transfer's pipe is not drained yet
        read_fd, write_fd = os.pipe()
        exit_read, exit_write = os.pipe()
        links = [r for r in self.replicas if r.state == WAIT_BGSAVE_START]
        for link in links:
            self.setup_full_resync(link, self.master_repl_offset)
        mark = os.urandom(20).hex().encode()

        def work(on_key: Callable[[], None]) -> bool:
            os.close(read_fd)
            os.close(exit_write)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(b"$EOF:%s\r\n" % mark)
                rdb.write_rdb(server, pipe, server.clock.ms(), on_key)
                pipe.write(mark)
            os.read(exit_read, 1)       # returns when the parent closes its end
            return True

        started = server.snapshots.fork_child(SOCKETS, "redis-rdb-to-slaves", work)
        os.close(write_fd)
        os.close(exit_read)
        if not started:
            for link in links:
                if link.state == WAIT_BGSAVE_END:
                    link.state = WAIT_BGSAVE_START
            os.close(read_fd)
            os.close(exit_write)
            return False
        os.set_blocking(read_fd, False)
        self.rdb_pipe = read_fd
        self.child_exit_fd = exit_write
        self.pipe_links = [link for link in links if not link.client.closed]
        server.reactor.add_reader(read_fd, self.pipe_readable)
        return True

    def pipe_readable(self) -> None:
        """The next chunks of the child's RDB, sent to every replica of the transfer; one
        that cannot take a chunk whole stops the reading until it did (Redis's
        rdbPipeReadHandler)."""
        server = self.server
        while True:
            try:
                data = os.read(self.rdb_pipe, RDB_CHUNK)
            except BlockingIOError:
                return
            except OSError as exc:
                server.log_warning("Diskless rdb transfer, read error sending DB to replicas: "
                                   f"{exc.strerror}")
                for link in list(self.pipe_links):
                    link.client.close()
                server.snapshots.kill_child()
                return
            if not data:
                server.reactor.remove_reader(self.rdb_pipe)
                server.log_warning("Diskless rdb transfer, done reading from pipe, "
                                   f"{len(self.pipe_links)} replicas still up.")
                # The replicas took it all: the child may exit now.
                os.close(self.child_exit_fd)
                self.child_exit_fd = -1
                return
            self.pipe_chunk = data
            for link in list(self.pipe_links):
                sock = link.client.sock
                assert sock is not None
                try:
                    sent = sock.send(data)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError as exc:
                    server.log_warning("Diskless rdb transfer, write error sending DB to "
                                       f"replica: {exc.strerror}")
                    link.client.close()
                    continue
                link.rdb_sent = sent
                self.server.stats.net_repl_output_bytes += sent
                if sent != len(data):
                    link.last_partial_write = time.time()
                    link.pipe_waiting = True
                    self.pipe_writing += 1
                    server.reactor.add_writer(sock, lambda lk=link: self.pipe_writable(lk))
            if not self.pipe_links:
                server.log_warning("Diskless rdb transfer, last replica dropped, killing "
                                   "fork child.")
                server.snapshots.kill_child()
                return
            if self.pipe_writing:
                server.reactor.remove_reader(self.rdb_pipe)
                return

    def pipe_writable(self, link: ReplicaLink) -> None:
        """The rest of the pipe's last chunk to a replica that could not take it at once
        (Redis's rdbPipeWriteHandler)."""
        sock = link.client.sock
        assert sock is not None
        try:
            sent = sock.send(memoryview(self.pipe_chunk)[link.rdb_sent:])
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self.server.log_warning(f"Write error sending DB to replica: {exc.strerror}")
            link.client.close()
            return
        link.rdb_sent += sent
        self.server.stats.net_repl_output_bytes += sent
        if link.rdb_sent < len(self.pipe_chunk):
            link.last_partial_write = time.time()
            return
        self.pipe_chunk_sent(link)

    def pipe_chunk_sent(self, link: ReplicaLink) -> None:
        """A replica took the chunk (or went away): once all did, reading resumes."""
        if not link.pipe_waiting:
            return
        link.pipe_waiting = False
        link.last_partial_write = 0.0
        self.server.reactor.remove_writer(link.client.sock)
        self.pipe_writing -= 1
        if self.pipe_writing == 0:
            self.server.reactor.add_reader(self.rdb_pipe, self.pipe_readable)

    def end_transfer(self) -> None:
        """The diskless child is gone: its pipes close."""
        reactor = self.server.reactor
        for link in self.pipe_links:
            if link.pipe_waiting:
                link.pipe_waiting = False
                reactor.remove_writer(link.client.sock)
        if self.child_exit_fd != -1:
            os.close(self.child_exit_fd)
            self.child_exit_fd = -1
        if self.rdb_pipe != -1:
            reactor.forget(self.rdb_pipe)
            os.close(self.rdb_pipe)
            self.rdb_pipe = -1
        self.pipe_links = []
        self.pipe_chunk = b""
        self.pipe_writing = 0

    def background_save_done(self, ok: bool, to_sockets: bool) -> None:
        """A BGSAVE ended (or was stopped): the replicas waiting for it get the file (or
        had it streamed), or are dropped if it failed (Redis's updateSlavesWaitingBgsave)."""
        server = self.server
        if to_sockets:
            self.end_transfer()
        for link in list(self.replicas):
            if link.state != WAIT_BGSAVE_END:
                continue
            if not ok:
                server.clients_to_close.append(link.client)
                server.log_warning("SYNC failed. BGSAVE child returned an error")
                continue
            if to_sockets:
                # The replica finds the end of the RDB by its mark: the stream waits for
                # its first ACK so as not to follow the mark at once.
                server.log("notice", f"Streamed RDB transfer with replica {link.name()} "
                           "succeeded (socket). Waiting for REPLCONF ACK from slave to "
                           "enable streaming")
                if not self.put_online(link):
                    server.clients_to_close.append(link.client)
                    continue
                link.stream_on_ack = True
                continue
            try:
                link.rdb_fd = os.open(server.snapshots.path(), os.O_RDONLY)
                link.rdb_size = os.fstat(link.rdb_fd).st_size
            except OSError as exc:
                server.clients_to_close.append(link.client)
                server.log_warning("SYNC failed. Can't open/stat DB after BGSAVE: "
                                   f"{exc.strerror}")
                continue
            link.rdb_sent = 0
            link.state = SEND_BULK
            link.preamble = b"$%d\r\n" % link.rdb_size
            sock = link.client.sock
            server.reactor.add_writer(sock, lambda lk=link: self.send_bulk(lk))

    def send_bulk(self, link: ReplicaLink) -> None:
        """The RDB file to a replica, a share at each writable event (Redis's
        sendBulkToSlave), then the stream gathered meanwhile."""
        client, server = link.client, self.server
        sock = client.sock
        assert sock is not None
        if link.preamble:
            try:
                sent = sock.send(link.preamble)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                server.log_warning(f"Write error sending RDB preamble to replica: "
                                   f"{exc.strerror}")
                client.close()
                return
            self.server.stats.net_repl_output_bytes += sent
            link.preamble = link.preamble[sent:]
            if link.preamble:
                return
        data = os.pread(link.rdb_fd, RDB_CHUNK, link.rdb_sent)
        if not data:
            server.log_warning("Read error sending DB to replica: premature EOF")
            client.close()
            return
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            server.log_warning(f"Write error sending DB to replica: {exc.strerror}")
            client.close()
            return
        link.rdb_sent += sent
        self.server.stats.net_repl_output_bytes += sent
        if link.rdb_sent < link.rdb_size:
            return
        os.close(link.rdb_fd)
        link.rdb_fd = -1
        server.reactor.remove_writer(sock)
        if not self.put_online(link):
            client.close()
            return
        self.start_stream(link)

    def put_online(self, link: ReplicaLink) -> bool:
        """Its RDB was sent: the replica is online (Redis's replicaPutOnline). False for a
        replica that wanted only the RDB, which is to be closed."""
        server = self.server
        if link.rdb_only:
            link.state = RDB_TRANSMITTED
            server.log("notice", f"RDB transfer completed, rdb only replica ({link.name()}) "
                       "should be disconnected asap")
            return False
        link.state = ONLINE
        link.ack_time = time.time()
        self.refresh_good_replicas()
        server.log("notice", f"Synchronization with replica {link.name()} succeeded")
        return True

    def start_stream(self, link: ReplicaLink) -> None:
        """The stream gathered since the fork, and from now on all of it, goes out."""
        link.stream_on_ack = False
        client = link.client
        client.writing = False
        if client.reply:
            client.flush()

    def start_pending_bgsave(self) -> None:
        """Replicas wait for a BGSAVE and none runs: start one, for diskless once the
        oldest waited repl-diskless-sync-delay seconds or enough of them arrived (Redis's
        replicationStartPendingFork)."""
        waiting = [r for r in self.replicas if r.state == WAIT_BGSAVE_START]
        if not waiting or self.server.snapshots.active_child():
            return
        config = self.server.config
        now = int(self.server.clock.time())
        idle = max(now - int(r.client.last_interaction) for r in waiting)
        if (not config.repl_diskless_sync
                or 0 < config.repl_diskless_sync_max_replicas <= len(waiting)
                or idle >= config.repl_diskless_sync_delay):
            self.start_bgsave(all(r.capa_eof for r in waiting))

    # -- REPLCONF ------------------------------------------------------------------------

    def ack(self, link: ReplicaLink, offset: int) -> None:
        """REPLCONF ACK <offset>: what the replica applied so far. After a diskless
        transfer the first one starts the stream (the child may not be reaped yet)."""
        if offset > link.ack_offset:
            link.ack_offset = offset
        link.ack_time = time.time()
        if link.state == WAIT_BGSAVE_END and self.server.snapshots.in_progress():
            self.server.snapshots.check_child()
        if link.stream_on_ack and link.state == ONLINE:
            self.start_stream(link)

    # -- WAIT --------------------------------------------------------------------------------

    def count_acks(self, offset: int) -> int:
        """The online replicas that acknowledged the stream up to `offset`."""
        return sum(1 for r in self.replicas if r.state == ONLINE and r.ack_offset >= offset)

    def wait(self, client: "Client", numreplicas: int, timeout: float) -> Optional[int]:
        """WAIT: the count of replicas that acknowledged the client's last write if they are
        enough (or inside MULTI, where it cannot block), else None: the client blocks until
        enough do or `timeout` seconds pass (0: forever), and the replicas are asked for
        an ACK before the loop sleeps (Redis's waitCommand)."""
        offset = client.woff
        acked = self.count_acks(offset)
        if acked >= numreplicas or client.in_multi:
            return acked
        blocking.block(client, [], ReplicaLink, _never_served, timeout,
                       on_timeout=lambda c: c.add_reply(self.count_acks(offset)))
        assert client.blocked is not None
        self.waiting_acks.insert(0, (client, client.blocked, offset, numreplicas))
        self.get_ack_from_replicas = True
        return None

    def process_waiting_acks(self) -> None:
        """Before the loop sleeps: answer the WAITs that enough replicas acknowledged, one
        count serving every later waiter that asks no more (Redis's
        processClientsWaitingReplicas). Waiters released otherwise (a timeout, CLIENT
        UNBLOCK, gone) leave the list here."""
        last_offset = last_count = 0
        still: list[tuple["Client", blocking.BlockedState, int, int]] = []
        for entry in self.waiting_acks:
            client, state, offset, numreplicas = entry
            if client.blocked is not state:
                continue
            if last_offset and last_offset >= offset and last_count >= numreplicas:
                count = last_count
            else:
                count = self.count_acks(offset)
                if count < numreplicas:
                    still.append(entry)
                    continue
                last_offset, last_count = offset, count
            blocking.unblock(client)
            client.add_reply(count)
        self.waiting_acks = still

    def send_getack(self) -> None:
        """REPLCONF GETACK * into the stream, when a WAIT asked for acknowledgements and no
        pause holds the stream still (Redis's sendGetackToReplicas from beforeSleep)."""
        self.get_ack_from_replicas = False
        if self.has_stream():
            self.feed(self.stream_db, [b"REPLCONF", b"GETACK", b"*"])

    # -- SHUTDOWN ----------------------------------------------------------------------------

    def replicas_caught_up(self) -> bool:
        """Every replica acknowledged the whole stream: a shutdown loses nothing (Redis's
        isReadyToShutdown)."""
        return all(r.ack_offset == self.master_repl_offset for r in self.replicas)

    def log_lagging_replicas(self) -> None:
        """At shutdown, the replicas behind the stream, then how many are not."""
        lagging = 0
        now = int(time.time())
        for link in self.replicas:
            if link.ack_offset != self.master_repl_offset:
                lagging += 1
                lag = now - int(link.ack_time) if link.state == ONLINE else 0
                self.server.log_warning(
                    f"Lagging replica {link.name()} reported offset "
                    f"{self.master_repl_offset - link.ack_offset} behind master, lag={lag}, "
                    f"state={STATE_NAMES[link.state]}.")
        if self.replicas:
            self.server.log("notice", f"{len(self.replicas) - lagging} of "
                            f"{len(self.replicas)} replicas are in sync when shutting down.")

    def flush_replicas(self) -> None:
        """At shutdown, a last try at sending the online replicas what they have yet to take
        (Redis's flushSlavesOutputBuffers)."""
        for link in self.replicas:
            client = link.client
            if (link.state == ONLINE and not link.stream_on_ack and client.reply
                    and not client.kill_reason):
                client.flush()

    # -- FAILOVER ----------------------------------------------------------------------------

    def find_replica(self, host: str, port: int) -> Optional[ReplicaLink]:
        """The replica at host (as it announced itself, else its address) and listening
        port (Redis's findReplica)."""
        host = host.lower()
        for link in self.replicas:
            addr = link.announced_ip or link.client.addr.rsplit(":", 1)[0].strip("[]")
            if addr.lower() == host and link.listening_port == port:
                return link
        return None

    def start_failover(self, host: Optional[str], port: int, timeout_ms: int,
                       force: bool) -> None:
        """FAILOVER, its checks passed: writes pause until a replica caught up with the
        whole stream, then this server becomes its replica and asks it, with PSYNC ...
        FAILOVER, to become the master (see update_failover_status)."""
        server = self.server
        if host is not None:
            server.log("notice", f"FAILOVER requested to {host}:{port}.")
        else:
            server.log("notice", "FAILOVER requested to any replica.")
        self.failover_host, self.failover_port = host, port
        self.failover_end = time.monotonic() + timeout_ms / 1000 if timeout_ms else 0.0
        self.failover_force = force
        self.failover_state = FAILOVER_WAIT_FOR_SYNC
        server.pause(float("inf"), writes_only=True, purpose="failover")

    def update_failover_status(self) -> None:
        """Before the loop sleeps and from the cron: once the target (or any replica)
        acknowledged the whole stream, or the timeout passed with FORCE, follow it; past
        the timeout without FORCE, give up (Redis's updateFailoverStatus)."""
        if self.failover_state != FAILOVER_WAIT_FOR_SYNC:
            return
        server = self.server
        if self.failover_end and self.failover_end <= time.monotonic():
            if self.failover_force:
                server.log("notice", f"FAILOVER to {self.failover_host}:{self.failover_port} "
                           "time out exceeded, failing over.")
                self.follow_failover_target()
            else:
                self.abort_failover("Replica never caught up before timeout")
            return
        if self.failover_host is not None:
            link = self.find_replica(self.failover_host, self.failover_port)
        else:
            link = next((r for r in self.replicas
                         if r.ack_offset == self.master_repl_offset), None)
            if link is not None:
                self.failover_host = link.announced_ip or \
                    link.client.addr.rsplit(":", 1)[0].strip("[]")
                self.failover_port = link.listening_port
        if link is not None and link.ack_offset == self.master_repl_offset:
            server.log("notice", f"Failover target {self.failover_host}:"
                       f"{self.failover_port} is synced, failing over.")
            self.follow_failover_target()

    def follow_failover_target(self) -> None:
        self.failover_state = FAILOVER_IN_PROGRESS
        assert self.failover_host is not None
        self.server.replica.set_master(self.failover_host, self.failover_port)

    def failover_psync_reply(self, accepted: bool) -> None:
        """The target answered PSYNC ... FAILOVER: it is the master now (a full resync
        also does), or it refused and this server is a master again."""
        if self.failover_state != FAILOVER_IN_PROGRESS:
            return
        if accepted:
            self.clear_failover()
        else:
            self.abort_failover("Failover target rejected psync request")

    def abort_failover(self, reason: str) -> None:
        """FAILOVER ABORT, a timeout, a refusal: back to master, writes resume (Redis's
        abortFailover)."""
        if self.failover_state == NO_FAILOVER:
            return
        server = self.server
        if self.failover_host is not None:
            server.log("notice", f"FAILOVER to {self.failover_host}:{self.failover_port} "
                       f"aborted: {reason}")
        else:
            server.log("notice", f"FAILOVER to any replica aborted: {reason}")
        if self.failover_state == FAILOVER_IN_PROGRESS:
            server.replica.unset_master()
        self.clear_failover()

    def clear_failover(self) -> None:
        self.failover_end = 0.0
        self.failover_force = False
        self.failover_host = None
        self.failover_port = 0
        self.failover_state = NO_FAILOVER
        self.server.unpause("failover")

    # -- the replicas and the backlog ----------------------------------------------------

    def detach(self, link: ReplicaLink) -> None:
        self.replicas.remove(link)
        link.client.flags = link.client.flags - {FLAG_REPLICA}
        link.state = ""
        if not self.replicas:
            self.no_replicas_since = time.time()
        self.refresh_good_replicas()
        self.server.propagation.refresh()

    def client_freed(self, client: "Client") -> None:
        """A client went away: if it was a replica, its transfer stops with it (Redis's
        freeClient, case 1)."""
        link = self.links.pop(client.id, None)
        if link is None or FLAG_REPLICA not in client.flags:
            return
        server = self.server
        server.log_warning(f"Connection with replica {link.name()} lost.")
        if (not server.config.save and link.state == WAIT_BGSAVE_END
                and server.snapshots.in_progress()
                and not any(r is not link and r.state == WAIT_BGSAVE_END
                            for r in self.replicas)):
            # Nobody wants the running save any more (and no save point does).
            server.snapshots.kill_child()
        if link.rdb_fd != -1:
            os.close(link.rdb_fd)
            link.rdb_fd = -1
        if link in self.pipe_links:
            self.pipe_chunk_sent(link)
            self.pipe_links.remove(link)
        self.detach(link)

    def replica_replied(self, client: "Client") -> None:
        """Something tried to reply to a replica: its link carries the stream only, so the
        replica is confused; close it (Redis's check in _addReplyToBufferOrList)."""
        if client in self.server.clients_to_close:
            return
        self.server.log_warning(f"Replica generated a reply to command '{client.last_cmd}', "
                                f"disconnecting it: {client.info_string()}")
        self.server.clients_to_close.append(client)

    def disconnect_replicas(self) -> None:
        """Close every replica: the history they follow changed (Redis's
        disconnectSlaves)."""
        for link in list(self.replicas):
            link.client.close()

    def change_replid(self) -> None:
        self.server.replid = os.urandom(20).hex()

    def clear_replid2(self) -> None:
        self.replid2 = NO_REPLID
        self.second_replid_offset = -1

    def create_backlog(self) -> None:
        """The backlog starts empty: its first byte is the stream's next one."""
        self.backlog = Backlog(self.server.config.repl_backlog_size,
                               self.master_repl_offset + 1)

    def resize_backlog(self) -> None:
        """CONFIG SET repl-backlog-size (never below 16 KB, as Redis's)."""
        config = self.server.config
        config.repl_backlog_size = max(config.repl_backlog_size, REPL_BLOCK_SIZE)
        if self.backlog is not None:
            self.backlog.size = config.repl_backlog_size    # trimmed before the loop sleeps

    def buffer_memory(self) -> int:
        """The stream held for the backlog and the replicas together (INFO's
        mem_total_replication_buffers)."""
        return self.backlog.memory if self.backlog is not None else 0

    def memory_not_counted(self) -> int:
        """What maxmemory leaves out: the stream held past repl-backlog-size, which is the
        replicas' (Redis's freeMemoryGetNotCountedMemory); else evicting, and streaming the
        DELs, would make more to evict."""
        size = self.server.config.repl_backlog_size
        counted = size + (size // REPL_BLOCK_SIZE + 1) * REPL_BLOCK_OVERHEAD
        return max(self.buffer_memory() - counted, 0)

    def refresh_good_replicas(self) -> None:
        """The replicas online that acknowledged within min-replicas-max-lag seconds
        (Redis's refreshGoodSlavesCount)."""
        config = self.server.config
        if not config.min_replicas_to_write or not config.min_replicas_max_lag:
            return
        now = int(time.time())
        self.good_replicas = sum(1 for r in self.replicas if r.state == ONLINE
                                 and now - int(r.ack_time) <= config.min_replicas_max_lag)

    def enough_good_replicas(self) -> bool:
        """min-replicas-to-write is met (Redis's checkGoodReplicasStatus)."""
        config = self.server.config
        return (self.server.replica.active or not config.min_replicas_max_lag
                or not config.min_replicas_to_write
                or self.good_replicas >= config.min_replicas_to_write)

    def rdb_save_info(self) -> Optional[tuple[int, str, int]]:
        """What an RDB records of the replication history (its repl-stream-db, repl-id and
        repl-offset AUX fields): only with a backlog, as Redis's rdbPopulateSaveInfo."""
        replica = self.server.replica
        if replica.active:
            # The db the master's stream selected last: a replica's own stream is that one.
            if replica.master is not None:
                return (replica.master.db.index, self.server.replid, self.master_repl_offset)
            if replica.cached:
                return (replica.cached_db, self.server.replid, self.master_repl_offset)
            return None
        if self.backlog is None:
            return None
        return (max(self.stream_db, 0), self.server.replid, self.master_repl_offset)

    # -- the cron ------------------------------------------------------------------------

    def cron(self) -> None:
        """Once a second (Redis's replicationCron, master side)."""
        server, config = self.server, self.server.config
        self.update_failover_status()
        if self.replicas and self.cron_loops % config.repl_ping_replica_period == 0 \
                and not server.replica.active \
                and not (self.failover_end and server.clients_paused()):
            # A PING in the stream lets replicas time out a silent master (not while a
            # failover with a deadline waits for a replica to reach the stream's end).
            self.feed(self.stream_db, [b"PING"])
        now = time.time()
        diskless = server.snapshots.in_progress() and server.snapshots.child_kind == SOCKETS
        for link in list(self.replicas):
            if link.state == WAIT_BGSAVE_START or (link.state == WAIT_BGSAVE_END
                                                   and not diskless):
                # Newlines keep a replica waiting for its RDB from timing out; they are
                # not part of the stream (and one that does not go out is no matter).
                try:
                    link.client.sock.send(b"\n")  # type: ignore[union-attr]
                except OSError:
                    pass
            elif (link.state == ONLINE and not link.pre_psync
                  and int(now) - int(link.ack_time) > config.repl_timeout):
                server.log_warning("Disconnecting timedout replica (streaming sync): "
                                   f"{link.name()}")
                link.client.close()
            elif (link.state == WAIT_BGSAVE_END and diskless and link.last_partial_write
                  and int(now) - int(link.last_partial_write) > config.repl_timeout):
                # Stuck on the pipe's chunk, it would hold the child and every replica.
                server.log_warning("Disconnecting timedout replica (full sync): "
                                   f"{link.name()}")
                link.client.close()
        if (not self.replicas and config.repl_backlog_ttl and self.backlog is not None
                and now - self.no_replicas_since > config.repl_backlog_ttl):
            # A new history after it: the writes made meanwhile are in no backlog.
            self.change_replid()
            self.clear_replid2()
            self.backlog = None
            server.propagation.refresh()
            server.log("notice", "Replication backlog freed after "
                       f"{config.repl_backlog_ttl} seconds without connected replicas.")
        self.start_pending_bgsave()
        self.refresh_good_replicas()
        self.cron_loops += 1


def _never_served(*_: object) -> bool:
    """A WAIT blocks on no key: only acknowledgements, its timeout or CLIENT UNBLOCK end it."""
    return False

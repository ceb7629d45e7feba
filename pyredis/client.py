"""Client: one connection's state: socket, query buffer (the parser), reply buffer, selected
database, name, protocol version, MULTI queue, subscriptions and blocked state."""
from __future__ import annotations

import socket
from typing import Final, Optional, TYPE_CHECKING, Union

from .db import unwatch_all
from .errors import ProtocolError, RedisError
from .sizes import alloc_size
from .protocol.auto import AutoRequestParser
from .protocol.encode import LazyAggregate, Reply, encode_reply
from .protocol.parse import BaseRequestParser, sds_repr

if TYPE_CHECKING:
    from .blocking import BlockedState
    from .db import Database
    from .acl import User
    from .tracking import ClientTracking
    from .server import Server, Stats

# Bytes read per readable event. Redis reads 16 KB (PROTO_IOBUF_LEN); each event costs
# pyredis far more than the read itself, so it takes 64 KB (a whole pipeline of 1 KB values)
# for the same price. The rest of a big argument is read at once, as in Redis.
READ_SIZE: Final = 64 * 1024
MAX_READ_SIZE: Final = 4 * 1024 * 1024   # a big argument's rest is read in pieces of at most this
MAX_WRITE_PER_EVENT: Final = 64 * 1024  # NET_MAX_WRITES_PER_EVENT: fairness between clients
MAX_COMMANDS_PER_EVENT: Final = 1000  # commands of one client's pipeline run per cycle (fairness)
REPLY_BUFFER_SIZE: Final = 16 * 1024   # PROTO_REPLY_CHUNK_BYTES: each client's static reply buffer
CLIENT_STRUCT_SIZE: Final = 1024       # the client structure itself, as Redis's allocator sizes it

# The query buffer's size as Redis would have allocated it (CLIENT LIST qbuf-free, tot-mem):
# a read asks for PROTO_IOBUF_LEN bytes of room, exactly at first and for a big argument,
# then doubling (sdsMakeRoomFor); the clients cron gives back what an idle client or a
# past peak no longer needs (clientsCronResizeQueryBuffer).
PROTO_IOBUF_LEN: Final = 16 * 1024
PROTO_RESIZE_THRESHOLD: Final = 32 * 1024
SDS_MAX_PREALLOC: Final = 1024 * 1024
QUERYBUF_MIN_WASTE: Final = 4 * 1024    # less unused room than this is not worth a resize
QUERYBUF_IDLE_SECONDS: Final = 2


def sds_alloc(length: int) -> int:
    """The room an sds asked for `length` bytes gets from jemalloc: its size class less the
    sds header and terminator."""
    header = 3 if length < 1 << 8 else 5 if length < 1 << 16 else 9 if length < 1 << 32 else 17
    return alloc_size(header + length + 1) - header - 1

# Flags shown by CLIENT LIST (flags=...): a set of letters on each client.
FLAG_MULTI: Final = "x"
FLAG_DIRTY_EXEC: Final = "d"     # EXEC will abort (watched key touched)
FLAG_BLOCKED: Final = "b"
FLAG_PUBSUB: Final = "P"
FLAG_CLOSE_AFTER_REPLY: Final = "c"
FLAG_UNIX: Final = "U"
FLAG_MONITOR: Final = "O"
FLAG_TRACKING: Final = "t"
NO_FLAGS: frozenset = frozenset()
FLAG_CLOSE_ASAP: Final = "A"
FLAG_NO_EVICT: Final = "e"
FLAG_MASTER: Final = "M"         # the link to this replica's master
FLAG_REPLICA: Final = "S"        # a replica of this server
AOF_CLIENT_ID: Final = 2**64 - 1  # the client replaying the AOF (Redis's CLIENT_ID_AOF)
# The order CLIENT LIST shows them in (tracking adds R and B; replication S and M).
FLAG_ORDER: Final = "OSMPxbtRBdcuAUre"


class Client:
    __slots__ = (
        "id", "server", "sock", "fd", "addr", "laddr", "parser", "reply", "reply_bytes",
        "reply_pos",
        "db", "name", "proto", "authenticated", "user", "ctime", "last_interaction",
        "last_cmd", "close_after_reply", "closed", "pending_write", "writing",
        "in_multi", "multi_queue", "multi_flags", "multi_error", "watch_dirty", "watched",
        "channels", "patterns", "shard_channels", "blocked", "reply_mode", "flags",
        "obuf_soft_since", "tracking", "no_evict", "kill_reason",
        "argv", "paused", "input_pending", "lazy_replies", "qbuf_alloc", "qbuf_peak",
        "qbuf_counted", "obuf_counted", "woff",
    )

    def __init__(self, server: "Server", sock: Optional[socket.socket], addr: str,
                 laddr: str, client_id: int) -> None:
        self.id = client_id
        self.server = server
        self.sock = sock
        self.fd = sock.fileno() if sock is not None else -1
        self.addr = addr
        self.laddr = laddr
        self.parser: BaseRequestParser = AutoRequestParser(server.config.proto_max_bulk_len)
        self.reply: list = []        # encoded replies (bytes or views), LazyAggregate for big ones
        self.reply_bytes = 0         # bytes encoded and not yet sent
        self.lazy_replies = 0        # LazyAggregate entries in `reply`
        self.reply_pos = 0           # bytes of reply[0] already sent
        self.qbuf_counted = 0        # its buffers as the server's used_memory counts them:
        self.obuf_counted = 0        # the query buffer after each read, both at each count
        self.db: "Database" = server.dbs[0]
        self.name: Optional[bytes] = None
        self.proto = 2
        self.user: "User" = server.acl.default
        server.acl.set_default_auth(self)    # authenticated when the default user needs no password
        self.ctime = server.clock.time()
        self.last_interaction = self.ctime
        self.last_cmd = "NULL"
        self.close_after_reply = False
        self.closed = False
        self.pending_write = False   # in server.pending_writes this cycle
        self.writing = False         # waiting for the socket to drain (EVENT_WRITE)
        self.in_multi = False
        self.multi_queue: list = []
        self.multi_flags: set = set()      # the union of the queued commands' flags
        self.multi_error = False
        self.watch_dirty = False
        self.watched: list = []      # the db.WatchedKey entries of the keys this client WATCHes
        # Subscriptions, in the order made (dicts used as ordered sets).
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard_channels: dict[bytes, None] = {}
        self.blocked: Optional[BlockedState] = None   # while blocked (BLPOP ...)
        # CLIENT REPLY: on, off, skip-next, skip (this command); "replica": a replica's link
        # carries the stream, never a reply
        self.reply_mode = "on"
        self.flags: frozenset = NO_FLAGS   # letters of CLIENT LIST flags set at connection
        self.obuf_soft_since = 0.0   # when the soft output limit was first exceeded
        self.tracking: Optional[ClientTracking] = None   # CLIENT TRACKING state
        self.no_evict = False
        self.kill_reason = ""
        self.argv: list[bytes] = []  # the command being run (for MONITOR, errors, slowlog)
        self.paused = False          # held by CLIENT PAUSE with input still to run
        self.input_pending = False   # in server.pending_input: commands left for next cycle
        self.qbuf_alloc = 0          # the query buffer's size in Redis's accounting
        self.qbuf_peak = 0           # its most bytes used since the clients cron last looked
        self.woff = 0                # the stream's offset after its last command (for WAIT)

    def set_authenticated(self, authenticated: bool) -> None:
        """Until it authenticates, a client's requests are held to Redis's small limits."""
        self.authenticated = authenticated
        self.parser.set_auth_limits(not authenticated)

    # -- input -----------------------------------------------------------------------------

    def on_readable(self) -> None:
        if self.input_pending:
            return  # commands already read wait for the next cycle: no more until they ran
        if self.server.postpone_reads and self.server.io_threads.postpone_read(self):
            return  # the I/O threads read it at the end of this cycle
        self.handle_read(self.read_query())

    def read_query(self) -> Union[bytes, OSError, None]:
        """The recv of a readable event: the bytes that came (empty: the peer closed), None
        if none, or the error. It touches only this client: an I/O thread may run it."""
        parser = self.parser
        wanted = parser.wanted()
        self.make_query_buffer_room(parser.pending(), wanted)
        try:
            return self.sock.recv(  # type: ignore[union-attr]  # only a socket is readable
                min(max(READ_SIZE, wanted), MAX_READ_SIZE))
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            return exc

    def handle_read(self, data: Union[bytes, OSError, None]) -> None:
        """What read_query brought: the commands in it run."""
        if type(data) is not bytes:
            if isinstance(data, OSError):
                self.server.log("verbose", f"Reading from client: {data.strerror}")
                self.close()
            return
        if not data:
            self.log_closed_by_peer()
            self.close()
            return
        parser = self.parser
        server = self.server
        server.stats.reads_processed += 1
        server.stats.net_input_bytes += len(data)
        self.last_interaction = server.clock.cached_time
        parser.feed(data)
        used = parser.pending()
        if used > self.qbuf_alloc:      # one recv of pyredis may hold more than Redis's room
            self.qbuf_alloc = sds_alloc(used)
        if used > self.qbuf_peak:
            self.qbuf_peak = used
        if used > server.config.client_query_buffer_limit:
            head = sds_repr(parser.pending_head(64))
            server.log_warning("Closing client that reached max query buffer length: "
                               f"{self.info_string()} (qbuf initial bytes: {head})")
            self.close()
            return
        self.process_input()
        if self.closed:
            return
        # The query buffer counts in used_memory at once, as Redis's allocator counts it:
        # a client sending a huge request makes room by eviction before it completes.
        held = parser.pending() + parser.partial_args_size()
        server.buffers_memory += held - self.qbuf_counted
        self.qbuf_counted = held
        wanted = parser.wanted()
        if wanted:
            # A big argument's header was read: Redis makes room for all of it at once.
            self.make_query_buffer_room(parser.pending(), wanted)
        if server.config.maxmemory_clients:
            server.client_eviction.update(self)

    def make_query_buffer_room(self, used: int, wanted: int) -> None:
        """The room Redis's readQueryFromClient makes before a read: exactly what a big
        argument still needs (`wanted`) or a first PROTO_IOBUF_LEN, else greedily."""
        readlen = wanted or PROTO_IOBUF_LEN
        if self.qbuf_alloc - used >= readlen:
            return
        size = used + readlen
        if not wanted and self.qbuf_alloc >= PROTO_IOBUF_LEN:
            size = size * 2 if size < SDS_MAX_PREALLOC else size + SDS_MAX_PREALLOC
        self.qbuf_alloc = sds_alloc(size)

    def resize_query_buffer(self, now: float) -> None:
        """From the clients cron (Redis's clientsCronResizeQueryBuffer): free the room of a
        client idle for more than 2 seconds; shrink a buffer twice as big as its latest
        peak down to that peak (never below a big argument being read)."""
        parser = self.parser
        used = parser.pending()
        bulk = used + parser.wanted()
        if self.qbuf_alloc - used > QUERYBUF_MIN_WASTE:
            if int(now) - int(self.last_interaction) > QUERYBUF_IDLE_SECONDS:
                self.qbuf_alloc = used
            elif (self.qbuf_alloc > PROTO_RESIZE_THRESHOLD
                  and self.qbuf_alloc // 2 > self.qbuf_peak):
                self.qbuf_alloc = max(used, self.qbuf_peak, bulk)
        self.qbuf_peak = max(used, bulk)

    def log_closed_by_peer(self) -> None:
        """At loglevel verbose, as Redis: the client's CLIENT LIST line when it hangs up."""
        from .server import VERBOSE_LEVELS
        if self.server.config.loglevel in VERBOSE_LEVELS:
            from .commands.introspection import client_info
            self.server.log("verbose", "Client closed connection " + client_info(self))

    def process_input(self) -> None:
        """Run the complete commands in the query buffer (pipelining), until the client
        blocks, is paused, or is to be closed; at most MAX_COMMANDS_PER_EVENT of them, so that
        one client's long pipeline cannot hold up the others: the rest runs next cycle."""
        if self.held():
            return      # the input waits in the buffer until the client is released
        server = self.server      # a native call when compiled (not through a bound method)
        budget = MAX_COMMANDS_PER_EVENT
        try:
            for argv in self.parser.parse():
                server.process_command(self, argv)
                if self.reply_mode != "on":
                    self.after_command()
                if self.held() or self.close_after_reply or self.closed:
                    break
                budget -= 1
                if not budget:
                    self.input_pending = True
                    server.pending_input.append(self)
                    break
        except ProtocolError as exc:
            self.add_error(exc.message)
            self.close_after_reply = True

    def held(self) -> bool:
        """Blocked or paused: its commands wait. A method, not a test repeated inline, so
        that no type checker (nor mypyc) takes `blocked` to stay None across a command."""
        return self.blocked is not None or self.paused

    def query_buffer_usage(self) -> tuple[int, int]:
        """CLIENT LIST's qbuf and qbuf-free: while its command runs, the bytes of its latest
        read; between commands, the bytes not yet parsed."""
        running = self.server.current_client is self
        qbuf = self.parser.latest_read_size() if running else self.parser.pending()
        return qbuf, max(self.qbuf_alloc - qbuf, 0)

    def output_buffer_usage(self) -> tuple[int, int, int]:
        """CLIENT LIST's obl, oll and omem: the first 16 KB of a lone reply sit in the static
        buffer, the rest in the reply list. A replica's is its share of the replication
        buffer."""
        pending = self.reply_bytes
        if self.reply_mode == "replica":
            return 0, 0, pending
        obl = min(pending, REPLY_BUFFER_SIZE) if len(self.reply) <= 1 else 0
        oll = max(len(self.reply) - 1, 0) if obl else len(self.reply)
        return obl, oll, pending - obl

    def memory_usage(self, running: bool = False) -> int:
        """CLIENT LIST's tot-mem, what maxmemory-clients counts: the buffers, the command's
        arguments (`running`: it is being run), the MULTI queue, and the bookkeeping of its
        WATCHes, subscriptions and BCAST tracking prefixes (estimated as Redis does: the
        pointers, not the strings, which the server shares)."""
        qbuf, qbuf_free = self.query_buffer_usage()
        mem = qbuf + qbuf_free + REPLY_BUFFER_SIZE + CLIENT_STRUCT_SIZE
        mem += self.output_buffer_usage()[2]
        mem += self.argv_memory(running)
        mem += self.multi_memory()
        mem += 48 * len(self.watched)
        mem += 32 * (len(self.channels) + len(self.patterns) + len(self.shard_channels))
        if self.tracking is not None:
            mem += 32 * len(self.tracking.prefixes)
        return mem

    def argv_memory(self, running: bool = False) -> int:
        """CLIENT LIST's argv-mem: the arguments of the command running (`running`: about to
        run), or those read so far of the request coming in."""
        if running or self.server.current_client is self:
            return sum(len(a) for a in self.argv)
        return self.parser.partial_args_size()

    def multi_memory(self) -> int:
        """CLIENT LIST's multi-mem: the arguments of the queued commands."""
        return sum(len(a) for _, argv in self.multi_queue for a in argv)

    def info_string(self) -> str:
        """This client's CLIENT LIST line (for log lines)."""
        from .commands.introspection import client_info   # the commands import this module
        return client_info(self)

    def after_command(self) -> None:
        """CLIENT REPLY SKIP mutes the reply of the command after it, then replies resume."""
        if self.reply_mode == "skip":
            self.reply_mode = "on"
        elif self.reply_mode == "skip-next":
            self.reply_mode = "skip"

    # -- output ----------------------------------------------------------------------------

    def add_reply(self, value: Reply) -> None:
        """Queue one reply value (encoded for this client's protocol)."""
        if self.reply_mode != "on":
            if self.reply_mode == "skip":
                self.reply_mode = "on"
            elif self.reply_mode == "replica":
                self.server.replication.replica_replied(self)
            return
        data = encode_reply(value, self.proto)
        if isinstance(data, LazyAggregate):
            self.add_push(data.header)
            if self.output_limited():
                # Redis builds the whole reply at once, so its limit sees it whole: encode
                # it now, a slice at a time, and stop once the client is over the limit.
                while not data.done() and not self.kill_reason:
                    self.add_push(data.encode_some(MAX_WRITE_PER_EVENT))
                return
            self.reply.append(data)
            self.lazy_replies += 1
            return
        self.reply.append(data)
        self.reply_bytes += len(data)
        if not self.pending_write:
            self.pending_write = True
            self.server.pending_writes.append(self)
        if self.reply_bytes > self.server.obuf_check_threshold:
            self.server.check_output_buffer_limits(self)

    def output_limited(self) -> bool:
        """Whether client-output-buffer-limit sets a limit for this client's class."""
        return any(self.server.output_limits(self)[:2])

    def reply_fits(self, size: int) -> bool:
        """For a command building a huge reply: whether `size` more bytes keep this client
        within its output limit; if not, it is closed as Redis closes it (the command may
        stop there, nothing more will be sent)."""
        if not self.kill_reason:
            self.server.check_output_buffer_limits(self, size)
        return not self.kill_reason

    def add_error(self, message: str) -> None:
        """An error reply, counted in INFO errorstats. One to our master, a replica or the
        AOF being replayed means the datasets may now differ: the server is told."""
        self.server.stats.count_error(message)
        if self.id == AOF_CLIENT_ID or (self.flags and (FLAG_MASTER in self.flags
                                                        or FLAG_REPLICA in self.flags)):
            self.server.error_to_peer(self, message)
        self.add_reply(RedisError(message))

    def add_push(self, data: bytes | memoryview) -> None:
        """Out-of-band bytes (pub/sub messages, invalidations, a replica's view of the
        replication buffer) that CLIENT REPLY does not mute."""
        if self.kill_reason:
            return  # closing at the end of this cycle: nothing more to queue
        self.reply.append(data)
        self.reply_bytes += len(data)
        if not self.pending_write:
            self.pending_write = True
            self.server.pending_writes.append(self)
        if self.reply_bytes > self.server.obuf_check_threshold:
            self.server.check_output_buffer_limits(self)

    def discard_replies(self) -> None:
        """Drop every pending reply (a client closed for its output buffer size)."""
        self.reply.clear()
        self.reply_bytes = 0
        self.reply_pos = 0
        self.lazy_replies = 0

    def flush(self) -> None:
        """Send pending replies, at most MAX_WRITE_PER_EVENT bytes (as Redis, so that one big
        reply cannot hold up the other clients); the rest waits for EVENT_WRITE. Small replies
        of one cycle go out joined, in one send."""
        if self.closed or self.sock is None:
            return
        if self.write_replies(self.server.stats):
            self.after_write()
        else:
            self.close()

    def write_replies(self, stats: "Stats") -> bool:
        """flush's sends: this client's buffers and socket and `stats` are all it touches, so
        an I/O thread may run it for this client while the main thread runs no command
        (io_threads.py). False if the connection failed."""
        reply, sock = self.reply, self.sock
        if sock is None:
            return True
        budget = MAX_WRITE_PER_EVENT
        while reply and budget > 0:
            pos = self.reply_pos
            data = self._next_chunk(budget) if pos == 0 else reply[0]
            try:
                if pos == 0 and len(data) <= budget:
                    sent = sock.send(data)
                else:
                    sent = sock.send(memoryview(data)[pos:pos + budget])
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return False
            if self.reply_mode == "replica":
                stats.net_repl_output_bytes += sent
            else:
                stats.net_output_bytes += sent
            stats.writes_processed += 1
            self.reply_bytes -= sent
            budget -= sent
            pos += sent
            if pos < len(data):
                self.reply_pos = pos
                break   # the socket is full, or this event's share is spent
            del reply[0]
            self.reply_pos = 0
        return True

    def after_write(self) -> None:
        """The main thread's part after a write: the write handler installed while replies
        remain (removed once they are gone), close after the last reply, the soft limit."""
        if not self.reply:
            if self.writing:
                self.writing = False
                self.server.reactor.remove_writer(self.sock)
            if self.close_after_reply:
                self.close()
        elif not self.writing:
            self.writing = True
            self.server.reactor.add_writer(self.sock, self.on_writable)
        if self.obuf_soft_since and not self.closed:
            # Draining below the soft limit restarts its count of seconds.
            self.server.check_output_buffer_limits(self)

    def _next_chunk(self, budget: int) -> bytes | memoryview:
        """The bytes to send next, left at the head of the reply queue: the queued small
        replies joined (up to `budget` bytes), or the next slice of a big lazy reply. A
        replica's queue holds views of the shared replication buffer's blocks."""
        reply = self.reply
        head = reply[0]
        if type(head) is LazyAggregate:
            data = head.encode_some(budget)
            if head.done():
                reply[0] = data
                self.lazy_replies -= 1
            else:
                reply.insert(0, data)
            self.reply_bytes += len(data)
            return data
        if len(reply) == 1 or len(head) >= budget:
            return head
        if not self.lazy_replies and self.reply_bytes <= budget:
            data = b"".join(reply)   # the common case: this cycle's replies, all small
            reply.clear()
            reply.append(data)
            return data
        size = count = 0
        for chunk in reply:
            if type(chunk) is LazyAggregate or (count and size + len(chunk) > budget):
                break
            size += len(chunk)
            count += 1
        data = b"".join(reply[:count])
        reply[:count] = [data]
        return data

    def on_writable(self) -> None:
        if self.reply:
            self.flush()
        else:
            self.writing = False
            self.server.reactor.remove_writer(self.sock)

    # -- MULTI -----------------------------------------------------------------------------

    def discard_transaction(self) -> None:
        """Leave MULTI: drop the queued commands and every WATCH."""
        self.in_multi = False
        self.multi_queue = []
        self.multi_flags = set()
        self.multi_error = False
        self.watch_dirty = False
        if self.watched:
            unwatch_all(self)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.server.free_client(self)
        if self.sock is not None:
            self.server.reactor.forget(self.sock)
            try:
                self.sock.close()
            except OSError:
                pass

    def flag_string(self) -> str:
        """CLIENT LIST's flags=, in Redis's order ("N" for none)."""
        flags = set(self.flags)
        if self.in_multi:
            flags.add(FLAG_MULTI)
        if self.watch_dirty:
            flags.add(FLAG_DIRTY_EXEC)
        if self.blocked is not None or self.paused:
            flags.add(FLAG_BLOCKED)
        if self.channels or self.patterns or self.shard_channels:
            flags.add(FLAG_PUBSUB)
        if self.close_after_reply:
            flags.add(FLAG_CLOSE_AFTER_REPLY)
        if self.tracking is not None:
            flags.add(FLAG_TRACKING)
            if self.tracking.broken_redirect:
                flags.add("R")
            if self.tracking.bcast:
                flags.add("B")
        if self.kill_reason:
            flags.add(FLAG_CLOSE_ASAP)
        if self.no_evict:
            flags.add(FLAG_NO_EVICT)
        return "".join(f for f in FLAG_ORDER if f in flags) or "N"

    def must_obey(self) -> bool:
        """Commands replayed from the AOF or sent by our master are applied as they come,
        never refused for limits a user's command would meet (Redis's mustObeyClient)."""
        return self.server.loading or FLAG_MASTER in self.flags

    def is_local(self) -> bool:
        """Connected over the unix socket or the loopback interface (Redis's
        islocalClient, for enable-debug-command / enable-protected-configs "local")."""
        return FLAG_UNIX in self.flags or self.addr.startswith(("127.", "[::1]:"))

    def subscription_count(self) -> int:
        return len(self.channels) + len(self.patterns)

"""Server: its parts (created in __init__), listeners, clients, databases, the command path
(Redis's processCommand and call), and the cron and the end of each loop cycle as named
calls in Redis's order (serverCron, beforeSleep)."""
from __future__ import annotations

import errno
import gc
import os
import resource
import signal
import socket
import sys
import time
import traceback
from collections import Counter
from typing import Any, Callable, Final, Optional

from . import INTERPRETER_BLOCKS, commands
from .acl import Acl, denied_message
from . import blocking
from .blocking import Blocking, BlockedState
from .client import AOF_CLIENT_ID, FLAG_MASTER, FLAG_MONITOR, FLAG_REPLICA, Client
from .clock import Clock
from .commands import BY_SPELLING, COMMANDS, Command, command_for, renamed_table
from .config import (Config, apply_maxmemory_policy, apply_output_buffer_limits,
                     apply_slow_call_floor)
from .commands.memory import heap_in_use
from .db import Database, KeyspaceContext, KeyspaceEvents
from .errors import (LOADING, MASTERDOWN, MAX_CLIENTS_REACHED, MISCONF, NOAUTH, NOREPLICAS,
                     NOT_IN_MULTI, OOM, PROTECTED_MODE_DENIED, READONLY_REPLICA,
                     REPLICA_KEYSPACE, SHUTDOWN_FAILED, RedisError, exec_aborted,
                     not_while_subscribed, internal_error, unknown_command,
                     unknown_subcommand, wrong_arity)
from .client_eviction import ClientEviction
from .evict import Eviction, perform_evictions
from .expire import ActiveExpire
from .io_threads import IOThreads
from .sizes import DICT_ENTRY, DICT_ENTRY_ALLOC, POINTER
from .latency import LatencyMonitor
from .lazyfree import LazyFree
from .migration import MigrateSockets
from .notifications import Notifications
from .persistence.aof import Aof
from .persistence.propagation import Propagation
from .persistence.snapshots import Snapshots
from .process import Process
from .pubsub import PubSub
from .reactor import make_reactor
from .replica import Replica
from .replication import Replication
from .protocol.encode import NO_REPLY, QUEUED, error_line
from .protocol.parse import sds_repr
from .scan import ScanCursors
from .scripting import Scripting
from .slowlog import SlowLog
from .tracking import Tracking

PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE")
REDIS_VERSION: Final = "7.0.15"
MAX_ACCEPTS_PER_CALL: Final = 1000
LOCAL_IPS: Final = ("127.0.0.1", "::1")   # Redis's islocalClient: these two addresses only
MAX_ERROR_CODES: Final = 128
DEFAULT_PIDFILE: Final = "/var/run/redis.pid"   # a daemon's pid file when `pidfile` is not set
# Listening on an address of a family the system lacks is skipped, as Redis does.
UNSUPPORTED_ADDRESS_ERRORS: Final = (errno.ENOPROTOOPT, errno.EPROTONOSUPPORT,
                                     errno.ESOCKTNOSUPPORT, errno.EPFNOSUPPORT,
                                     errno.EAFNOSUPPORT)
MAX_CLIENTS_PER_CLOCK_TICK: Final = 200     # dynamic-hz raises hz above this many clients per tick
CLIENTS_CRON_MIN_ITERATIONS: Final = 5
# call() times every command: a C static of the compiled build, not a name looked up twice.
perf_counter_ns: Final = time.perf_counter_ns


def _commands(*names: str) -> frozenset:
    return frozenset(commands.TABLE[name] for name in names)


# The commands processCommand tells apart by themselves (Redis compares their procs), as
# Command objects resolved once: the checks compare identity.
EXEC: Final = commands.TABLE["exec"]     # its flags include its queued commands' (dynamic_flags)
PING: Final = commands.TABLE["ping"]
# A RESP2 client may run these while subscribed.
SUBSCRIBED_ALLOWED: Final = _commands("ping", "subscribe", "ssubscribe", "unsubscribe",
                               "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset")
# Inside MULTI these run at once instead of being queued ...
MULTI_IMMEDIATE: Final = _commands("exec", "discard", "multi", "watch", "quit", "reset")
# ... and these are not refused over maxmemory (queueing others could grow without bound).
MULTI_OOM_EXEMPT: Final = _commands("exec", "discard", "quit", "reset")
# A replica may run none of the commands with these flags.
KEYSPACE_FLAGS: Final = frozenset(("write", "readonly", "may-replicate"))


class Stats:
    """The counters INFO stats reports."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.connections_received = 0
        self.commands_processed = 0
        self.net_input_bytes = 0
        self.net_output_bytes = 0
        self.net_repl_input_bytes = 0         # from our master: its stream and its RDB
        self.net_repl_output_bytes = 0        # to our replicas: the stream and the RDB
        self.rejected_connections = 0
        self.expired_keys = 0
        self.lazyfreed_objects = 0
        self.expired_stale_perc = 0.0         # estimated share of expired keys not reclaimed
        self.expired_time_cap_reached_count = 0
        self.expire_cycle_time_used = 0       # microseconds spent in active expiry
        self.evicted_keys = 0
        self.evicted_clients = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.error_replies = 0
        self.unexpected_error_replies = 0     # errors to our master, replicas, the AOF
        self.errors: Counter[str] = Counter()  # error code -> count (INFO errorstats)
        self.reads_processed = 0
        self.writes_processed = 0
        self.io_threaded_reads_processed = 0     # clients read by the I/O threads
        self.io_threaded_writes_processed = 0    # clients written by the I/O threads
        # (time, commands, bytes in, bytes out, replication bytes in, replication bytes out)
        self.ops_samples: list[tuple[float, int, int, int, int, int]] = []

    def count_error(self, message: str) -> None:
        self.error_replies += 1
        code = message.split(" ", 1)[0]
        # Like Redis, track at most 128 distinct error codes (a flood of made-up codes
        # from scripts must not grow the table without bound).
        if code in self.errors or len(self.errors) < MAX_ERROR_CODES:
            self.errors[code] += 1

    def sample(self, now: float) -> None:
        self.ops_samples.append((now, self.commands_processed,
                                 self.net_input_bytes + self.net_repl_input_bytes,
                                 self.net_output_bytes + self.net_repl_output_bytes,
                                 self.net_repl_input_bytes, self.net_repl_output_bytes))
        del self.ops_samples[:-16]

    def instantaneous(self, index: int) -> float:
        """Per-second rate of one sampled counter over the last samples (Redis's 16)."""
        if len(self.ops_samples) < 2:
            return 0.0
        first, last = self.ops_samples[0], self.ops_samples[-1]
        elapsed = last[0] - first[0]
        return (last[index] - first[index]) / elapsed if elapsed > 0 else 0.0


class Server:
    def __init__(self, config: Optional[Config] = None, clock: Optional[Clock] = None,
                 io: str = "selectors",
                 log_hook: Optional[Callable[[str, str], bool]] = None) -> None:
        # A host that takes the log lines itself (the embedded server: the logging module)
        # returns True for each it took.
        self.log_hook = log_hook
        commands.load_all()
        self.config = config or Config()
        self.clock = clock or Clock()
        self.reactor = make_reactor(io)   # the I/O backend: selectors or uvloop
        self.clients: dict[int, Client] = {}
        self.next_client_id = 1
        self.pending_writes: list[Client] = []
        self.io_threads = IOThreads(self)     # io-threads: helpers for the pending I/O
        self.postpone_reads = False           # io-threads-do-reads with the threads active
        self.pending_input: list[Client] = []   # clients with commands left for next cycle
        self.clients_to_close: list[Client] = []
        self._clients_cron_queue: list[Client] = []   # the clients cron's turn, in order
        self.ready_keys: list[tuple[Database, bytes, type]] = []  # (db, key, type of value)
        self.blocked_clients = 0              # clients blocked on keys (INFO), by blocking.py
        self.monitors: list[Client] = []
        self.migrate_sockets = MigrateSockets()
        self.stats = Stats()
        self.listeners: list[socket.socket] = []
        self.start_time = time.time()
        self.lastsave = int(self.start_time)  # LASTSAVE: the last successful save (or start)
        self.pid = os.getpid()
        self.run_id = os.urandom(20).hex()
        self.replid = os.urandom(20).hex()    # INFO master_replid, DEBUG CHANGE-REPL-ID
        self.hz = self.config.hz              # the cron's rate: configured hz, or more
        self.startup_memory = 0               # the interpreter's heap once started
        self.buffers_memory = 0               # clients' buffers, script caches (the cron's)
        self.peak_memory = 0
        self.current_client: Optional[Client] = None   # whose command runs (outermost)
        self._error_mark = 0                  # error replies before the running command
        self.active_expire_enabled = True
        self.scan_cursors = ScanCursors()     # SCAN, HSCAN, SSCAN, ZSCAN snapshots
        # Pauses by purpose ("client": CLIENT PAUSE, "failover"): (monotonic end, writes
        # only); in effect, the strictest kind and its latest end.
        self.pauses: dict[str, tuple[float, bool]] = {}
        self.pause_end = 0.0
        self.pause_writes_only = False
        self.paused_clients: list[Client] = []
        self.shutdown_asap = False            # SIGTERM / SIGINT: the cron shuts down
        # A shutdown waiting for lagging replicas: when it goes on anyway (monotonic, 0:
        # none), its options, and the clients whose SHUTDOWN waits with it.
        self.shutdown_deadline = 0.0
        self.shutdown_options: frozenset = frozenset()
        self.shutdown_waiters: list[tuple[Client, BlockedState]] = []
        self.last_signal = 0                  # which of the two came last
        self.loading = False                  # the dataset is being loaded (INFO loading)
        # ... by a replica into a dataset of its own, while it serves the old one (Redis's
        # async_loading: `loading` is set too).
        self.async_loading = False
        self.loading_start_time = 0.0
        self.loading_total_bytes = 0
        self.loading_loaded_bytes = 0
        self.loading_rdb_used_mem = 0         # the loaded RDB's used-mem (INFO's estimate)
        self.started = False                  # start() ran: the log's role letter is M
        self._statm: Optional[int] = None     # /proc/self/statm, open (resident_memory)
        self.pause_cron = False               # DEBUG PAUSE-CRON: the cron does nothing
        self.replication_cron_due = 0         # cron runs left before replication's
        self.disk_error: Optional[str] = None   # set while a save or an AOF write failed
        self.busy_script: Optional[str] = None   # the -BUSY error while a script is too long
        # The commands by name: the table, or this server's copy when rename-command renames
        # or removes some; with the spellings clients used, each lowered once.
        self.commands, self.spellings = COMMANDS, BY_SPELLING
        if self.config.renamed_commands:
            self.commands = renamed_table(self.config.renamed_commands)
            self.spellings = {}
        # The server's parts: each keeps its own state; the cron, the end of each loop cycle
        # and free_client call them by name.
        self.acl = Acl(self)                  # users: before any client connects
        self.active_expire = ActiveExpire(self)
        self.lazyfree = LazyFree(self.config, self.stats)
        # The databases, built from what they use of the server; what happens to their keys
        # goes to the keyspace events, wired here and by the parts that follow them.
        events = KeyspaceEvents()
        events.key_ready = lambda db, key, kind: self.ready_keys.append((db, key, kind))
        events.paused = self.dataset_paused
        self.keyspace = KeyspaceContext(self.clock, self.stats, self.config, self.lazyfree,
                                        events)
        self.keyspace.over_maxmemory_after = self.over_maxmemory_after
        self.dbs = [Database(self.keyspace, i) for i in range(self.config.databases)]
        # The stream of effects to the AOF and the replicas, fed by call() and the keys the
        # server deletes itself.
        self.propagation = Propagation(self)
        self.eviction = Eviction(self)
        self.client_eviction = ClientEviction(self)
        self.pubsub = PubSub()
        self.notifications = Notifications(self)    # publishes through pubsub
        self.blocking = Blocking(self)
        self.tracking = Tracking(self)
        self.scripting = Scripting(self)             # Lua scripts and functions
        self.snapshots = Snapshots(self)
        self.aof = Aof(self)
        self.replication = Replication(self)   # the master side: replicas, the backlog
        self.replica = Replica(self)           # the replica side: the link to a master
        events.from_master = lambda: self.current_client is not None \
            and self.current_client is self.replica.master
        self.propagation.refresh()            # appendonly yes: the stream feeds the AOF
        self.process = Process(self)          # oom score, title, crash report
        self.slowlog = SlowLog(self)
        self.latency = LatencyMonitor(self)
        self.slow_call_floor = 0              # calls this long (µs) go to the two logs
        self.obuf_check_threshold = 0.0       # replies past it check the buffer limits
        # Derived from the directives as CONFIG SET derives it, through their rows' apply.
        apply_output_buffer_limits(self)
        apply_maxmemory_policy(self)
        apply_slow_call_floor(self)
        self.config.server = self             # CONFIG SET acts on this server from now on
        self.acl.load_at_startup()            # the `user` lines or the ACL file

    # -- logging ---------------------------------------------------------------------------

    def log(self, level: str, message: str) -> None:
        if self.log_hook is not None and self.log_hook(level, message):
            return
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(self.config.loglevel):
            return
        # Redis's role letter: C before the server is set up and in a fork child, M after.
        pid = os.getpid()
        role = ("S" if self.replica.active else "M") if self.started and pid == self.pid \
            else "C"
        self.log_raw(level, format_log_line(pid, role, level, message))

    def log_warning(self, message: str) -> None:
        self.log("warning", message)

    def error_to_peer(self, client: Client, message: str) -> None:
        """An error replied to our master, a replica or the AOF being replayed: their data
        and ours may now differ. Logged as critical, with the stream's last bytes when it
        came from our master, and fatal as propagation-error-behavior says (Redis's
        afterErrorReply)."""
        if client.id == AOF_CLIENT_ID:
            to, source = "AOF-loading-client", "server"
        elif FLAG_MASTER in client.flags:
            to, source = "master", "replica"
        else:
            to, source = "replica", "master"
        command = client.last_cmd if client.last_cmd != "NULL" else "<unknown>"
        self.log_warning("== CRITICAL == This %s is sending an error to its %s: '%s' after "
                         "processing the command '%s'" % (source, to, message[:4096], command))
        backlog = self.replication.backlog
        if to == "master" and backlog is not None and backlog.histlen:
            latest = backlog.since(self.replication.master_repl_offset + 1
                                   - min(backlog.histlen, 256))
            self.log_warning("Latest backlog is: '%s'" % sds_repr(b"".join(latest or ())))
        self.stats.unexpected_error_replies += 1
        behavior = self.config.propagation_error_behavior
        if (to == "master" and self.config.replica_read_only and behavior != "ignore") or \
                (to == "AOF-loading-client" and behavior == "panic"):
            self.process.panic("This %s panicked sending an error to its %s after processing "
                               "the command '%s'" % (source, to, command))

    def log_from_signal_handler(self, message: str) -> None:
        """A warning in the form of Redis's serverLogFromHandler: `pid:signal-handler (unix
        time) message` (the tests of Redis's suite match these lines)."""
        self.log_raw("warning", f"{os.getpid()}:signal-handler ({int(time.time())}) {message}\n")

    def log_banner(self, show_logo: bool) -> None:
        """What redis-server logs once it listens: a banner with the version, port and PID
        (test suites wait for its ` PID: ` line), or one line when no logo is wanted."""
        if not show_logo:
            self.log("notice", f"Running mode=standalone, port={self.port}.")
            return
        python = ".".join(map(str, sys.version_info[:3]))
        banner = ("\n"
                  f"    pyredis {REDIS_VERSION} (Python {python}) 64 bit\n"
                  "    Running in standalone mode\n"
                  f"    Port: {self.port}\n"
                  f"    PID: {self.pid}\n\n")
        self.log_raw("notice", banner)

    def log_raw(self, level: str, text: str) -> None:
        """Write text to the log as it is, without the pid/time prefix."""
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(self.config.loglevel):
            return
        try:   # a client's bytes quoted in a line go out as they came
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "replace")
        if self.config.logfile:
            try:
                with open(self.config.logfile, "ab") as f:
                    f.write(data)
            except OSError:
                pass
        else:
            out = getattr(sys.stdout, "buffer", None)
            if out is None:   # a text-only stream put in its place (embedding)
                sys.stdout.write(data.decode("utf-8", "replace"))
            else:
                sys.stdout.flush()
                out.write(data)
            sys.stdout.flush()

    def log_system_warnings(self) -> None:
        """What Redis warns about at start-up: a kernel that may refuse the fork of a
        background save, a maxmemory too small to be meant."""
        try:
            with open("/proc/sys/vm/overcommit_memory") as f:
                overcommit = f.read().strip()
        except OSError:
            overcommit = "1"
        if overcommit != "1":
            self.log_warning(
                "WARNING Memory overcommit must be enabled! Without it, a background save or "
                "replication may fail under low memory condition. Being disabled, it can can "
                "also cause failures without low memory condition, see "
                "https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add "
                "'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the "
                "command 'sysctl vm.overcommit_memory=1' for this to take effect.")

    def write_pidfile(self) -> None:
        """Redis's createPidFile: the configured pidfile, or Redis's default when daemonized."""
        path = self.config.pidfile or (DEFAULT_PIDFILE if self.config.daemonize else "")
        if not path:
            return
        try:
            with open(path, "w") as f:
                f.write(f"{os.getpid()}\n")
        except OSError as exc:
            self.log_warning(f"Failed to write PID file: {exc.strerror}")

    # -- listening -------------------------------------------------------------------------

    @staticmethod
    def fd_limit() -> int:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        return 2**31 - 1 if soft == resource.RLIM_INFINITY else soft

    def raise_fd_limit(self) -> None:
        """Make room for maxclients plus Redis's 32 reserved descriptors."""
        wanted = self.config.maxclients + 32
        try:
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft < wanted:
                new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
                resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        except (ValueError, OSError):
            pass

    def listen(self, any_free_port: bool = False) -> None:
        """Open the TCP listeners (bind x port) and the unix socket, as Redis's listenToPort.

        `port 0` means no TCP listener, as in Redis; with any_free_port the OS picks a free
        port instead (the embedded server's port=0), recorded in config.port."""
        try:
            self.listeners = self._tcp_listeners(any_free_port)
        except OSError:
            self.log_warning(f"Failed listening on port {self.config.port} (TCP), aborting.")
            raise
        if self.config.unixsocket:
            try:
                self.listeners.append(self._unix_listener(self.config.unixsocket))
            except OSError as exc:
                self.log_warning(f"Failed opening Unix socket: {exc.strerror}")
                for sock in self.listeners:
                    sock.close()
                self.listeners = []
                raise
        for sock in self.listeners:
            self.reactor.add_reader(sock, lambda s=sock: self.accept(s))

    def _unix_listener(self, path: str) -> socket.socket:
        if os.path.exists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        step = "bind"
        try:
            sock.bind(path)
            if self.config.unixsocketperm:
                os.chmod(path, self.config.unixsocketperm)
            step = "listen"
            sock.listen(self.config.tcp_backlog)
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"{step}: {exc.strerror}") from None
        sock.setblocking(False)
        return sock

    def _tcp_listeners(self, any_free_port: bool = False) -> list[socket.socket]:
        """One listening socket per bind address on the configured port (none for port 0);
        all or nothing: logs each failure as Redis's listenToPort does, raises OSError."""
        listeners: list[socket.socket] = []
        if self.config.port or any_free_port:
            for addr in self.config.bind or ["*"]:
                optional = addr.startswith("-")
                host = addr[1:] if optional else addr
                try:
                    sock = self._tcp_listener(host, self.config.port)
                except OSError as exc:
                    self.log_warning(f"Warning: Could not create server TCP listening socket "
                                     f"{host}:{self.config.port}: {exc.strerror}")
                    if (optional and exc.errno == errno.EADDRNOTAVAIL) \
                            or exc.errno in UNSUPPORTED_ADDRESS_ERRORS:
                        continue
                    for sock in listeners:
                        sock.close()
                    raise
                listeners.append(sock)
                if not self.config.port:   # later addresses share the port picked here
                    self.config.port = sock.getsockname()[1]
        return listeners

    def _tcp_listener(self, host: str, port: int) -> socket.socket:
        """A listening socket; OSError's text is Redis's (`bind: Address already in use`)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            raise OSError(exc.errno, f"creating socket: {exc.strerror}") from None
        step = "bind"
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            step = "listen"
            sock.listen(self.config.tcp_backlog)
            sock.setblocking(False)
        except socket.gaierror as unresolved:
            sock.close()
            raise OSError(unresolved.errno, unresolved.strerror) from None
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"{step}: {exc.strerror}") from None
        return sock

    def rebind(self) -> bool:
        """Listen on the configured port and bind addresses instead of the current ones
        (CONFIG SET port / bind). On failure the old listeners stay; returns success."""
        tcp = [s for s in self.listeners if s.family != socket.AF_UNIX]
        old_addresses = [s.getsockname()[:2] for s in tcp]
        for sock in tcp:
            self.reactor.forget(sock)
            sock.close()    # first, so that the same addresses may be bound again
        others = [s for s in self.listeners if s.family == socket.AF_UNIX]
        try:
            new = self._tcp_listeners()
        except OSError:
            new = []
            for address in old_addresses:
                try:
                    new.append(self._tcp_listener(*address))
                except OSError as again:
                    self.log_warning(f"Could not listen again on {address}: {again}")
            ok = False
        else:
            ok = True
        self.listeners = new + others
        for sock in new:
            self.reactor.add_reader(sock, lambda s=sock: self.accept(s))
        return ok

    @property
    def port(self) -> int:
        """The TCP port actually listened on (the configured one, or the OS's pick)."""
        for sock in self.listeners:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                return sock.getsockname()[1]
        return self.config.port

    def accept(self, listener: socket.socket) -> None:
        for _ in range(MAX_ACCEPTS_PER_CALL):
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.log_warning(f"Accepting client connection: accept: {exc.strerror}")
                return
            if self.config.loglevel in VERBOSE_LEVELS:
                self.log("verbose", f"Accepted {peer[0]}:{peer[1]}" if peer else
                         f"Accepted connection to {self.config.unixsocket}")
            self.add_client(sock, peer)

    def add_client(self, sock: socket.socket, peer: Any) -> Optional[Client]:
        sock.setblocking(False)
        if sock.family == socket.AF_UNIX:
            addr = f"{self.config.unixsocket}:0"
            laddr = addr
        else:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.config.tcp_keepalive:
                set_keepalive(sock, self.config.tcp_keepalive)
            addr = _format_addr(peer)
            laddr = _format_addr(sock.getsockname())
        if len(self.clients) >= self.config.maxclients:
            self._refuse(sock, error_line(MAX_CLIENTS_REACHED))
            return None
        if (self.config.protected_mode and self.acl.default.nopass
                and sock.family != socket.AF_UNIX
                and addr.rsplit(":", 1)[0].strip("[]") not in LOCAL_IPS):
            self._refuse(sock, error_line(PROTECTED_MODE_DENIED))
            return None
        self.stats.connections_received += 1
        client = Client(self, sock, addr, laddr, self.next_client_id)
        if sock.family == socket.AF_UNIX:
            client.flags = frozenset("U")
        self.next_client_id += 1
        self.clients[client.id] = client
        self.reactor.add_reader(sock, client.on_readable)
        return client

    def _refuse(self, sock: socket.socket, message: bytes) -> None:
        self.stats.rejected_connections += 1
        try:
            sock.send(message)
        except OSError:
            pass
        sock.close()

    # -- the command path ------------------------------------------------------------------

    def process_command(self, client: Client, argv: list[bytes]) -> None:
        """Redis's processCommand: the checks in Redis's order, then queue or call."""
        client.argv = argv
        if self.tracking.enabled:
            self.tracking.before_command(client, argv)
        cmd = self.spellings.get(argv[0]) or command_for(argv[0], self.commands, self.spellings)
        if cmd is not None and cmd.subcommands and len(argv) > 1:
            sub = cmd.subcommands.get(argv[1].lower())
            if sub is None:
                self._reject(client, unknown_subcommand(argv[1], argv[0]))
                return
            cmd = sub
        if cmd is None:
            self._reject(client, unknown_command(argv))
            return
        client.last_cmd = cmd.name      # CLIENT LIST's cmd=, even for a refused command
        n = len(argv)
        if (cmd.arity > 0 and n != cmd.arity) or n < -cmd.arity:
            self._reject(client, wrong_arity(cmd.name), cmd)
            return
        if not client.authenticated and "no-auth" not in cmd.flags \
                and self.acl.auth_required(client):
            self._reject(client, RedisError(NOAUTH), cmd)
            return
        if client.in_multi and "no-multi" in cmd.flags:
            self._reject(client, RedisError(NOT_IN_MULTI), cmd)
            return
        if not client.user.unrestricted:
            denied = self.acl.denial(client, cmd, argv,
                                     b"multi" if client.in_multi else b"toplevel")
            if denied:
                self._reject(client, RedisError(denied_message(denied, cmd)), cmd)
                return
        if self.config.maxmemory_clients:
            # Redis evicts clients here, before keys: this command's arguments count.
            self.client_eviction.update(client, running=True)
            self.client_eviction.evict()
            if client.closed:
                return
        flags = cmd.flags if cmd.dynamic_flags is None else cmd.dynamic_flags(client, argv)
        if self.config.maxmemory and self.busy_script is None and perform_evictions(self) and (
                "denyoom" in flags
                or (client.in_multi and cmd not in MULTI_OOM_EXEMPT)):
            self._reject(client, RedisError(OOM), cmd)
            return
        if self.disk_error is not None and ("write" in flags or cmd is PING) \
                and FLAG_MASTER not in client.flags:
            refusal = self.write_refusal()
            if refusal is not None:
                self._reject(client, RedisError(refusal), cmd)
                return
        if self.config.min_replicas_to_write and "write" in flags \
                and not self.replication.enough_good_replicas():
            self._reject(client, RedisError(NOREPLICAS), cmd)
            return
        replica = self.replica
        if replica.host is not None and self.config.replica_read_only \
                and FLAG_MASTER not in client.flags \
                and "write" in flags:
            self._reject(client, RedisError(READONLY_REPLICA), cmd)
            return
        if client.proto == 2 and (client.channels or client.patterns or client.shard_channels) \
                and cmd not in SUBSCRIBED_ALLOWED:
            self._reject(client, not_while_subscribed(cmd.name), cmd)
            return
        if replica.host is not None and replica.state != "connected" \
                and not self.config.replica_serve_stale_data \
                and ("stale" not in cmd.flags
                     or (cmd is EXEC and client.multi_queue
                         and any("stale" not in c.flags for c, _ in client.multi_queue))):
            self._reject(client, RedisError(MASTERDOWN), cmd)
            return
        if self.loading and not self.async_loading and "loading" not in cmd.flags:
            self._reject(client, RedisError(LOADING), cmd)
            return
        if self.async_loading and ("no-async-loading" in cmd.flags or (
                cmd is EXEC and any("no-async-loading" in c.flags
                                    for c, _ in client.multi_queue))):
            self._reject(client, RedisError(LOADING), cmd)
            return
        if self.busy_script is not None and "allow-busy" not in cmd.flags:
            # A script runs past busy-reply-threshold: only a few commands may be served.
            self._reject(client, RedisError(self.busy_script), cmd)
            return
        if FLAG_REPLICA in client.flags and not KEYSPACE_FLAGS.isdisjoint(flags):
            # Its link is for the stream (and replicas are never paused).
            self._reject(client, RedisError(REPLICA_KEYSPACE), cmd)
            return
        if self.pause_end and FLAG_MASTER not in client.flags and self._must_pause(flags):
            client.paused = True
            self.paused_clients.append(client)
            return
        if client.in_multi and cmd not in MULTI_IMMEDIATE:
            if not (client.multi_error or client.watch_dirty):   # else EXEC will not run it
                client.multi_queue.append((cmd, argv))
                client.multi_flags.update(flags)
            client.add_reply(QUEUED)
            return
        self.call(client, cmd, argv)
        client.woff = self.replication.master_repl_offset
        if replica.host is not None and "write" in flags and FLAG_MASTER not in client.flags:
            replica.remember_written_keys(client.db, cmd, argv)
        if self.ready_keys:
            self.blocking.serve_ready_keys()

    def run_as(self, client: Client, func: Callable, *args: Any) -> Any:
        """Run work of `client`'s command done outside call() (serving a blocked client) as
        Redis does: as the current client, with the end-of-command bookkeeping after it."""
        outer = self.current_client
        self.current_client = client
        try:
            return func(*args)
        finally:
            self.current_client = outer
            if outer is None and self.propagation.pending:
                self.propagation.flush()
            if self.tracking.enabled:
                self.tracking.after_command(client, None, None, True)

    def _reject(self, client: Client, error: RedisError, cmd: Optional[Command] = None) -> None:
        """A command refused before it ran: counted, and it aborts a MULTI being queued. A
        refused EXEC discards the transaction, saying why (the generic ERR code dropped)."""
        if cmd is not None:
            cmd.rejected_calls += 1
        if client.in_multi:
            client.multi_error = True
        if cmd is EXEC:
            client.discard_transaction()
            client.add_error(exec_aborted(error))
            return
        client.add_error(error.message)

    def call(self, client: Client, cmd: Command, argv: list[bytes]) -> None:
        """Run one command and queue its reply (Redis's call): then hand it to the latency
        monitor and the slow log if it ran long enough, count it in INFO commandstats (a
        call that replied an error counts as failed) and show it to MONITOR clients, with
        what the command redacted (see `redact`)."""
        stats = self.stats
        self._error_mark = stats.error_replies
        client.last_cmd = cmd.name
        # The client of the outermost call stays current inside EXEC and scripts (Redis's
        # current_client: NOLOOP and a client's own invalidations go by it).
        caller = self.current_client
        if caller is None:
            self.current_client = client
        propagation = self.propagation
        propagating = propagation.active
        if propagating:
            dirty = self.keyspace.dirty
            outer_requests = propagation.begin_call()
        start = perf_counter_ns()
        try:
            reply = cmd.func(client, argv)  # type: ignore[misc]  # the command has a function
        except RedisError as exc:
            client.add_error(exc.message)
        except Exception as bug:   # a bug in pyredis: it costs this reply, not the server
            trace = traceback.format_exception(type(bug), bug, bug.__traceback__)
            self.log_warning(f"Internal error running '{cmd.name}' for client {client.addr}:\n"
                             + "".join(trace).rstrip())
            client.add_error(internal_error(cmd.name, bug))
        else:
            if reply is not NO_REPLY:
                client.add_reply(reply)
        finally:
            self.current_client = caller
        usec = (perf_counter_ns() - start) // 1000   # whole microseconds, as Redis counts
        if usec >= self.slow_call_floor:
            self.log_slow_call(client, cmd, argv, usec)
        if stats.error_replies > self._error_mark:
            cmd.failed_calls += 1
        self._error_mark = stats.error_replies
        cmd.usec += usec
        cmd.calls += 1
        if client.blocked is None:
            if self.config.latency_tracking:
                cmd.latency.record(usec)
        else:
            # A blocked command is timed, logged and counted in full once it is served.
            client.blocked.duration = usec
        stats.commands_processed += 1
        if self.monitors and not cmd.flags & NOT_MONITORED:
            self.feed_monitors(client, argv)
        if propagating:
            propagation.end_call(client.db.index, argv, self.keyspace.dirty > dirty,
                                 outer_requests)
        if caller is None and propagation.pending:
            propagation.flush(cmd.flags)   # the outermost call: its effects go out together
        if self.tracking.enabled:
            self.tracking.after_command(client, cmd, argv, caller is None)

    def write_refusal(self) -> Optional[str]:
        """MISCONF while the last save failed, save points are set and
        stop-writes-on-bgsave-error is on, else while the AOF cannot be written (Redis's
        writeCommandsDeniedByDiskError)."""
        if not self.snapshots.last_bgsave_ok and self.config.save \
                and self.config.stop_writes_on_bgsave_error:
            return MISCONF
        return self.aof.write_error()

    def log_slow_call(self, client: Client, cmd: Command, argv: list[bytes],
                      usec: int) -> None:
        """A call that may be a latency spike or belong in the slow log. A blocked command
        goes to the slow log once served; EXEC (skip-slowlog) leaves it to its commands."""
        self.latency.add_sample_if_needed(
            "fast-command" if "fast" in cmd.flags else "command", usec // 1000)
        if client.blocked is None and "skip-slowlog" not in cmd.flags:
            self.slowlog.push_if_needed(client, argv, usec)

    def feed_monitors(self, client: Client, argv: list[bytes]) -> None:
        """Show a command to the MONITOR clients, in Redis's format."""
        now = self.clock.us()
        if client.sock is None:
            source = "lua"
        elif "U" in client.flags:
            source = "unix:" + self.config.unixsocket
        else:
            source = client.addr
        line = "+%d.%06d [%d %s] %s\r\n" % (now // 1_000_000, now % 1_000_000,
                                            client.db.index, source,
                                            " ".join(sds_repr(a) for a in argv))
        data = line.encode()
        for monitor in self.monitors:
            monitor.add_push(data)

    # -- CLIENT PAUSE ----------------------------------------------------------------------

    def _must_pause(self, flags: frozenset) -> bool:
        """A pause holds every command, or with WRITE those that may replicate."""
        if time.monotonic() >= self.pause_end:
            self.update_pause()
            if not self.pause_end:
                return False
        return not self.pause_writes_only or "write" in flags or "may-replicate" in flags

    def pause(self, seconds: float, writes_only: bool, purpose: str = "client") -> None:
        """Hold every command (or only writes) for `seconds` (CLIENT PAUSE, a failover).
        Over a pause of the same purpose, the later end and the stricter kind win, as in
        Redis."""
        if seconds <= 0:
            return
        now = time.monotonic()
        end = now + seconds
        if purpose in self.pauses and self.pauses[purpose][0] > now:
            old_end, old_writes_only = self.pauses[purpose]
            end = max(end, old_end)
            writes_only = writes_only and old_writes_only
        self.pauses[purpose] = (end, writes_only)
        self.update_pause()

    def clients_paused(self) -> bool:
        """A pause is on (Redis's checkClientPauseTimeoutAndReturnIfPaused)."""
        return bool(self.pause_end) and time.monotonic() < self.pause_end

    def dataset_paused(self) -> bool:
        """A pause is on, or this server is a replica (its master deletes keys): the
        dataset stands still (no key expires here)."""
        return self.replica.host is not None or self.clients_paused()

    def unpause(self, purpose: str = "client") -> None:
        if self.pauses.pop(purpose, None) is not None:
            self.update_pause()

    def update_pause(self) -> None:
        """The pause in effect: the strictest kind among the purposes not run out, until
        the latest end of that kind (Redis's updateClientPauseTypeAndEndTime). Once it is
        lifted or eased, the clients it held run their commands (or are held again)."""
        now = time.monotonic()
        self.pauses = {p: v for p, v in self.pauses.items() if v[0] > now}
        was_writes_only, was_paused = self.pause_writes_only, bool(self.pause_end)
        if self.pauses:
            writes_only = all(w for _, w in self.pauses.values())
            self.pause_end = max(e for e, w in self.pauses.values() if w == writes_only)
            self.pause_writes_only = writes_only
        else:
            self.pause_end = 0.0
            self.pause_writes_only = False
        if was_paused and (not self.pause_end
                           or (self.pause_writes_only and not was_writes_only)):
            self.release_paused_clients()

    def release_paused_clients(self) -> None:
        paused, self.paused_clients = self.paused_clients, []
        for client in paused:
            if client.closed:
                continue
            client.paused = False
            self.process_command(client, client.argv)
            if client.reply_mode != "on":
                client.after_command()
            if not client.paused:
                client.process_input()

    # -- memory ----------------------------------------------------------------------------

    def used_memory(self) -> int:
        """Bytes in use, as Redis's allocator counter counts them: the interpreter's heap at
        startup, the keys (each priced as MEMORY USAGE prices it, kept by the databases as
        keys are written and deleted), their tables and expires, and what the cron last
        found in the clients' buffers and the script caches, and the replication buffer as
        it is now (so that it and the share maxmemory leaves out of it always agree). Cheap:
        maxmemory asks before every command."""
        total = self.startup_memory + self.buffers_memory + self.replication.buffer_memory()
        for db in self.dbs:
            # MEMORY USAGE counts a table entry by its struct's size, the allocator by the
            # size class it takes.
            total += (db.used + len(db.data) * (DICT_ENTRY_ALLOC - DICT_ENTRY)
                      + len(db.expires) * DICT_ENTRY_ALLOC
                      + (db.buckets + db.expire_buckets) * POINTER)
        return total

    def over_maxmemory_after(self, more: int) -> bool:
        """Allocating `more` bytes would take used memory over maxmemory (Redis's
        overMaxmemoryAfterAlloc)."""
        maxmemory = self.config.maxmemory
        return bool(maxmemory) and self.used_memory() + more > maxmemory

    def refresh_buffers_memory(self) -> None:
        """What the clients' query and output buffers and the script caches hold now (with
        the replication buffer, the part of used_memory that is no key's). In between,
        reads add what they leave in a query buffer. The replicas' output buffers are
        views of the replication buffer: counted there, once."""
        lua = self.scripting.memory_info()
        total = lua["used_memory_scripts_eval"] + lua["used_memory_functions"]
        for client in self.clients.values():
            client.qbuf_counted = client.parser.pending() + client.parser.partial_args_size()
            client.obuf_counted = 0 if FLAG_REPLICA in client.flags else client.reply_bytes
            total += client.qbuf_counted + client.obuf_counted
        self.buffers_memory = total

    def resident_memory(self) -> int:
        """The process's resident set (used_memory_rss). Read from a file kept open."""
        try:
            if self._statm is None:
                self._statm = os.open("/proc/self/statm", os.O_RDONLY)
            return int(os.pread(self._statm, 128, 0).split()[1]) * PAGE_SIZE
        except (OSError, ValueError):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def over_maxmemory(self) -> bool:
        return self.used_memory() - self.replication.memory_not_counted() > \
            self.config.maxmemory

    # -- output buffers --------------------------------------------------------------------

    def output_limits(self, client: Client) -> tuple[int, int, int]:
        """client-output-buffer-limit's hard limit, soft limit and seconds for the client's
        class."""
        limits = self.config.client_output_buffer_limit
        if FLAG_REPLICA in client.flags:
            hard, soft, seconds = limits.get("slave", (0, 0, 0))
            # Below the backlog's size a replica that could resync partially would be cut.
            if hard and hard < self.config.repl_backlog_size:
                hard = self.config.repl_backlog_size
            return hard, soft, seconds
        cls = "pubsub" if (client.channels or client.patterns or client.shard_channels) \
            else "normal"
        return limits.get(cls, (0, 0, 0))

    def check_output_buffer_limits(self, client: Client, extra: int = 0) -> None:
        """client-output-buffer-limit: close a client whose pending replies (and `extra`
        bytes a command is about to add) pass the hard limit, or stay over the soft one for
        its seconds (closed at the end of the cycle)."""
        if client.kill_reason:
            return
        hard, soft, seconds = self.output_limits(client)
        used = client.reply_bytes + extra
        over = hard and used >= hard
        if soft and used >= soft:
            # Over the soft limit for more than its seconds, counted in whole seconds.
            now = int(time.monotonic())
            if not client.obuf_soft_since:
                client.obuf_soft_since = float(now)
            elif now - client.obuf_soft_since > seconds:
                over = True
        else:
            client.obuf_soft_since = 0.0
        if over:
            client.kill_reason = "output buffer limits"
            self.log_warning(f"Client id={client.id} addr={client.addr} scheduled to be closed "
                             "ASAP for overcoming of output buffer limits.")
            client.discard_replies()
            client.reply_mode = "off"
            self.clients_to_close.append(client)

    # -- end of cycle and cron -------------------------------------------------------------

    def before_sleep(self) -> None:
        """The end of each loop cycle, before the loop waits for events: Redis's beforeSleep,
        in its order."""
        self.clock.refresh()
        # The reads the I/O threads were given this cycle, and the commands they brought.
        if self.postpone_reads:
            self.io_threads.handle_pending_reads()
        # A short expiry pass when the last one left work behind; first, so that the keys it
        # deletes are in this cycle's invalidations.
        self.active_expire.run(fast=True)
        replication = self.replication
        if replication.waiting_acks:
            replication.process_waiting_acks()
        # Commands of clients unblocked this cycle, and the share of long pipelines left
        # for this cycle (Redis's processUnblockedClients).
        if self.pending_input:
            self.process_pending_input()
        # A WAIT asked the replicas for an ACK; after the unblocked clients' commands, so
        # that a WAIT pipelined after one just answered shares this request. Not during a
        # pause: the GETACK would move the offset the pause holds still.
        if replication.get_ack_from_replicas and not self.clients_paused():
            replication.send_getack()
        # The replicas' ACKs read this cycle may complete a failover (not where they are
        # read: following the new master closes clients).
        replication.update_failover_status()
        # BCAST tracking: the keys written under each prefix this cycle, expired ones too.
        self.tracking.broadcast()
        # Effects queued outside any command (a key found expired while serving a blocked
        # client) join the stream before this cycle's AOF write.
        if self.propagation.pending:
            self.propagation.flush()
        # The AOF buffer to disk before the replies go out: with appendfsync always, no
        # write is acknowledged before it is on disk.
        self.aof.before_sleep()
        # Every reply and message of this cycle goes out together.
        self.handle_clients_with_pending_writes()
        # Clients marked to close (output buffer limits) go after the writes, as in Redis:
        # nothing is queued for them any more.
        if self.clients_to_close:
            self.free_clients_to_close()
        # What the replicas sent (or the ones closed held) the backlog may now let go of.
        if replication.backlog is not None:
            replication.trim_backlog()
        if self.config.maxmemory_clients:
            self.client_eviction.evict()
        self.reactor.busy = bool(self.pending_input)   # more input: poll without waiting

    def process_events_while_blocked(self) -> None:
        """Redis's processEventsWhileBlocked, during a long load: serve the clients a few
        turns without waiting, then act on a SIGTERM / SIGINT at once (without saving)."""
        self.clock.refresh()
        for _ in range(4):
            self.reactor.poll(0.0)
            self.handle_clients_with_pending_writes()
            if self.clients_to_close:
                self.free_clients_to_close()
        if self.shutdown_asap and self.loading:
            if self.prepare_for_shutdown(frozenset(("nosave",))):
                raise SystemExit(0)
            self.log_warning("SIGTERM received but errors trying to shut down the server, "
                             "check the logs for more information")

    def process_pending_input(self) -> None:
        """Run the next share of the commands that clients' pipelines left for this cycle."""
        pending, self.pending_input = self.pending_input, []
        for client in pending:
            client.input_pending = False
            if not client.closed and client.blocked is None and not client.paused:
                client.process_input()

    def free_clients_to_close(self) -> None:
        """Redis's freeClientsInAsyncFreeQueue."""
        closing, self.clients_to_close = self.clients_to_close, []
        for client in closing:
            client.close()

    def shutdown_on_signal(self) -> bool:
        """SIGTERM / SIGINT, from the cron: shut down with shutdown-on-sigterm's or
        shutdown-on-sigint's options; a failed shutdown leaves the server running. True if
        the server stopped."""
        setting = (self.config.shutdown_on_sigint if self.last_signal == signal.SIGINT
                   else self.config.shutdown_on_sigterm)
        if not self.prepare_for_shutdown(shutdown_flags(setting)):
            return False
        self.stop_serving()
        return True

    def handle_clients_with_pending_writes(self) -> None:
        pending = self.pending_writes
        if not pending:
            return
        if self.io_threads.count > 1 and self.io_threads.handle_pending_writes():
            return
        self.pending_writes = []
        update_memory = self.client_eviction.update if self.config.maxmemory_clients else None
        for client in pending:
            client.pending_write = False
            if client.reply and not client.writing:
                client.flush()
            elif not client.reply and client.close_after_reply:
                client.close()
            if update_memory is not None:
                update_memory(client)   # what this cycle left in its output buffer

    def cron(self) -> float:
        """serverCron, `hz` times a second, in Redis's order: returns the delay to the next
        run."""
        hz = max(1, self.config.hz)
        if self.config.dynamic_hz:
            while len(self.clients) / hz > MAX_CLIENTS_PER_CLOCK_TICK and hz < 500:
                hz = min(hz * 2, 500)
        self.hz = hz
        # A fatal signal sent to the process: the crash report (not paused with the cron).
        self.process.check_crash_signals()
        if self.config.watchdog_period:
            self.process.schedule_watchdog()    # the alarm rings if the loop blocks
        if self.pause_cron:
            return 1.0 / hz
        now = self.clock.refresh()
        # INFO's instantaneous rates and peak memory.
        self.stats.sample(time.monotonic())
        self.refresh_buffers_memory()
        self.peak_memory = max(self.peak_memory, self.used_memory())
        # SIGTERM / SIGINT: shut down here, between commands, as Redis's cron does; a
        # shutdown waiting for replicas goes on once they caught up or its time is over.
        if self.shutdown_asap and not self.shutdown_deadline:
            if self.shutdown_on_signal():
                return 1.0 / hz
        elif self.shutdown_deadline and (time.monotonic() >= self.shutdown_deadline
                                         or self.replication.replicas_caught_up()):
            if self.finish_shutdown():
                self.stop_serving()
                return 1.0 / hz
        # Clients (Redis's clientsCron): idle ones past `timeout`, blocks whose deadline
        # a clock moved forward passed.
        if self.config.timeout:
            self.close_idle_clients(now - self.config.timeout)
        self.clients_cron(now)
        self.blocking.time_out_if_clock_jumped()
        # Databases (databasesCron): the slow expiry cycle; big values freed a slice at a
        # time (Redis frees them in a background thread).
        self.active_expire.run()
        resize = not self.snapshots.active_child()   # no table copied while a child runs
        if resize:
            for db in self.dbs:
                db.resize_tables()
        if self.replica.own_expires:
            self.replica.expire_own_keys()
        self.lazyfree.run(self.hz)
        # A finished background save, or a save point reached.
        self.snapshots.cron()
        # A finished or scheduled AOF rewrite, the everysec fsync, a failed write retried.
        self.aof.cron()
        # Replication, once a second: pings, keepalives and timeouts of replicas.
        self.replication_cron_due -= 1
        if self.replication_cron_due <= 0:
            self.replication_cron_due = hz
            self.replica.cron()
            self.replication.cron()
        # A pause that ran out while no command came.
        if self.pause_end and time.monotonic() >= self.pause_end:
            self.update_pause()
        # tracking-table-max-keys, a bounded share per run.
        self.tracking.limit_table()
        # MIGRATE's connections unused for 10 seconds.
        self.migrate_sockets.close_idle(now)
        # The I/O threads stop being used when there is too little to write.
        self.io_threads.stop_if_needed(len(self.pending_writes))
        return 1.0 / hz

    def clients_cron(self, now: float) -> None:
        """Redis's clientsCron: a share of the clients each run (all of them within about a
        second, at least 5 a run): query buffers give back unused room, the soft output limit
        is checked with no traffic, the memory figure for client eviction is taken again."""
        count = len(self.clients)
        iterations = count // self.hz
        if iterations < CLIENTS_CRON_MIN_ITERATIONS:
            iterations = min(count, CLIENTS_CRON_MIN_ITERATIONS)
        for _ in range(iterations):
            if not self._clients_cron_queue:
                self._clients_cron_queue = list(self.clients.values())
            client = self._clients_cron_queue.pop()
            if not client.closed:
                client.resize_query_buffer(now)
                if client.obuf_soft_since:
                    self.check_output_buffer_limits(client)
                self.client_eviction.update(client)

    def close_idle_clients(self, last_allowed: float) -> None:
        """`timeout`: close the clients silent since before `last_allowed`, except the
        blocked, subscribed and monitoring ones, as Redis does."""
        for client in list(self.clients.values()):
            if (client.last_interaction < last_allowed and client.blocked is None
                    and not client.channels and not client.patterns
                    and not client.shard_channels and FLAG_MONITOR not in client.flags
                    and FLAG_MASTER not in client.flags and FLAG_REPLICA not in client.flags):
                self.log("verbose", "Closing idle client")
                client.close()

    def clock_advanced(self) -> None:
        """The clock was moved forward (tests, DEBUG ADVANCE-CLOCK): act at once as if that
        time had passed: keys past their TTL expire, the cron runs (idle times, blocked
        clients' timeouts), instead of waiting for its timer."""
        self.cron()
        self.active_expire.expire_all_due()

    # -- lifecycle -------------------------------------------------------------------------

    def free_client(self, client: Client) -> None:
        """Drop every trace of a closed client (Redis's freeClient)."""
        self.clients.pop(client.id, None)
        self.buffers_memory -= client.qbuf_counted + client.obuf_counted   # freed with it
        client.qbuf_counted = client.obuf_counted = 0
        self.client_eviction.forget(client)
        self.replication.client_freed(client)
        self.replica.client_freed(client)
        self.blocking.client_freed(client)
        self.clear_client_state(client)

    def clear_client_state(self, client: Client) -> None:
        """Undo what a client set up on the server for itself: when it is freed, and by
        RESET (Redis's clearClientConnectionState)."""
        client.discard_transaction()      # and its WATCHes
        self.pubsub.forget(client)
        self.tracking.disable(client)
        if FLAG_MONITOR in client.flags:
            self.monitors.remove(client)
            client.flags = client.flags - {FLAG_MONITOR}

    def prepare_for_shutdown(self, flags: frozenset = frozenset()) -> bool:
        """Shut down with SHUTDOWN's options (Redis's prepareForShutdown): unless NOW, while
        replicas lag behind the stream, writes pause and the shutdown waits for them up to
        shutdown-timeout seconds (the cron finishes it). True if the server may exit now;
        False if it waits, or failed (logged, and the server runs on)."""
        if self.shutdown_deadline:
            return False
        if self.loading:
            flags = (flags - {"save"}) | {"nosave"}   # a half-loaded dataset is never saved
        self.shutdown_options = flags
        self.log_warning("User requested shutdown...")
        if ("now" not in flags and self.config.shutdown_timeout
                and not self.replication.replicas_caught_up()):
            self.shutdown_deadline = time.monotonic() + self.config.shutdown_timeout
            if not self.clients_paused():
                self.replication.send_getack()
            self.pause(float("inf"), writes_only=True, purpose="shutdown")
            self.log("notice", "Waiting for replicas before shutting down.")
            return False
        return self.finish_shutdown()

    def finish_shutdown(self) -> bool:
        """The rest of a shutdown (Redis's finishShutdown): log the replicas that lag, stop a
        background save, save when the options or the save points say so, remove the pid
        file and the unix socket, send the replicas what they still have to take, close the
        listeners. False, with the server running on, if the save failed (unless FORCE)."""
        flags = self.shutdown_options
        self.replication.log_lagging_replicas()
        snapshots = self.snapshots
        if snapshots.in_progress():
            self.log_warning("There is a child saving an .rdb. Killing it!")
            snapshots.kill_child()
        if not self.aof.prepare_for_shutdown("force" in flags):
            return self.shutdown_failed()
        if (self.config.save and "nosave" not in flags) or "save" in flags:
            self.log("notice", "Saving the final RDB snapshot before exiting.")
            if not snapshots.write():
                if "force" not in flags:
                    self.log_warning("Error trying to save the DB, can't exit.")
                    return self.shutdown_failed()
                self.log_warning("Error trying to save the DB. Exit anyway.")
        if self.config.daemonize or self.config.pidfile:
            self.log("notice", "Removing the pid file.")
            try:
                os.unlink(self.config.pidfile or DEFAULT_PIDFILE)
            except OSError:
                pass
        self.replication.flush_replicas()
        self.close_listeners()
        self.log_warning("Redis is now ready to exit, bye bye...")
        return True

    def shutdown_failed(self) -> bool:
        self.log_warning("Errors trying to shut down the server. Check the logs for more "
                         "information.")
        self.cancel_shutdown()
        return False

    def cancel_shutdown(self) -> None:
        """The shutdown is off: the clients waiting in SHUTDOWN get an error, writes
        resume (Redis's cancelShutdown)."""
        self.shutdown_asap = False
        self.shutdown_options = frozenset()
        self.shutdown_deadline = 0.0
        self.last_signal = 0
        waiters, self.shutdown_waiters = self.shutdown_waiters, []
        for client, state in waiters:
            if client.blocked is state:
                client.add_error(SHUTDOWN_FAILED)
                blocking.unblock(client)
        self.unpause("shutdown")

    def abort_shutdown(self) -> bool:
        """SHUTDOWN ABORT: call off a shutdown waiting for replicas, or one a signal asked
        for that the cron has not started yet. False if there is none."""
        if self.shutdown_deadline:
            self.cancel_shutdown()
        elif self.shutdown_asap:
            self.shutdown_asap = False
        else:
            return False
        self.log("notice", "Shutdown manually aborted.")
        return True

    def close_listeners(self) -> None:
        """Stop listening; the unix socket's file goes with it (Redis's
        closeListeningSockets)."""
        for sock in self.listeners:
            self.reactor.forget(sock)
            sock.close()
        self.listeners = []
        if self.config.unixsocket:
            self.log("notice", "Removing the unix socket file.")
            try:
                os.unlink(self.config.unixsocket)
            except OSError as exc:
                self.log_warning(f"Error removing the unix socket file: {exc.strerror}")

    def start(self, any_free_port: bool = False) -> None:
        """Listen and arm the cron: the server is ready once this returns."""
        self.started = True
        self.raise_fd_limit()
        self.listen(any_free_port)
        gc.collect()
        self.startup_memory = heap_in_use() * INTERPRETER_BLOCKS // sys.getallocatedblocks()
        self.peak_memory = self.used_memory()
        self.reactor.before_sleep = self.before_sleep
        # The first run after 1 ms, as Redis's: its once-a-second work (a PING to
        # replicas) takes its first turn before clients come.
        self.reactor.call_later(0.001, self.cron)

    def serve_forever(self, install_signals: bool = True) -> None:
        if install_signals:
            self.install_signal_handlers()
        if self.listeners and self.listeners[0].family != socket.AF_UNIX:
            self.log("notice", "Ready to accept connections")
        if self.config.unixsocket:
            self.log("notice", "The server is now ready to accept connections at "
                     + self.config.unixsocket)
        self.reactor.run()

    def install_signal_handlers(self) -> None:
        """The server runs as this process (not embedded): SIGTERM and SIGINT shut it down,
        fatal signals get the crash report."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.process.owned = True
        self.process.watch_crash_signals(self.config.crash_log_enabled)

    def _on_signal(self, signum: int, frame: Any) -> None:
        """SIGTERM / SIGINT: the cron shuts down. A second SIGINT while that is under way
        (a long final save) exits at once, without the save, as Redis does."""
        if self.shutdown_asap and signum == signal.SIGINT:
            self.log_from_signal_handler("You insist... exiting now.")
            self.snapshots.remove_temp_file(os.getpid())
            os._exit(1)
        if self.loading:
            self.log_from_signal_handler("Received shutdown signal during loading, scheduling "
                                         "shutdown.")
        else:
            name = "SIGINT" if signum == signal.SIGINT else "SIGTERM"
            self.log_from_signal_handler(f"Received {name} scheduling shutdown...")
        self.shutdown_asap = True
        self.last_signal = signum

    def shutdown(self) -> None:
        """Stop now without saving (the embedded server's stop)."""
        self.prepare_for_shutdown(frozenset(("nosave", "now")))
        self.stop_serving()

    def stop_serving(self) -> None:
        """After a shutdown: close the clients and end the loop (serve_forever returns)."""
        for client in list(self.clients.values()):
            client.close()
        self.io_threads.stop()
        self.reactor.stop()


def set_keepalive(sock: socket.socket, interval: int) -> None:
    """tcp-keepalive as Redis sets it: the first probe after `interval` seconds idle, then
    one every third of it; after 3 unanswered probes the peer is dead."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_KEEPIDLE"):     # Linux
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(interval // 3, 1))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)


def format_log_line(pid: int, role: str, level: str, message: str) -> str:
    """One line of the log as Redis writes it: `pid:role date time.ms mark message`."""
    now = time.time()
    stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now))
    mark = LOG_MARKS[level]
    return f"{pid}:{role} {stamp}.{int(now * 1000) % 1000:03d} {mark} {message}\n"


def shutdown_flags(setting: str) -> frozenset:
    """shutdown-on-sigint / shutdown-on-sigterm's words as SHUTDOWN's options."""
    return frozenset(setting.split()) - {"default"}


def _format_addr(addr: Any) -> str:
    """"ip:port", with IPv6 addresses in brackets, as Redis writes peers."""
    host, port = addr[0], addr[1]
    if host.startswith("::ffff:"):
        host = host[7:]
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


LOG_LEVELS: Final = ("debug", "verbose", "notice", "warning")
VERBOSE_LEVELS: Final = ("debug", "verbose")   # log levels that show each connection
LOG_MARKS: Final = {"debug": ".", "verbose": "-", "notice": "*", "warning": "#"}
REDACTED: Final = b"(redacted)"
# Commands MONITOR never shows (Redis: admin commands, too dangerous to show, and the
# skip-monitor ones).
NOT_MONITORED: Final = frozenset(("admin", "skip-monitor"))


def redact(argv: list[bytes], index: int) -> None:
    """Hide a secret argument (a password) from MONITOR: call it once the command has read
    the argument."""
    argv[index] = REDACTED


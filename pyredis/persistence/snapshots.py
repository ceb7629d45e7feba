"""Snapshots of the dataset in dbfilename: SAVE in the server process, BGSAVE in a forked
child (as Redis does, so the loop goes on serving), `save` points checked by the cron,
loading at startup and by DEBUG RELOAD."""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import rdb

if TYPE_CHECKING:
    from ..scripting import FunctionSet

BGSAVE_RETRY_DELAY = 5   # seconds before the cron retries a failed background save
DISK = "disk"            # what a child makes: dbfilename, or an RDB streamed to replicas
SOCKETS = "sockets"
SERVE_INTERVAL = 0.1     # seconds: a load serves clients at least this often


class Snapshots:
    """The RDB side of a server: its state is what INFO persistence shows."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.child_pid: Optional[int] = None
        self.child_kind = DISK
        self.child_started = 0.0
        self.dirty_before_bgsave = 0
        self.bgsave_scheduled = False
        self.last_bgsave_ok = True
        self.last_bgsave_try = 0
        self.last_bgsave_seconds = -1
        self.saves = 0
        self.last_load_loaded = 0
        self.last_load_expired = 0
        self.loaded_aux: dict[bytes, bytes] = {}   # the AUX fields of the file loaded last
        self.expired_at_load: list[tuple[int, bytes]] = []   # (db, key) it left out
        self.forks = 0                  # INFO total_forks
        self.last_fork_usec = 0         # INFO latest_fork_usec: how long the last fork took
        # What the child reports while it saves (Redis's child info pipe): INFO's current_*
        # fields, and the copy-on-write of the last save (rdb_last_cow_size).
        self.child_info_fd: Optional[int] = None
        self.child_info = b""           # a partial report line
        self.keys_total = 0
        self.keys_processed = 0
        self.cow_size = 0
        self.cow_peak = 0
        self.cow_updated = 0.0
        self.last_cow_size = 0
        self.child_done_cow = 0         # the copy-on-write the last child reported at its end
        self.fork_rate = 0.0            # GB of memory a second the last fork copied (DOCTOR)

    def set_status(self, ok: bool) -> None:
        """The last save's outcome; a failure makes writes answer MISCONF while save points
        and stop-writes-on-bgsave-error are set (the server checks them)."""
        self.last_bgsave_ok = ok
        self.server.aof.note_disk_errors()

    def path(self) -> str:
        return os.path.join(self.server.config.dir, self.server.config.dbfilename)

    # -- saving ---------------------------------------------------------------------------

    def write(self, on_key: Optional[Callable[[], None]] = None) -> bool:
        """Write the snapshot in this process (Redis's rdbSave): on success the dataset
        counts as saved. Logs as Redis does; True on success."""
        server = self.server
        path = self.path()
        try:
            rdb.write_snapshot(server, path, server.clock.ms(), on_key)
        except OSError as exc:
            if exc.filename2:
                server.log_warning("Error moving temp DB file %s on the final destination %s "
                                   "(in server root dir %s): %s"
                                   % (os.path.basename(exc.filename), exc.filename2,
                                      os.getcwd(), exc.strerror))
            elif exc.filename:
                server.log_warning("Failed opening the temp RDB file %s (in server root dir "
                                   "%s) for saving: %s" % (os.path.basename(exc.filename),
                                                           os.getcwd(), exc.strerror))
            else:
                server.log_warning("Write error saving DB on disk: %s" % exc.strerror)
            return False     # as rdbSave: the last status stays (a child's exit sets it)
        server.log("notice", "DB saved on disk")
        server.keyspace.dirty = 0
        server.lastsave = int(time.time())
        self.set_status(True)
        return True

    def background_save(self) -> bool:
        """Fork a child that writes the snapshot and exits; False if there is already a
        child (an AOF rewrite) or the fork failed."""
        server = self.server
        if self.active_child():
            return False
        self.saves += 1
        self.dirty_before_bgsave = server.keyspace.dirty
        self.last_bgsave_try = int(time.time())
        if not self.fork_child(DISK, "redis-rdb-bgsave", self.write):
            self.set_status(False)
            return False
        return True

    def fork_child(self, kind: str, title: str,
                   work: Callable[[Callable[[], None]], bool]) -> bool:
        """Fork the child that makes an RDB: `work(on_key)` runs in it (on_key after each
        key, for the progress reports) and says whether it succeeded. `kind` is DISK
        (dbfilename) or SOCKETS (streamed to replicas, diskless). False if the fork failed."""
        server = self.server
        try:
            pid = self.fork(title, "RDB", work)
        except OSError as exc:
            server.log_warning("Can't save in background: fork: %s" % exc.strerror)
            return False
        if kind == DISK:
            server.log("notice", "Background saving started by pid %d" % pid)
        else:
            server.log("notice", "Background RDB transfer started by pid %d" % pid)
        self.child_pid = pid
        self.child_kind = kind
        self.child_started = time.time()
        return True

    def fork(self, title: str, name: str, work: Callable[[Callable[[], None]], bool]) -> int:
        """Fork a child (an RDB's or an AOF rewrite's) that runs `work(on_key)` and exits,
        reporting its progress and copy-on-write through a pipe (Redis's redisFork and
        child info pipe); returns its pid. One child at a time (see active_child). Raises
        OSError if the fork failed."""
        server = self.server
        started = time.perf_counter_ns()
        report_r, report_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(report_r)
            os.close(report_w)
            raise
        if pid == 0:
            code = 1
            try:
                os.close(report_r)
                server.process.in_fork_child(title)
                code = 0 if work(ChildReport(server, report_w).key_saved) else 1
                if code == 0:
                    cow = server.process.log_fork_cow(name)
                    os.write(report_w, b"done %d\n" % cow)
            finally:
                os._exit(code)
        os.close(report_w)
        os.set_blocking(report_r, False)
        self.child_info_fd = report_r
        self.keys_total = sum(len(db.data) for db in server.dbs)
        self.forks += 1
        self.last_fork_usec = (time.perf_counter_ns() - started) // 1000
        self.fork_rate = server.used_memory() * 1_000_000 / max(self.last_fork_usec, 1) / 1024**3
        server.latency.add_sample_if_needed("fork", self.last_fork_usec // 1000)
        return pid

    def active_child(self) -> bool:
        """A background save or AOF rewrite runs (Redis's hasActiveChildProcess)."""
        return self.child_pid is not None or self.server.aof.child_pid is not None

    def in_progress(self) -> bool:
        return self.child_pid is not None

    def receive_child_info(self) -> None:
        """Take in the child's reports: `current KEYS COW` while it saves, `done COW` at
        the end (Redis's receiveChildInfo)."""
        if self.child_info_fd is None:
            return
        try:
            while True:
                data = os.read(self.child_info_fd, 4096)
                if not data:
                    break
                self.child_info += data
        except BlockingIOError:
            pass
        *lines, self.child_info = self.child_info.split(b"\n")
        for line in lines:
            words = line.split()
            if words[:1] == [b"current"] and len(words) == 3:
                self.keys_processed, self.cow_size = int(words[1]), int(words[2])
                self.cow_peak = max(self.cow_peak, self.cow_size)
                self.cow_updated = time.time()
            elif words[:1] == [b"done"] and len(words) == 2:
                self.child_done_cow = int(words[1])

    def reset_child_info(self) -> None:
        if self.child_info_fd is not None:
            os.close(self.child_info_fd)
        self.child_info_fd = None
        self.child_info = b""
        self.keys_total = self.keys_processed = self.cow_size = self.cow_peak = 0
        self.cow_updated = 0.0

    def check_child(self) -> None:
        """Reap a finished child and take in its outcome (Redis's checkChildrenDone)."""
        if self.child_pid is None:
            return
        self.receive_child_info()
        pid, status = os.waitpid(self.child_pid, os.WNOHANG)
        if pid == 0:
            return
        self.receive_child_info()
        self.reset_child_info()
        self.child_pid = None
        self.last_cow_size = self.child_done_cow
        self.last_bgsave_seconds = int(time.time() - self.child_started)
        server = self.server
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if self.child_kind == SOCKETS:
            # A transfer to replicas: dbfilename and the save status are not its business.
            if ok:
                server.log("notice", "Background RDB transfer terminated with success")
            elif os.WIFEXITED(status):
                server.log_warning("Background transfer error")
            else:
                server.log_warning("Background transfer terminated by signal %d"
                                   % os.WTERMSIG(status))
        elif ok:
            server.log("notice", "Background saving terminated with success")
            server.keyspace.dirty -= self.dirty_before_bgsave
            server.lastsave = int(time.time())
            self.set_status(True)
        elif os.WIFEXITED(status):
            server.log_warning("Background saving error")
            self.set_status(False)
        else:
            signum = os.WTERMSIG(status)
            server.log_warning("Background saving terminated by signal %d" % signum)
            start = time.perf_counter()
            self.remove_temp_file(pid)
            server.latency.add_sample_if_needed(
                "rdb-unlink-temp-file", int((time.perf_counter() - start) * 1000))
            if signum != 10:     # SIGUSR1 stops a save without counting as an error
                self.set_status(False)
        # Replicas waiting for this save get it (or are dropped), then those waiting for
        # the next one get it started.
        server.replication.background_save_done(ok, self.child_kind == SOCKETS)
        server.replication.start_pending_bgsave()

    def kill_child(self) -> None:
        """Stop a running background save (at shutdown) and remove its temporary file."""
        if self.child_pid is None:
            return
        pid = self.child_pid
        self.child_pid = None
        self.reset_child_info()
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass
        if self.child_kind == DISK:
            self.remove_temp_file(pid)
        self.server.replication.background_save_done(False, self.child_kind == SOCKETS)

    def remove_temp_file(self, pid: int) -> None:
        """The temporary file that process `pid` writes a snapshot to, if it is there."""
        try:
            os.unlink(os.path.join(os.path.dirname(self.path()), "temp-%d.rdb" % pid))
        except OSError:
            pass

    def reset_after_flushall(self) -> None:
        """FLUSHALL: a running background save is stale; with save points the (empty)
        dataset is saved at once, as Redis does."""
        self.kill_child()
        if self.server.config.save:
            self.write()

    def cron(self) -> None:
        """Reap the child; else start a background save when a save point is reached or
        one was scheduled (failed saves are retried after a delay)."""
        if self.child_pid is not None:
            self.check_child()
            return
        server = self.server
        if server.aof.child_pid is not None:
            return
        now = int(time.time())
        may_retry = self.last_bgsave_ok or now - self.last_bgsave_try > BGSAVE_RETRY_DELAY
        if not may_retry:
            return
        for seconds, changes in server.config.save:
            if server.keyspace.dirty >= changes and now - server.lastsave > seconds:
                server.log("notice", "%d changes in %d seconds. Saving..." % (changes, seconds))
                self.background_save()
                return
        if self.bgsave_scheduled and self.background_save():
            self.bgsave_scheduled = False

    # -- loading --------------------------------------------------------------------------

    def load(self, merge: bool = False,
             on_progress: Optional[Callable[[int], None]] = None) -> bool:
        """Load dbfilename into the (emptied or not) dataset. False if there is no file;
        RdbError if it is not a valid RDB, OSError if it cannot be read. on_progress gets
        the bytes read so far after each key."""
        try:
            with open(self.path(), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return False
        self.server.loading_total_bytes = len(data)
        self.load_data(data, merge, on_progress)
        return True

    def load_data(self, data: bytes, merge: bool = False,
                  on_progress: Optional[Callable[[int], None]] = None) -> int:
        """Load RDB bytes (a snapshot, or the RDB part of an AOF) into the dataset: returns
        where the RDB ends. RdbError if they are not a valid RDB."""
        return self.load_from(rdb.Reader(data), merge, on_progress)

    def load_from(self, reader: rdb.Reader, merge: bool = False,
                  on_progress: Optional[Callable[[int], None]] = None,
                  dbs: Optional[list[Any]] = None,
                  functions: Optional["FunctionSet"] = None) -> int:
        """load_data from a reader, into the server's databases and function libraries or
        into others given (a replica's load beside the dataset it serves)."""
        server = self.server
        if dbs is None:
            dbs = server.dbs
        # A replica keeps the keys past their time: its master deletes them.
        now = -1 if server.replica.active else server.clock.ms()
        self.expired_at_load = []
        loaded = expired = 0
        delay = server.config.key_load_delay

        aux: dict[bytes, bytes] = {}
        first_key = True

        def on_key(index: int, key: bytes, value: Any, expire: Optional[int]) -> None:
            # Called for each of millions of keys: names looked up once, outside.
            nonlocal loaded, expired, first_key
            if first_key:       # the AUX fields come first: the size the data had
                first_key = False
                used_mem = aux.get(b"used-mem", b"0")
                server.loading_rdb_used_mem = int(used_mem) if used_mem.isdigit() else 0
            if delay:       # key-load-delay: tests slow a load down with it
                rdb.debug_delay(delay)
            if index >= len(dbs):
                raise rdb.RdbError("FATAL: Data file was created with a Redis server "
                                   "configured to handle more than %d databases. Exiting\n"
                                   % len(dbs))
            if expire is not None and expire < now:
                expired += 1
                self.expired_at_load.append((index, key))
                return
            db = dbs[index]
            if not merge and key in db.data:
                raise rdb.RdbError("RDB has duplicated key '%s' in DB %d"
                                   % (key.decode(errors="replace"), index))
            db.load(key, value, expire)
            loaded += 1

        def on_function(code: bytes) -> None:
            from ..errors import RedisError
            scripting = server.scripting
            current = scripting.swap_functions(functions) if functions is not None else None
            try:
                scripting.load_library(code, replace=merge)
            except RedisError as exc:
                raise rdb.RdbError("Failed loading library, %s" % exc.message) from None
            finally:
                if current is not None:
                    scripting.swap_functions(current)

        server.loading_rdb_used_mem = 0
        _, end = rdb.parse_rdb(reader, server.config, on_key, on_function, on_progress, aux)
        self.loaded_aux = aux
        if b"redis-ver" in aux:
            server.log("notice", "Loading RDB produced by version %s"
                       % aux[b"redis-ver"].decode(errors="replace"))
        if b"ctime" in aux:
            server.log("notice", "RDB age %d seconds" % (int(time.time()) - int(aux[b"ctime"])))
        if b"used-mem" in aux:
            server.log("notice", "RDB memory usage when created %.2f Mb"
                       % (int(aux[b"used-mem"]) / 1024 / 1024))
        server.log("notice", "Done loading RDB, keys loaded: %d, keys expired: %d."
                   % (loaded, expired))
        self.last_load_loaded, self.last_load_expired = loaded, expired
        return end

    def serving_progress(self) -> Callable[[int], None]:
        """A load's on_progress that serves clients every
        loading-process-events-interval-bytes read (Redis's rdbLoadProgressCallback), and
        at least every SERVE_INTERVAL: these bytes take pyredis far longer than Redis."""
        server = self.server
        interval = server.config.loading_process_events_interval_bytes
        served = 0
        served_at = time.monotonic()

        def on_progress(done: int) -> None:
            nonlocal served, served_at
            now = time.monotonic()
            if done // interval > served // interval or now - served_at >= SERVE_INTERVAL:
                server.loading_loaded_bytes = served = done
                server.process_events_while_blocked()
                served_at = time.monotonic()
        return on_progress

    def load_at_startup(self) -> None:
        """Redis's loadDataFromDisk: a bad file stops the server. Clients are served
        meanwhile, every loading-process-events-interval-bytes read (commands that may not
        run while loading get -LOADING)."""
        start = time.monotonic()
        server = self.server
        server.loading = True
        server.loading_start_time = time.time()
        try:
            if self.load(on_progress=self.serving_progress()):
                self.server.log("notice", "DB loaded from disk: %.3f seconds"
                                % (time.monotonic() - start))
                server.replica.restore_history(self.loaded_aux)
        except rdb.RdbError as exc:
            self.server.log_warning(str(exc))
            if exc.corruption:
                self.server.log_warning("Internal error in RDB reading -> " + exc.corruption)
            self.server.log_warning("Terminating server after rdb file reading failure.")
            raise SystemExit(1) from None
        except OSError as exc:
            self.server.log_warning("Fatal error loading the DB: %s. Exiting." % exc.strerror)
            raise SystemExit(1) from None
        finally:
            server.loading = False


class ChildReport:
    """In the child: the keys saved so far and the memory copy-on-write duplicated, sent
    about once a second (the clock is read every 1024 keys, as Redis does)."""

    def __init__(self, server: Any, fd: int) -> None:
        self.server = server
        self.fd = fd
        self.keys = 0
        self.sent_at = time.monotonic()

    def key_saved(self) -> None:
        self.keys += 1
        if self.keys & 1023:
            return
        now = time.monotonic()
        if now - self.sent_at >= 1.0:
            self.sent_at = now
            cow = self.server.process.private_dirty()
            os.write(self.fd, b"current %d %d\n" % (self.keys, cow))

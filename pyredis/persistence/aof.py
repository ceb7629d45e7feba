"""Redis 7's multi-part append-only file: a manifest in appenddirname naming a base file (an
RDB, or RESP commands with aof-use-rdb-preamble no) and incremental files of the commands
that followed; written at the end of each loop cycle, fsynced as appendfsync says (everysec
in a background thread, as Redis's bio), rewritten by BGREWRITEAOF in a forked child and
replayed at start-up."""
from __future__ import annotations

import errno
import os
import queue
import re
import signal
import threading
import time
from typing import Any, Callable, Iterator, Optional

from ..client import AOF_CLIENT_ID
from ..errors import MISCONF, RedisError
from ..protocol.encode import encode_command
from ..protocol.parse import sds_repr
from ..types.list import ListValue
from ..types.set import SetValue
from ..types.stream import StreamValue, format_id
from ..types.zset import ZSetValue
from . import rdb

BASE, HISTORY, INCR = "b", "h", "i"
MANIFEST_MAX_LINE = 1024
ANNOTATION_LINE_MAX = 1024        # Redis's AOF_ANNOTATION_LINE_MAX_LEN: fgets' buffer
ITEMS_PER_COMMAND = 64            # Redis's AOF_REWRITE_ITEMS_PER_CMD
WRITE_ERROR_LOG_RATE = 30         # seconds between two logs of a failing write
REWRITE_LIMIT_THRESHOLD = 3       # failed rewrites in a row before they are spaced out
REWRITE_LIMIT_MAX_MINUTES = 60
NEVER_EXPIRED = -(2**63)          # the expiry clock while replaying: before every key's time

# loadSingleAppendOnlyFile / loadAppendOnlyFiles outcomes
OK, NOT_EXIST, EMPTY, OPEN_ERR, FAILED, TRUNCATED = range(6)

_PLAIN_NAME = re.compile(rb'[!#-\[\]-~]+')   # printable, no space, quote or backslash


class ManifestError(Exception):
    def __init__(self, message: str, line_number: int = 0, line: str = "") -> None:
        super().__init__(message)
        self.line_number = line_number
        self.line = line


class AofFile:
    __slots__ = ("name", "seq", "kind")

    def __init__(self, name: str, seq: int, kind: str) -> None:
        self.name, self.seq, self.kind = name, seq, kind

    def line(self) -> str:
        raw = self.name.encode(errors="surrogateescape")
        name = self.name if _PLAIN_NAME.fullmatch(raw) else sds_repr(raw)
        return f"file {name} seq {self.seq} type {self.kind}\n"


class Manifest:
    """Which files make the AOF, in order: a base, history files waiting to be deleted,
    incremental files (Redis's aofManifest)."""

    def __init__(self) -> None:
        self.base: Optional[AofFile] = None
        self.history: list[AofFile] = []
        self.incr: list[AofFile] = []
        self.base_seq = 0
        self.incr_seq = 0
        self.dirty = False

    def copy(self) -> "Manifest":
        other = Manifest()
        other.base = None if self.base is None else AofFile(self.base.name, self.base.seq, BASE)
        other.history = [AofFile(f.name, f.seq, f.kind) for f in self.history]
        other.incr = [AofFile(f.name, f.seq, f.kind) for f in self.incr]
        other.base_seq, other.incr_seq, other.dirty = self.base_seq, self.incr_seq, self.dirty
        return other

    def text(self) -> str:
        files = ([self.base] if self.base else []) + self.history + self.incr
        return "".join(f.line() for f in files)

    @classmethod
    def parse(cls, data: bytes) -> "Manifest":
        """A manifest's text, checked as Redis checks it; ManifestError if it is bad."""
        from ..config import split_args
        manifest = cls()
        max_seq = 0
        if not data:
            raise ManifestError("Found an empty AOF manifest")
        lines = data.split(b"\n")
        complete = data.endswith(b"\n")
        if complete:
            lines.pop()
        for number, raw in enumerate(lines, 1):
            if raw.startswith(b"#"):
                continue
            line = raw.strip(b" \t\r\n")
            text = line.decode(errors="surrogateescape")
            if len(raw) + 1 > MANIFEST_MAX_LINE or (number == len(lines) and not complete):
                raise ManifestError("The AOF manifest file contains too long line")
            words = split_args(line)
            if not line or not words or len(words) < 6 or len(words) % 2:
                raise ManifestError("Invalid AOF manifest file format", number, text)
            name: Optional[str] = None
            seq, kind = 0, ""
            for key, value in zip(words[::2], words[1::2]):
                key = key.lower()
                if key == b"file":
                    name = value.decode(errors="surrogateescape")
                    if "/" in name:
                        raise ManifestError("File can't be a path, just a filename", number,
                                            text)
                elif key == b"seq":
                    match = re.match(rb"\s*[+-]?\d+", value)
                    seq = int(match.group()) if match else 0
                elif key == b"type":
                    kind = value[:1].decode(errors="surrogateescape")
            if not name or not seq or not kind:
                raise ManifestError("Invalid AOF manifest file format", number, text)
            entry = AofFile(name, seq, kind)
            if kind == BASE:
                if manifest.base is not None:
                    raise ManifestError("Found duplicate base file information", number, text)
                manifest.base = entry
                manifest.base_seq = seq
            elif kind == HISTORY:
                manifest.history.append(entry)
            elif kind == INCR:
                if seq <= max_seq:
                    raise ManifestError("Found a non-monotonic sequence number", number, text)
                manifest.incr.append(entry)
                manifest.incr_seq = max_seq = seq
            else:
                raise ManifestError("Unknown AOF file type", number, text)
        return manifest

    def new_base(self, filename: str, rdb_preamble: bool) -> str:
        """A new base file's name; the current base becomes history."""
        if self.base is not None:
            self.base.kind = HISTORY
            self.history.insert(0, self.base)
        self.base_seq += 1
        suffix = ".rdb" if rdb_preamble else ".aof"
        self.base = AofFile(f"{filename}.{self.base_seq}.base{suffix}", self.base_seq, BASE)
        self.dirty = True
        return self.base.name

    def new_incr(self, filename: str) -> str:
        self.incr_seq += 1
        entry = AofFile(f"{filename}.{self.incr_seq}.incr.aof", self.incr_seq, INCR)
        self.incr.append(entry)
        self.dirty = True
        return entry.name

    def rewritten_incr_to_history(self, keep_last: bool) -> None:
        """After a rewrite the incremental files it covers are history (not the one being
        written, when the AOF is on)."""
        moving = self.incr[:-1] if keep_last and self.incr else list(self.incr)
        self.incr = self.incr[len(moving):]
        for entry in reversed(moving):
            entry.kind = HISTORY
            self.history.insert(0, entry)
        self.dirty = True


class Bio:
    """Redis's bio thread for the AOF: fsyncs (everysec) and closes of old files, in order,
    off the event loop."""

    def __init__(self) -> None:
        self.jobs: "queue.Queue[tuple[int, bool]]" = queue.Queue()
        self.pending_fsyncs = 0
        self.lock = threading.Lock()
        self.error: Optional[int] = None       # errno of the last failed fsync
        self.thread: Optional[threading.Thread] = None

    def submit(self, fd: int, close: bool) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="aof-bio", daemon=True)
            self.thread.start()
        if not close:
            with self.lock:
                self.pending_fsyncs += 1
        self.jobs.put((fd, close))

    def _run(self) -> None:
        while True:
            fd, close = self.jobs.get()
            try:
                os.fdatasync(fd)
                self.error = None
            except OSError as exc:
                if exc.errno not in (errno.EBADF, errno.EINVAL) and not close:
                    self.error = exc.errno
            if close:
                try:
                    os.close(fd)
                except OSError:
                    pass
            else:
                with self.lock:
                    self.pending_fsyncs -= 1


class Aof:
    """The AOF side of a server: its state is what INFO persistence shows."""

    def __init__(self, server: Any) -> None:
        self.server = server
        config = server.config
        self.state = "on" if config.appendonly else "off"   # on, off, wait_rewrite
        self.manifest = Manifest()
        self.buf = bytearray()
        self.fd = -1
        self.selected_db = -1
        self.cur_timestamp = 0
        self.current_size = 0
        self.base_size = 0                  # the size after the last rewrite
        self.last_incr_size = 0
        self.last_incr_fsync_offset = 0
        self.last_fsync = int(time.time())
        self.flush_postponed_start = 0
        self.delayed_fsync = 0
        self.last_write_ok = True
        self.last_write_errno = 0
        self.last_write_error_log = 0
        self.last_write_retry = 0       # a failed write is retried once a second
        self.flush_sleep_us = 0         # DEBUG AOF-FLUSH-SLEEP: tests slow each write down
        self.bio = Bio()
        self.bio_error_seen: Optional[int] = None
        # the rewrite child
        self.child_pid: Optional[int] = None
        self.rewrite_scheduled = False
        self.rewrite_time_start = -1
        self.rewrite_time_last = -1
        self.last_bgrewrite_ok = True
        self.rewrites = 0
        self.consecutive_failures = 0
        self.last_cow_size = 0
        self.next_delay_minutes = 0
        self.next_rewrite_time = 0
        self.update_barrier()

    # -- paths ------------------------------------------------------------------------------

    def dir_path(self) -> str:
        return os.path.join(self.server.config.dir, self.server.config.appenddirname)

    def file_path(self, name: str) -> str:
        return os.path.join(self.dir_path(), name)

    def manifest_name(self) -> str:
        return self.server.config.appendfilename + ".manifest"

    def temp_incr_name(self) -> str:
        return "temp-" + self.server.config.appendfilename + ".incr"

    def work_path(self, name: str) -> str:
        """A file in `dir`, where Redis writes the rewrite's temporary files."""
        return os.path.join(self.server.config.dir, name)

    def file_size(self, name: str) -> int:
        try:
            return os.stat(self.file_path(name)).st_size
        except OSError as exc:
            self.server.log_warning("Unable to obtain the AOF file %s length. stat: %s"
                                    % (name, exc.strerror))
            return 0

    def make_dir(self) -> bool:
        try:
            os.makedirs(self.dir_path(), exist_ok=True)
            return True
        except OSError as exc:
            self.server.log_warning("Can't open or create append-only dir %s: %s"
                                    % (self.server.config.appenddirname, exc.strerror))
            return False

    # -- the manifest on disk ---------------------------------------------------------------

    def load_manifest(self) -> None:
        """The manifest from disk, if there is one (Redis's aofLoadManifestFromDisk); a bad
        one stops the server with Redis's log."""
        self.manifest = Manifest()
        path = self.file_path(self.manifest_name())
        if not os.path.isdir(self.dir_path()) or not os.path.exists(path):
            return
        server = self.server
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            server.log_warning("Fatal error: can't open the AOF manifest file %s for reading: "
                               "%s" % (path, exc.strerror))
            raise SystemExit(1) from None
        try:
            self.manifest = Manifest.parse(data)
        except ManifestError as exc:
            server.log_warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n")
            if exc.line_number:
                server.log_warning("Reading the manifest file, at line %d\n" % exc.line_number)
                server.log_warning(">>> '%s'\n" % exc.line)
            server.log_warning("%s\n" % exc)
            raise SystemExit(1) from None

    def persist_manifest(self, manifest: Manifest) -> bool:
        """Write the manifest through a temporary file renamed over it, then fsync the
        directory (Redis's persistAofManifest)."""
        if not manifest.dirty:
            return True
        name, temp = self.manifest_name(), "temp-" + self.manifest_name()
        temp_path = self.file_path(temp)
        server = self.server
        try:
            fd = os.open(temp_path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
        except OSError as exc:
            server.log_warning("Can't open the AOF manifest file %s: %s" % (temp, exc.strerror))
            return False
        try:
            try:
                _write_all(fd, manifest.text().encode(errors="surrogateescape"))
            except OSError as exc:
                server.log_warning("Error trying to write the temporary AOF manifest file %s: "
                                   "%s" % (temp, exc.strerror))
                return False
            try:
                os.fsync(fd)
            except OSError as exc:
                server.log_warning("Fail to fsync the temp AOF file %s: %s."
                                   % (temp, exc.strerror))
                return False
        finally:
            os.close(fd)
        try:
            os.rename(temp_path, self.file_path(name))
        except OSError as exc:
            server.log_warning("Error trying to rename the temporary AOF manifest file %s into "
                               "%s: %s" % (temp, name, exc.strerror))
            return False
        try:
            dir_fd = os.open(self.dir_path(), os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            server.log_warning("Fail to fsync AOF directory %s: %s."
                               % (self.file_path(name), exc.strerror))
            return False
        manifest.dirty = False
        return True

    def delete_history_files(self) -> None:
        """History files go once a rewrite no longer needs them (aof-disable-auto-gc keeps
        them)."""
        if self.server.config.aof_disable_auto_gc or not self.manifest.history:
            return
        for entry in self.manifest.history:
            self.server.log("notice", "Removing the history file %s in the background"
                            % entry.name)
            _unlink(self.file_path(entry.name))
        self.manifest.history = []
        self.manifest.dirty = True
        self.persist_manifest(self.manifest)

    # -- start-up ---------------------------------------------------------------------------

    def start_up(self, load_rdb: Callable[[], None]) -> None:
        """Redis's start-up around loadDataFromDisk: the manifest read, the dataset loaded
        from the AOF when it is on (else by load_rdb), the AOF's files made ready for
        writing, history files removed."""
        self.load_manifest()
        if self.state == "on":
            self.load_at_startup()
        else:
            load_rdb()
        self.open_on_start()
        self.delete_history_files()

    def load_at_startup(self) -> None:
        """Redis's loadDataFromDisk for appendonly yes: the AOF files replace the RDB. A
        file that cannot be loaded stops the server."""
        start = time.monotonic()
        status = self.load_files()
        if status in (FAILED, OPEN_ERR):
            raise SystemExit(1)
        if status != NOT_EXIST:
            self.server.log("notice", "DB loaded from append only file: %.3f seconds"
                            % (time.monotonic() - start))

    def open_on_start(self) -> None:
        """With the AOF on: a base file for an empty dataset, the last incremental file
        opened for appending, the manifest written (Redis's aofOpenIfNeededOnServerStart)."""
        if self.state != "on":
            return
        server = self.server
        if not self.make_dir():
            raise SystemExit(1)
        manifest = self.manifest
        had_incr = bool(manifest.incr)
        if manifest.base is None and not manifest.incr:
            name = manifest.new_base(server.config.appendfilename,
                                     server.config.aof_use_rdb_preamble)
            if not self.rewrite_to(self.file_path(name)):
                raise SystemExit(1)
            server.log("notice", "Creating AOF base file %s on server start" % name)
        name = manifest.incr[-1].name if manifest.incr else \
            manifest.new_incr(server.config.appendfilename)
        try:
            self.fd = os.open(self.file_path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                              0o644)
        except OSError as exc:
            server.log_warning("Can't open the append-only file %s: %s" % (name, exc.strerror))
            raise SystemExit(1) from None
        if not self.persist_manifest(manifest):
            raise SystemExit(1)
        self.last_incr_size = self.last_incr_fsync_offset = self.file_size(name)
        server.log("notice", "%s AOF incr file %s on server start"
                   % ("Opening" if had_incr else "Creating", name))

    # -- loading ----------------------------------------------------------------------------

    def load_files(self, serve: bool = True) -> int:
        """Load the files the manifest names, base then incremental ones (Redis's
        loadAppendOnlyFiles); an old single appendonly.aof is moved into the directory
        first, as Redis 7 upgrades it. `serve`: other clients are served meanwhile (at
        start-up; not inside DEBUG LOADAOF, whose client waits for its reply)."""
        server = self.server
        manifest = self.manifest
        filename = server.config.appendfilename
        if os.path.exists(self.work_path(filename)) and (
                not os.path.isdir(self.dir_path())
                or (manifest.base is None and not manifest.incr)
                or (manifest.base is not None and not manifest.incr
                    and manifest.base.name == filename
                    and not os.path.exists(self.file_path(filename)))):
            self.upgrade_old_file()
        files = ([manifest.base] if manifest.base else []) + manifest.incr
        if not files:
            return NOT_EXIST
        total = 0
        for entry in files:
            try:
                total += os.stat(self.file_path(entry.name)).st_size
            except OSError as exc:
                server.log_warning("Unable to obtain the AOF file %s length. stat: %s"
                                   % (entry.name, exc.strerror))
                return FAILED
        if total == 0:
            return EMPTY
        server.loading = True
        server.loading_start_time = time.time()
        server.loading_total_bytes = total
        server.loading_loaded_bytes = 0
        status = OK
        try:
            for number, entry in enumerate(files, 1):
                last = number == len(files)
                start = time.monotonic()
                status = self.load_file(entry.name, serve)
                if status == OK or (status == TRUNCATED and last):
                    server.log("notice", "DB loaded from %s file %s: %.3f seconds"
                               % ("base" if entry is manifest.base else "incr", entry.name,
                                  time.monotonic() - start))
                if status == EMPTY and entry is not manifest.base:
                    status = OK
                if status == TRUNCATED and not last:
                    status = FAILED
                    server.log_warning("Fatal error: the truncated file is not the last file")
                if status in (OPEN_ERR, FAILED):
                    return status
        finally:
            server.loading = False
        self.current_size = total
        self.base_size = os.stat(self.file_path(manifest.base.name)).st_size \
            if manifest.base else 0
        return status

    def upgrade_old_file(self) -> None:
        server = self.server
        filename = server.config.appendfilename
        if not self.make_dir():
            raise SystemExit(1)
        manifest = self.manifest
        manifest.base = AofFile(filename, 1, BASE)
        manifest.base_seq = 1
        manifest.dirty = True
        if not self.persist_manifest(manifest):
            raise SystemExit(1)
        try:
            os.rename(self.work_path(filename), self.file_path(filename))
        except OSError as exc:
            server.log_warning("Error trying to move the old AOF file %s into dir %s: %s"
                               % (filename, server.config.appenddirname, exc.strerror))
            raise SystemExit(1) from None
        server.log("notice", "Successfully migrated an old-style AOF file (%s) into the AOF "
                   "directory (%s)." % (filename, server.config.appenddirname))

    def load_file(self, name: str, serve: bool) -> int:
        """Replay one file: an RDB part if it starts with one, then its commands through a
        client of its own (Redis's loadSingleAppendOnlyFile)."""
        server = self.server
        path = self.file_path(name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError as exc:
            server.log_warning("The append log file %s doesn't exist: %s"
                               % (name, exc.strerror))
            return NOT_EXIST
        except OSError as exc:
            server.log_warning("Fatal error: can't open the append log file %s for reading: %s"
                               % (name, exc.strerror))
            return OPEN_ERR
        if not data:
            return EMPTY
        loaded_before = server.loading_loaded_bytes
        pos = 0
        if data.startswith(b"REDIS"):
            old_style = name == server.config.appendfilename
            server.log("notice", "Reading RDB preamble from AOF file..." if old_style
                       else "Reading RDB base file on AOF loading...")
            try:
                pos = server.snapshots.load_data(data, merge=False)
            except rdb.RdbError as exc:
                server.log_warning(str(exc))
                server.log_warning("Error reading the RDB preamble of the AOF file %s, AOF "
                                   "loading aborted" % name if old_style else
                                   "Error reading the RDB base file %s, AOF loading aborted"
                                   % name)
                return FAILED
            server.loading_loaded_bytes = loaded_before + pos
            if old_style:
                server.log("notice", "Reading the remaining AOF tail...")
        replay = Replay(server, data, pos)
        try:
            status = replay.run(lambda done: self._progress(loaded_before + done, serve))
        finally:
            replay.finish()
        if status == "unknown":
            server.log_warning("Unknown command '%s' reading the append only file %s"
                               % (replay.unknown.decode(errors="replace"), name))
            return FAILED
        if status == "format":
            server.log_warning("Bad file format reading the append only file %s: make a backup "
                               "of your AOF file, then use ./redis-check-aof --fix "
                               "<filename.manifest>" % name)
            return FAILED
        if status == "multi":
            server.log_warning("Revert incomplete MULTI/EXEC transaction in AOF file %s" % name)
        if status in ("eof", "multi"):
            if server.config.aof_load_truncated:
                server.log_warning("!!! Warning: short read while loading the AOF file %s!!!"
                                   % name)
                server.log_warning("!!! Truncating the AOF %s at offset %d !!!"
                                   % (name, replay.valid_up_to))
                try:
                    os.truncate(path, replay.valid_up_to)
                except OSError as exc:
                    server.log_warning("Error truncating the AOF file %s: %s"
                                       % (name, exc.strerror))
                else:
                    server.log_warning("AOF %s loaded anyway because aof-load-truncated is "
                                       "enabled" % name)
                    return TRUNCATED
            server.log_warning(
                "Unexpected end of file reading the append only file %s. You can: 1) Make a "
                "backup of your AOF file, then use ./redis-check-aof --fix "
                "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' "
                "configuration option to yes and restart the server." % name)
            return FAILED
        server.loading_loaded_bytes = loaded_before + len(data)
        return OK

    def _progress(self, done: int, serve: bool) -> None:
        self.server.loading_loaded_bytes = done
        if serve:
            self.server.process_events_while_blocked()

    def reload(self) -> None:
        """DEBUG LOADAOF: the dataset emptied and loaded again from the AOF files; a file
        that cannot be loaded stops the server, as in Redis."""
        from ..db import flush_databases
        server = self.server
        if self.state != "off":
            self.flush(force=True)
        flush_databases(server.dbs)
        self.load_manifest()
        self.delete_history_files()
        if self.load_files(serve=False) not in (OK, EMPTY):
            raise SystemExit(1)
        server.keyspace.dirty = 0
        server.log_warning("Append Only File loaded by DEBUG LOADAOF")

    # -- writing ----------------------------------------------------------------------------

    def feed(self, db_index: int, argv: list[bytes]) -> None:
        """One propagated command into the AOF buffer (Redis's feedAppendOnlyFile), with a
        #TS annotation when the second changed and a SELECT when the database did."""
        record = b""
        if self.server.config.aof_timestamp_enabled:
            now = int(time.time())
            if self.cur_timestamp < now:
                self.cur_timestamp = now
                record = b"#TS:%d\r\n" % now
        if db_index != self.selected_db:
            index = b"%d" % db_index
            record += b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(index), index)
            self.selected_db = db_index
        if self.state == "on" or (self.state == "wait_rewrite" and self.child_pid is not None):
            self.buf += record + encode_command(argv)

    def before_sleep(self) -> None:
        if self.state != "off":
            if self.bio.error != self.bio_error_seen:
                self.bio_error_seen = self.bio.error
                self.note_disk_errors()
            self.flush()

    def flush(self, force: bool = False) -> None:
        """Write the buffer to the current incremental file and fsync as appendfsync says
        (Redis's flushAppendOnlyFile)."""
        server = self.server
        policy = server.config.appendfsync
        now = int(time.time())
        sync_in_progress = False
        if not self.buf:
            if policy == "everysec" and self.last_incr_fsync_offset != self.last_incr_size \
                    and now > self.last_fsync and not self.bio.pending_fsyncs:
                self._fsync(policy, now, False)
            elif policy == "always" and self.last_incr_fsync_offset != self.last_incr_size:
                self._fsync(policy, now, False)
            return
        if policy == "everysec":
            sync_in_progress = self.bio.pending_fsyncs > 0
            if sync_in_progress and not force:
                # Writing while an fsync runs would block on it: wait up to two seconds.
                if not self.flush_postponed_start:
                    self.flush_postponed_start = now
                    return
                if now - self.flush_postponed_start < 2:
                    return
                self.delayed_fsync += 1
                server.log("notice", "Asynchronous AOF fsync is taking too long (disk is "
                           "busy?). Writing the AOF buffer without waiting for fsync to "
                           "complete, this may slow down Redis.")
        if self.flush_sleep_us:
            time.sleep(self.flush_sleep_us / 1e6)
        start = time.perf_counter()
        written, error = _write_some(self.fd, self.buf)
        latency_ms = int((time.perf_counter() - start) * 1000)
        latency = server.latency
        if sync_in_progress:
            latency.add_sample_if_needed("aof-write-pending-fsync", latency_ms)
        elif server.snapshots.active_child():
            latency.add_sample_if_needed("aof-write-active-child", latency_ms)
        else:
            latency.add_sample_if_needed("aof-write-alone", latency_ms)
        latency.add_sample_if_needed("aof-write", latency_ms)
        self.flush_postponed_start = 0
        if written != len(self.buf):
            can_log = now - self.last_write_error_log > WRITE_ERROR_LOG_RATE
            if can_log:
                self.last_write_error_log = now
            if written == 0 and error is not None:
                if can_log:
                    server.log_warning("Error writing to the AOF file: %s"
                                       % os.strerror(error.errno or 0))
                self.last_write_errno = error.errno or 0
            else:
                if can_log:
                    server.log_warning("Short write while writing to the AOF file: "
                                       "(nwritten=%d, expected=%d)" % (written, len(self.buf)))
                try:
                    os.ftruncate(self.fd, self.last_incr_size)
                except OSError as exc:
                    if can_log:
                        server.log_warning("Could not remove short write from the append-only "
                                           "file.  Redis may refuse to load the AOF the next "
                                           "time it starts.  ftruncate: %s" % exc.strerror)
                else:
                    written = 0    # nothing of it is left in the file
                self.last_write_errno = errno.ENOSPC
            if policy == "always":
                # The replies are queued and the dataset changed: the promise that every
                # acknowledged write is on disk can only be kept by stopping.
                server.log_warning("Can't recover from AOF write error when the AOF fsync "
                                   "policy is 'always'. Exiting...")
                os._exit(1)
            self.last_write_ok = False
            self.note_disk_errors()
            if written > 0:
                self.current_size += written
                self.last_incr_size += written
                del self.buf[:written]
            return
        if not self.last_write_ok:
            server.log_warning("AOF write error looks solved, Redis can write again.")
            self.last_write_ok = True
            self.note_disk_errors()
        self.current_size += written
        self.last_incr_size += written
        self.buf = bytearray()
        self._fsync(policy, now, sync_in_progress)

    def _fsync(self, policy: str, now: int, sync_in_progress: bool) -> None:
        server = self.server
        if server.config.no_appendfsync_on_rewrite and server.snapshots.active_child():
            return
        if policy == "always":
            start = time.perf_counter()
            try:
                os.fdatasync(self.fd)
            except OSError as exc:
                server.log_warning("Can't persist AOF for fsync error when the AOF fsync "
                                   "policy is 'always': %s. Exiting..." % exc.strerror)
                os._exit(1)
            server.latency.add_sample_if_needed(
                "aof-fsync-always", int((time.perf_counter() - start) * 1000))
            self.last_incr_fsync_offset = self.last_incr_size
            self.last_fsync = now
        elif policy == "everysec" and now > self.last_fsync:
            if not sync_in_progress:
                self.bio.submit(self.fd, close=False)
                self.last_incr_fsync_offset = self.last_incr_size
            self.last_fsync = now

    def update_barrier(self) -> None:
        """With appendfsync always, a reply must not leave in the cycle that read its
        command before the AOF is written: write handlers run first (Redis's AE_BARRIER)."""
        self.server.reactor.barrier = self.state == "on" and \
            self.server.config.appendfsync == "always"

    def write_error(self) -> Optional[str]:
        """Redis's MISCONF for the AOF while a write or a background fsync failed."""
        if self.state == "off":
            return None
        if not self.last_write_ok:
            code = self.last_write_errno
        elif self.bio.error is not None:
            code = self.last_write_errno = self.bio.error
        else:
            return None
        return "MISCONF Errors writing to the AOF file: %s" % os.strerror(code)

    def note_disk_errors(self) -> None:
        """server.disk_error is set while a save or the AOF failed: the command path asks
        write_refusal only then."""
        server = self.server
        server.disk_error = MISCONF if not server.snapshots.last_bgsave_ok \
            else self.write_error()

    # -- turning it on and off (CONFIG SET appendonly) --------------------------------------

    def start(self) -> bool:
        """appendonly yes at run time: a rewrite makes the base, the AOF is on when it is
        done (Redis's startAppendOnly)."""
        server = self.server
        self.state = "wait_rewrite"
        current = server.current_client
        if server.snapshots.active_child() and self.child_pid is None:
            self.rewrite_scheduled = True
            server.log_warning("AOF was enabled but there is already another background "
                               "operation. An AOF background was scheduled to start when "
                               "possible.")
        elif current is not None and current.in_multi:
            self.rewrite_scheduled = True
            server.log_warning("AOF was enabled during a transaction. An AOF background was "
                               "scheduled to start when possible.")
        else:
            if self.child_pid is not None:
                server.log_warning("AOF was enabled but there is already an AOF rewriting in "
                                   "background. Stopping background AOF and starting a "
                                   "rewrite now.")
                self.kill_child()
            if not self.rewrite_background():
                self.state = "off"
                server.log_warning("Redis needs to enable the AOF but can't trigger a "
                                   "background AOF rewrite operation. Check the above logs "
                                   "for more info about the error.")
                return False
        self.last_fsync = int(time.time())
        if self.bio.error is not None:
            server.log_warning("AOF reopen, just ignore the AOF fsync error in bio job")
            self.bio.error = None
        if not self.last_write_ok:
            server.log_warning("AOF reopen, just ignore the last error.")
            self.last_write_ok = True
        self.note_disk_errors()
        self.server.propagation.refresh()
        return True

    def stop(self) -> None:
        """appendonly no at run time (Redis's stopAppendOnly)."""
        self.flush(force=True)
        try:
            os.fdatasync(self.fd)
            self.last_fsync = int(time.time())
        except OSError as exc:
            self.server.log_warning("Fail to fsync the AOF file: %s" % exc.strerror)
        if self.fd != -1:
            os.close(self.fd)
        self.fd = -1
        self.selected_db = -1
        self.state = "off"
        self.rewrite_scheduled = False
        self.last_incr_size = self.last_incr_fsync_offset = 0
        self.kill_child()
        self.buf = bytearray()
        self.note_disk_errors()
        self.update_barrier()
        self.server.propagation.refresh()

    def prepare_for_shutdown(self, force: bool) -> bool:
        """At shutdown: a rewrite child is killed (unless it writes the first AOF), the
        buffer written and fsynced. False if the server must not exit."""
        server = self.server
        if self.child_pid is not None:
            if self.state == "wait_rewrite":
                if not force:
                    server.log_warning("Writing initial AOF, can't exit.")
                    return False
                server.log_warning("Writing initial AOF. Exit anyway.")
            server.log_warning("There is a child rewriting the AOF. Killing it!")
            self.kill_child()
        if self.state != "off":
            server.log("notice", "Calling fsync() on the AOF file.")
            self.flush(force=True)
            try:
                os.fdatasync(self.fd)
            except OSError as exc:
                server.log_warning("Fail to fsync the AOF file: %s." % exc.strerror)
        return True

    # -- rewriting --------------------------------------------------------------------------

    def rewrite_background(self) -> bool:
        """Fork a child that writes a new base; this process goes on in a new incremental
        file (Redis's rewriteAppendOnlyFileBackground)."""
        server = self.server
        if server.snapshots.active_child():
            return False
        if not self.make_dir():
            self.last_bgrewrite_ok = False
            return False
        self.selected_db = -1     # the new incremental file starts with a SELECT
        self.flush(force=True)
        if not self.open_new_incr():
            self.last_bgrewrite_ok = False
            return False
        self.rewrites += 1

        def work(on_key: Callable[[], None]) -> bool:
            temp = self.work_path("temp-rewriteaof-bg-%d.aof" % os.getpid())
            if not self.rewrite_to(temp, on_key):
                return False
            server.log("notice", "Successfully created the temporary AOF base file %s"
                       % os.path.basename(temp))
            return True

        try:
            pid = server.snapshots.fork("redis-aof-rewrite", "AOF rewrite", work)
        except OSError as exc:
            self.last_bgrewrite_ok = False
            server.log_warning("Can't rewrite append only file in background: fork: %s"
                               % exc.strerror)
            return False
        server.log("notice", "Background append only file rewriting started by pid %d" % pid)
        self.child_pid = pid
        self.rewrite_scheduled = False
        self.rewrite_time_start = int(time.time())
        return True

    def open_new_incr(self) -> bool:
        """The incremental file writes go to from now on: a new one in the manifest, or a
        temporary one while the AOF waits for its first rewrite (Redis's
        openNewIncrAofForAppend)."""
        if self.state == "off":
            return True
        server = self.server
        manifest: Optional[Manifest] = None
        if self.state == "wait_rewrite":
            name = self.temp_incr_name()
        else:
            manifest = self.manifest.copy()
            name = manifest.new_incr(server.config.appendfilename)
        try:
            fd = os.open(self.file_path(name), os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
        except OSError as exc:
            server.log_warning("Can't open the append-only file %s: %s" % (name, exc.strerror))
            return False
        if manifest is not None and not self.persist_manifest(manifest):
            os.close(fd)
            return False
        server.log("notice", "Creating AOF incr file %s on background rewrite" % name)
        if self.fd != -1:
            self.bio.submit(self.fd, close=True)
            self.last_fsync = int(time.time())
        self.fd = fd
        self.last_incr_size = self.last_incr_fsync_offset = 0
        if manifest is not None:
            self.manifest = manifest
        return True

    def rewrite_to(self, path: str, on_key: Optional[Callable[[], None]] = None) -> bool:
        """The whole dataset as a base file at path, through a temporary file (Redis's
        rewriteAppendOnlyFile): an RDB, or commands with aof-use-rdb-preamble no."""
        server = self.server
        temp = self.work_path("temp-rewriteaof-%d.aof" % os.getpid())
        try:
            f = open(temp, "wb")
        except OSError as exc:
            server.log_warning("Opening the temp file for AOF rewrite in "
                               "rewriteAppendOnlyFile(): %s" % exc.strerror)
            return False
        try:
            with f:
                if server.config.aof_use_rdb_preamble:
                    rdb.write_rdb(server, f, server.clock.ms(), on_key, aof_base=True)
                else:
                    for chunk in rewrite_commands(server, on_key):
                        f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            server.log_warning("Write error writing append only file on disk: %s"
                               % exc.strerror)
            _unlink(temp)
            return False
        try:
            os.rename(temp, path)
        except OSError as exc:
            server.log_warning("Error moving temp append only file on the final destination: %s"
                               % exc.strerror)
            _unlink(temp)
            return False
        return True

    def rewrite_limited(self) -> bool:
        """After three failed rewrites in a row the automatic ones wait 1, 2, 4 ... 60
        minutes (Redis's aofRewriteLimited)."""
        if self.consecutive_failures < REWRITE_LIMIT_THRESHOLD:
            self.next_delay_minutes = self.next_rewrite_time = 0
            return False
        now = int(time.time())
        if self.next_rewrite_time:
            if now < self.next_rewrite_time:
                return True
            self.next_rewrite_time = 0
            return False
        self.next_delay_minutes = min(max(1, self.next_delay_minutes * 2),
                                      REWRITE_LIMIT_MAX_MINUTES)
        self.next_rewrite_time = now + self.next_delay_minutes * 60
        self.server.log_warning("Background AOF rewrite has repeatedly failed and triggered "
                                "the limit, will retry in %d minutes" % self.next_delay_minutes)
        return True

    def kill_child(self) -> None:
        if self.child_pid is None:
            return
        pid = self.child_pid
        self.server.log("notice", "Killing running AOF rewrite child: %d" % pid)
        try:
            os.kill(pid, signal.SIGUSR1)
            os.waitpid(pid, 0)
        except OSError:
            pass
        self.remove_temp_files(pid)
        self.child_pid = None
        self.server.snapshots.reset_child_info()
        self.rewrite_time_start = -1

    def remove_temp_files(self, pid: int) -> None:
        _unlink(self.work_path("temp-rewriteaof-bg-%d.aof" % pid))
        _unlink(self.work_path("temp-rewriteaof-%d.aof" % pid))

    def check_child(self) -> None:
        """Reap a finished rewrite child and switch to its base file (Redis's
        backgroundRewriteDoneHandler)."""
        if self.child_pid is None:
            return
        snapshots = self.server.snapshots
        snapshots.receive_child_info()
        pid, status = os.waitpid(self.child_pid, os.WNOHANG)
        if pid == 0:
            return
        snapshots.receive_child_info()
        snapshots.reset_child_info()
        server = self.server
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            self.last_cow_size = snapshots.child_done_cow
            server.log("notice", "Background AOF rewrite terminated with success")
            self.rewrite_done(pid)
        elif os.WIFEXITED(status):
            self.last_bgrewrite_ok = False
            self.consecutive_failures += 1
            server.log_warning("Background AOF rewrite terminated with error")
        else:
            signum = os.WTERMSIG(status)
            if signum != signal.SIGUSR1:
                self.last_bgrewrite_ok = False
                self.consecutive_failures += 1
            server.log_warning("Background AOF rewrite terminated by signal %d" % signum)
        self.child_pid = None
        self.remove_temp_files(pid)
        if self.state == "wait_rewrite":
            self.buf = bytearray()
            name = self.temp_incr_name()
            server.log("notice", "Removing the temp incr aof file %s in the background" % name)
            _unlink(self.file_path(name))
        self.rewrite_time_last = int(time.time()) - self.rewrite_time_start
        self.rewrite_time_start = -1
        if self.state == "wait_rewrite":
            self.rewrite_scheduled = True
        server.replication.start_pending_bgsave()   # replicas that waited for the fork

    def rewrite_done(self, pid: int) -> None:
        server = self.server
        temp = "temp-rewriteaof-bg-%d.aof" % pid
        manifest = self.manifest.copy()
        base_name = manifest.new_base(server.config.appendfilename,
                                      server.config.aof_use_rdb_preamble)
        base_path = self.file_path(base_name)
        try:
            os.rename(self.work_path(temp), base_path)
        except OSError as exc:
            server.log_warning("Error trying to rename the temporary AOF base file %s into %s: "
                               "%s" % (temp, base_path, exc.strerror))
            self.last_bgrewrite_ok = False
            self.consecutive_failures += 1
            return
        server.log("notice", "Successfully renamed the temporary AOF base file %s into %s"
                   % (temp, base_name))
        incr_path: Optional[str] = None
        if self.state == "wait_rewrite":
            temp_incr = self.temp_incr_name()
            incr_name = manifest.new_incr(server.config.appendfilename)
            incr_path = self.file_path(incr_name)
            try:
                os.rename(self.file_path(temp_incr), incr_path)
            except OSError as exc:
                server.log_warning("Error trying to rename the temporary AOF incr file %s into "
                                   "%s: %s" % (self.file_path(temp_incr), incr_path,
                                               exc.strerror))
                _unlink(base_path)
                self.last_bgrewrite_ok = False
                self.consecutive_failures += 1
                return
            server.log("notice", "Successfully renamed the temporary AOF incr file %s into %s"
                       % (temp_incr, incr_name))
        manifest.rewritten_incr_to_history(keep_last=self.fd != -1)
        if not self.persist_manifest(manifest):
            _unlink(base_path)
            if incr_path is not None:
                _unlink(incr_path)
            self.last_bgrewrite_ok = False
            self.consecutive_failures += 1
            return
        self.manifest = manifest
        if self.state != "off":
            self.current_size = self.file_size(base_name) + self.last_incr_size
            self.base_size = self.current_size
        self.delete_history_files()
        self.last_bgrewrite_ok = True
        self.consecutive_failures = 0
        server.log("notice", "Background AOF rewrite finished successfully")
        if self.state == "wait_rewrite":
            self.state = "on"
            self.update_barrier()

    def bgrewriteaof(self, in_exec: bool) -> str:
        """BGREWRITEAOF's reply text; RedisError when the rewrite could not start."""
        server = self.server
        if self.child_pid is not None:
            raise RedisError("ERR Background append only file rewriting already in progress")
        if server.snapshots.active_child() or in_exec:
            self.rewrite_scheduled = True
            self.consecutive_failures = 0   # asked for by hand: not limited
            return "Background append only file rewriting scheduled"
        if self.rewrite_background():
            return "Background append only file rewriting started"
        raise RedisError("ERR Can't execute an AOF background rewriting. Please check the "
                         "server logs for more information.")

    # -- the cron ---------------------------------------------------------------------------

    def cron(self) -> None:
        """Redis's serverCron for the AOF: a scheduled rewrite, the child reaped, the
        automatic rewrite on growth, a postponed write, a failed one retried."""
        snapshots = self.server.snapshots
        config = self.server.config
        if not snapshots.active_child() and self.rewrite_scheduled and \
                not self.rewrite_limited():
            self.rewrite_background()
        if self.child_pid is not None:
            self.check_child()
        elif self.state == "on" and not snapshots.active_child() and \
                config.auto_aof_rewrite_percentage and \
                self.current_size > config.auto_aof_rewrite_min_size:
            base = self.base_size or 1
            growth = self.current_size * 100 // base - 100
            if growth >= config.auto_aof_rewrite_percentage and not self.rewrite_limited():
                self.server.log("notice", "Starting automatic rewriting of AOF on %d%% growth"
                                % growth)
                self.rewrite_background()
        if self.state != "off":
            if self.flush_postponed_start:
                self.flush()
            elif not self.last_write_ok and int(time.time()) != self.last_write_retry:
                self.last_write_retry = int(time.time())
                self.flush()

    # -- INFO -------------------------------------------------------------------------------

    def info_fields(self) -> list[str]:
        enabled = self.server.config.appendonly
        ok = self.last_write_ok and self.bio.error is None
        current = -1 if self.rewrite_time_start == -1 \
            else int(time.time()) - self.rewrite_time_start
        fields = [
            f"aof_enabled:{int(self.state != 'off')}",
            f"aof_rewrite_in_progress:{int(self.child_pid is not None)}",
            f"aof_rewrite_scheduled:{int(self.rewrite_scheduled)}",
            f"aof_last_rewrite_time_sec:{self.rewrite_time_last}",
            f"aof_current_rewrite_time_sec:{current}",
            f"aof_last_bgrewrite_status:{'ok' if self.last_bgrewrite_ok else 'err'}",
            f"aof_rewrites:{self.rewrites}",
            f"aof_rewrites_consecutive_failures:{self.consecutive_failures}",
            f"aof_last_write_status:{'ok' if ok else 'err'}",
            f"aof_last_cow_size:{self.last_cow_size}",
            "module_fork_in_progress:0",
            "module_fork_last_cow_size:0",
        ]
        if enabled:
            fields += [
                f"aof_current_size:{self.current_size}",
                f"aof_base_size:{self.base_size}",
                f"aof_pending_rewrite:{int(self.rewrite_scheduled)}",
                f"aof_buffer_length:{len(self.buf)}",
                f"aof_pending_bio_fsync:{self.bio.pending_fsyncs}",
                f"aof_delayed_fsync:{self.delayed_fsync}",
            ]
        return fields


class Replay:
    """Commands of an AOF run one by one as the AOF client runs them: no checks, MULTI
    queueing, replies dropped."""

    def __init__(self, server: Any, data: bytes, pos: int) -> None:
        from ..client import Client
        self.server = server
        self.data = data
        self.pos = pos
        self.valid_up_to = pos
        self.unknown = b""
        client = Client(server, None, "", "", AOF_CLIENT_ID)
        client.pending_write = True     # never queued for writing
        client.reply_mode = "off"
        self.client = client
        self.outer = server.current_client
        server.current_client = client
        # Nothing expires while loading (Redis's keyIsExpired): a key given a past time and
        # written again after keeps both, and expires once the server runs.
        self.frozen = server.clock.frozen_ms
        server.clock.frozen_ms = NEVER_EXPIRED

    def finish(self) -> None:
        self.server.current_client = self.outer
        self.server.clock.frozen_ms = self.frozen

    def gets(self) -> Optional[bytes]:
        """fgets with Redis's 1024-byte buffer: a line, its first 1023 bytes, or what is
        left; None at the end."""
        data, pos = self.data, self.pos
        if pos >= len(data):
            return None
        end = data.find(b"\n", pos, pos + ANNOTATION_LINE_MAX - 1)
        end = min(len(data), pos + ANNOTATION_LINE_MAX - 1) if end < 0 else end + 1
        self.pos = end
        return data[pos:end]

    def run(self, on_progress: Callable[[int], None]) -> str:
        """"ok", "eof" (a truncated command), "format", "unknown" or "multi" (a MULTI
        without its EXEC at the end)."""
        from ..commands import command_for
        server = self.server
        client = self.client
        data = self.data
        delay = server.config.key_load_delay
        valid_before_multi = self.valid_up_to
        loops = 0
        while True:
            if not loops % 1024:
                on_progress(self.pos)
            loops += 1
            line = self.gets()
            if line is None:
                break
            if line[:1] == b"#":
                continue
            if line[:1] != b"*":
                return "format"
            if len(line) == 1:
                return "eof"
            argc = _atoi(line[1:])
            if argc < 1:
                return "format"
            argv = []
            for _ in range(argc):
                line = self.gets()
                if line is None:
                    return "eof"
                if line[:1] != b"$":
                    return "format"
                length = _atoi(line[1:])
                if self.pos + length + 2 > len(data) or length < 0:
                    return "eof"
                argv.append(data[self.pos:self.pos + length])
                self.pos += length + 2
            cmd = server.spellings.get(argv[0]) or command_for(argv[0], server.commands,
                                                               server.spellings)
            if cmd is not None and cmd.subcommands and len(argv) > 1:
                cmd = cmd.subcommands.get(argv[1].lower())
            if cmd is None:
                self.unknown = argv[0]
                return "unknown"
            if cmd.name == "multi":
                valid_before_multi = self.valid_up_to
            client.argv = argv
            if client.in_multi and cmd.name != "exec":
                client.multi_queue.append((cmd, argv))
            else:
                try:
                    cmd.func(client, argv)  # type: ignore[misc]  # a command has one
                except RedisError:
                    pass      # the reply would be an error: the AOF client reads no reply
                except Exception as exc:   # a bug in pyredis (or arguments Redis never
                    # writes): logged, as a command's internal error is, and the load goes on
                    server.log_warning("Internal error replaying '%s' from the AOF: %r"
                                       % (cmd.name, exc))
            if server.config.aof_load_truncated:
                self.valid_up_to = self.pos
            if delay:
                rdb.debug_delay(delay)
        if client.in_multi:
            client.discard_transaction()
            self.valid_up_to = valid_before_multi
            return "multi"
        return "ok"


def _atoi(text: bytes) -> int:
    match = re.match(rb"\s*[+-]?\d+", text)
    return int(match.group()) if match else 0


def _write_all(fd: int, data: bytes) -> None:
    written, error = _write_some(fd, data)
    if error is not None:
        raise error


def _write_some(fd: int, data: "bytes | bytearray") -> tuple[int, Optional[OSError]]:
    """Write all of data, retrying short writes (Redis's aofWrite): how much was written and
    the error that stopped it, if one did."""
    view = memoryview(data)
    total = 0
    while total < len(data):
        try:
            total += os.write(fd, view[total:])
        except InterruptedError:
            continue
        except OSError as exc:
            return total, exc
    return total, None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# -- the RESP base: commands that rebuild the dataset ------------------------------------------

def rewrite_commands(server: Any, on_key: Optional[Callable[[], None]] = None
                     ) -> Iterator[bytes]:
    """The dataset as commands (Redis's rewriteAppendOnlyFileRio): function libraries, then
    per database a SELECT and each key's commands, variadic ones by 64 items."""
    if server.config.aof_timestamp_enabled:
        yield b"#TS:%d\r\n" % int(time.time())
    for library in server.scripting.libraries.values():
        yield encode_command([b"FUNCTION", b"LOAD", library.code])
    delay = server.config.rdb_key_save_delay
    for db in server.dbs:
        if not db.data:
            continue
        yield encode_command([b"SELECT", b"%d" % db.index])
        for key, value in list(db.data.items()):
            yield b"".join(encode_command(argv) for argv in value_commands(key, value))
            when = db.expires.get(key)
            if when is not None:
                yield encode_command([b"PEXPIREAT", key, b"%d" % when])
            if on_key is not None:
                on_key()
            if delay:
                rdb.debug_delay(delay)


def _chunked(command: bytes, key: bytes, items: list[bytes], per_item: int
             ) -> Iterator[list[bytes]]:
    step = ITEMS_PER_COMMAND * per_item
    for start in range(0, len(items), step):
        yield [command, key, *items[start:start + step]]


def value_commands(key: bytes, value: Any) -> Iterator[list[bytes]]:
    if isinstance(value, (bytes, bytearray)):
        yield [b"SET", key, bytes(value)]
    elif isinstance(value, ListValue):
        yield from _chunked(b"RPUSH", key, list(value), 1)
    elif isinstance(value, SetValue):
        yield from _chunked(b"SADD", key, list(value), 1)
    elif isinstance(value, ZSetValue):
        items = [x for score, member in value.pairs() for x in (b"%.17g" % score, member)]
        yield from _chunked(b"ZADD", key, items, 2)
    elif isinstance(value, dict):
        items = [x for pair in value.items() for x in pair]
        yield from _chunked(b"HMSET", key, items, 2)
    elif isinstance(value, StreamValue):
        yield from stream_commands(key, value)
    else:
        raise OSError(errno.EINVAL, "no AOF form for %s" % type(value).__name__)


def stream_commands(key: bytes, stream: StreamValue) -> Iterator[list[bytes]]:
    if stream.length:
        for stream_id, fields in stream:
            yield [b"XADD", key, format_id(stream_id), *fields]
    else:
        # An empty stream: XADD with MAXLEN 0 creates it with no entry.
        yield [b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]
    yield [b"XSETID", key, format_id(stream.last_id), b"ENTRIESADDED",
           b"%d" % stream.entries_added, b"MAXDELETEDID", format_id(stream.max_deleted_id)]
    for name, group in stream.sorted_groups():
        entries_read = -1 if group.entries_read is None else group.entries_read
        yield [b"XGROUP", b"CREATE", key, name, format_id(group.last_id), b"ENTRIESREAD",
               b"%d" % entries_read]
        for consumer in group.sorted_consumers():
            if not consumer.pel:
                yield [b"XGROUP", b"CREATECONSUMER", key, name, consumer.name]
                continue
            for stream_id, nack in consumer.pel.items():
                yield [b"XCLAIM", key, name, consumer.name, b"0", format_id(stream_id),
                       b"TIME", b"%d" % nack.delivery_time, b"RETRYCOUNT",
                       b"%d" % nack.delivery_count, b"JUSTID", b"FORCE"]

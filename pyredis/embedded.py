"""The embedded server: a real pyredis server inside a Python program or its tests.

    with pyredis.Server(port=0, maxmemory="100mb") as server:
        server.client().set("greeting", "hello")

`start()` runs the server in a background thread of this process; `Server.start_process()`
runs it in a child process, for full isolation. Either way the server listens before the call
returns, and `stop()` (or leaving the `with` block) closes it and removes the temporary
directory it made. Configuration comes as keyword arguments named after redis.conf's
directives (`maxmemory_policy="allkeys-lru"`, `appendonly=True`), checked at once.

A child process (embedded_child.py) is driven through its stdin and stdout; the end of its
stdin (the parent exited, however it died) stops it too, so it never outlives its parent.
"""
from __future__ import annotations

import atexit
import difflib
import logging
import math
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from typing import IO, Any, Callable, Optional, Sequence, Union
from urllib.parse import quote

from .cli import options_to_text
from .embedded_child import CHILD_MAIN
from .launch import PACKAGE_ROOT, ServerExited, ServerProcess, free_port
from .config import BY_NAME, Config, ConfigError, ConfigFileError
from .server import Server as CoreServer

logger = logging.getLogger("pyredis")
logger.addHandler(logging.NullHandler())   # a library's logger: silent unless configured

# Redis's log levels as `logging` levels (verbose sits between DEBUG and INFO).
LOG_LEVELS = {"debug": logging.DEBUG, "verbose": 15, "notice": logging.INFO,
              "warning": logging.WARNING}
LOG_MARKS = {".": logging.DEBUG, "-": 15, "*": logging.INFO, "#": logging.WARNING}

START_TIMEOUT = 30.0     # seconds a child process may take to listen
STOP_TIMEOUT = 10.0      # seconds the server may take to stop before it is killed

ConfigValue = Union[str, int, float, bool, Sequence[Union[str, int, float]]]


class ServerStateError(RuntimeError):
    """The server cannot do this in its current state (stopped, not started ...)."""


class EmbeddedServer:
    """A pyredis server on a free 127.0.0.1 port, run in a thread or a child process.

    port=0 (the default) lets the OS pick a free port, read back from `server.port`; unlike
    redis.conf's `port 0`, which means no TCP listener. Other keyword arguments are redis.conf
    directives with `-` spelled `_`: True/False for yes/no, numbers, strings with Redis's units
    ("100mb"), or a list for a directive of several words. `config_file` is a redis.conf read
    first. Without `dir`, the server works in a temporary directory removed when it stops.
    """

    def __init__(self, port: int = 0, *, config_file: Optional[str] = None,
                 **config: ConfigValue) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"invalid port {port!r}: it must be an integer from 0 to 65535")
        self.requested_port = port
        self.config_file = config_file
        self._options = _options_from_keywords(config)
        checked = _check_options(config_file, self._options)
        self.host = _connect_host(checked.bind)
        self.password = checked.requirepass
        self.state = "new"            # new -> running -> stopped
        self.mode = ""                # "thread" or "process" once started
        self.port = 0
        self.dir = ""                 # the temporary directory, when the server made one
        self.clock = ServerClock(self)
        self._core: Optional[CoreServer] = None
        self._thread: Optional[threading.Thread] = None
        self._process: Optional[ServerProcess] = None
        self._clients: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._lock = threading.Lock()

    # -- starting --------------------------------------------------------------------------

    def start(self) -> "EmbeddedServer":
        """Start in a background thread of this process; listening when this returns."""
        self._begin("thread")
        try:
            core = _threaded_core_server(self._build_config())
            try:
                core.start(any_free_port=True)
                core.aof.start_up(load_rdb=lambda: None)   # an RDB is not loaded here
            except BaseException:
                core.reactor.close()
                raise
            self._core = core
            self.port = core.port
            self._thread = threading.Thread(target=self._run_loop, daemon=True,
                                            name=f"pyredis-server-{self.port}")
            self._thread.start()
        except BaseException:
            self._abort()
            raise
        return self

    @classmethod
    def start_process(cls, port: int = 0, *, config_file: Optional[str] = None,
                      **config: ConfigValue) -> "EmbeddedServer":
        """A server started in a child process (its own interpreter, memory and GIL)."""
        server = cls(port, config_file=config_file, **config)
        server._start_child()
        return server

    def _start_child(self) -> None:
        self._begin("process")
        try:
            port = self.requested_port or free_port(self.host)
            options = self._base_options(port) + [
                ("logfile", [os.path.join(self.dir, "pyredis.log")])] + self._options
            argv = [sys.executable, "-c", CHILD_MAIN, PACKAGE_ROOT, self.dir] \
                + _options_to_argv(options)
            # Its own session: a Ctrl-C in the terminal reaches this process, which stops
            # the child in order, instead of both racing to exit.
            try:
                self._process = ServerProcess(argv, port, host=self.host, cwd=self.dir,
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              new_session=True, start_timeout=START_TIMEOUT)
            except ServerExited as exc:
                raise self._child_start_error(exc) from None
            self.port = port
        except BaseException:
            self._abort()
            raise

    @staticmethod
    def _child_start_error(exited: ServerExited) -> OSError:
        """Why the child could not listen, as it reported it (`error <errno> <message>`)."""
        words = exited.output.strip().split(" ", 2)
        if len(words) == 3 and words[0] == "error":
            return OSError(int(words[1]), words[2])
        return OSError(str(exited))

    def _begin(self, mode: str) -> None:
        with self._lock:
            if self.state == "running":
                raise ServerStateError("this server is already running")
            if self.state == "stopped":
                raise ServerStateError("this server was stopped; create a new one to start "
                                       "again")
            self.state = "running"
        self.mode = mode
        self.dir = tempfile.mkdtemp(prefix="pyredis-")
        _LIVE_SERVERS.add(self)

    def _base_options(self, port: int) -> list[tuple[str, list[str]]]:
        """The embedded defaults, then the config file, then the caller's keywords win."""
        options = [("bind", ["127.0.0.1"]), ("save", [""]), ("dir", [self.dir])]
        if self.config_file:
            options.append(("include", [os.path.abspath(self.config_file)]))
        options.append(("port", [str(port)]))   # the argument, not the file
        return options

    def _build_config(self) -> Config:
        config = Config()
        config.chdir = False       # the server shares this process's working directory
        config.load_text(options_to_text(_options_to_argv(self._base_options(
            self.requested_port) + self._options)))
        return config

    def _run_loop(self) -> None:
        core = self._core
        assert core is not None
        try:
            core.serve_forever(install_signals=False)
        except BaseException:
            logger.exception("the embedded pyredis server stopped on an error")
            core.shutdown()     # its clients get a closed connection, not a hang
            raise

    # -- stopping --------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the server, close its clients and remove its temporary directory. Stopping a
        server that is not running does nothing."""
        with self._lock:
            if self.state != "running":
                return
            self.state = "stopped"
        self._abort()

    def _abort(self) -> None:
        """Undo whatever part of a start happened: loop, thread, child, clients, directory."""
        self.state = "stopped"
        for client in self._clients:
            try:
                client.close()
            except Exception:   # a client of a dead server may fail to close: nothing to do
                pass
        self._clients.clear()
        if self._thread is not None:
            core = self._core
            assert core is not None
            core.reactor.call_soon_threadsafe(core.shutdown)
            self._thread.join(STOP_TIMEOUT)
            if self._thread.is_alive():
                logger.warning("the embedded pyredis server did not stop within %ss",
                               STOP_TIMEOUT)
            else:
                core.reactor.close()
            self._thread = None
        elif self._core is not None:
            self._core.reactor.close()
        if self._process is not None:
            self._stop_child()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        _LIVE_SERVERS.discard(self)

    def _child_pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        """The child process's stdin and stdout (it is started with both as pipes)."""
        process = self._process
        assert process is not None
        proc = process.proc
        assert proc.stdin is not None and proc.stdout is not None
        return proc.stdin, proc.stdout

    def _running_core(self) -> CoreServer:
        """The server running in this process's thread."""
        assert self._core is not None
        return self._core

    def _stop_child(self) -> None:
        process = self._process
        assert process is not None
        stdin = self._child_pipes()[0]
        try:
            stdin.write(b"stop\n")
            stdin.close()
        except OSError:
            pass                                  # already gone
        process.wait(STOP_TIMEOUT)
        self._relay_child_log()
        self._process = None

    def _relay_child_log(self) -> None:
        """Pass the child's log lines on to the `pyredis` logger, as a thread's would be."""
        path = os.path.join(self.dir, "pyredis.log")
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return
        for line in lines:
            # "pid:M 01 Jan 2024 00:00:00.000 * message"
            parts = line.split(" ", 6)
            if len(parts) == 7 and parts[5] in LOG_MARKS:
                logger.log(LOG_MARKS[parts[5]], "%s", parts[6])

    def __enter__(self) -> "EmbeddedServer":
        if self.state == "new":
            self.start()
        elif self.state == "stopped":
            raise ServerStateError("this server was stopped; create a new one to start again")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f" {self.url}" if self.state == "running" else ""
        return f"<pyredis.Server {self.state}{' ' + self.mode if self.mode else ''}{where}>"

    # -- using it --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """redis://127.0.0.1:PORT, with the password when requirepass is set."""
        self._check_running()
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{auth}{host}:{self.port}"

    def client(self, **kwargs: Any) -> Any:
        """A redis-py client (redis.Redis) on this server; closed when the server stops."""
        import redis
        client = redis.Redis(**self._client_args(kwargs))
        self._clients.add(client)
        return client

    def async_client(self, **kwargs: Any) -> Any:
        """An asyncio redis-py client (redis.asyncio.Redis) on this server. It connects in
        the event loop that first uses it; close it there (`await client.aclose()`)."""
        import redis.asyncio
        return redis.asyncio.Redis(**self._client_args(kwargs))

    def _client_args(self, kwargs: dict) -> dict:
        self._check_running()
        args = {"host": self.host, "port": self.port, "password": self.password or None}
        args.update(kwargs)
        return args

    def _check_running(self) -> None:
        if self.state != "running":
            raise ServerStateError("this server was stopped" if self.state == "stopped"
                                   else "this server is not started")

    # -- the clock -------------------------------------------------------------------------

    def _advance_clock(self, seconds: float) -> None:
        self._check_running()
        if self._process is not None:
            answer = self._ask_child(f"advance {seconds!r}")
            if answer != "ok":
                raise ServerStateError(f"the server process did not move its clock: {answer!r}")
            return
        core = self._running_core()

        def advance() -> None:
            core.clock.advance(seconds)
            core.clock_advanced()
        self._run_in_loop(advance)

    def _clock_offset(self) -> float:
        """How far the server's clock was moved, however it was (DEBUG ADVANCE-CLOCK too)."""
        self._check_running()
        if self._process is not None:
            return float(self._ask_child("offset"))
        return self._running_core().clock.offset

    def _ask_child(self, request: str) -> str:
        """Send one control line to the child process and return its answer."""
        with self._lock:
            stdin = self._child_pipes()[0]
            stdin.write(request.encode() + b"\n")
            stdin.flush()
            return self._read_child_line(STOP_TIMEOUT)

    def _run_in_loop(self, func: Callable[[], Any]) -> None:
        """Run func in the server's thread and wait for it: nothing else runs meanwhile."""
        done = threading.Event()
        failure: list[BaseException] = []

        def call() -> None:
            try:
                func()
            except BaseException as exc:
                failure.append(exc)
            finally:
                done.set()

        self._running_core().reactor.call_soon_threadsafe(call)
        if not done.wait(STOP_TIMEOUT):
            raise ServerStateError("the server thread did not answer")
        if failure:
            raise failure[0]

    def _read_child_line(self, timeout: float) -> str:
        """One line from the child's stdout, waiting at most timeout seconds."""
        stdout = self._child_pipes()[1]
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise OSError(f"the server process did not answer within {timeout}s")
        return stdout.readline().decode(errors="replace").strip()


class ServerClock:
    """The embedded server's clock, seen from the program that runs it.

    advance(seconds) moves the server's time forward and returns once the server has acted on
    it: keys past their TTL are expired, TTLs and idle times are shorter or longer by that
    much, blocked clients whose timeout passed got their reply. No sleeping, no flakiness.
    """

    def __init__(self, server: EmbeddedServer) -> None:
        self._server = server

    def advance(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
                or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"the clock only moves forward, by a finite number of seconds "
                             f"(got {seconds!r})")
        self._server._advance_clock(float(seconds))

    @property
    def offset(self) -> float:
        """Seconds the server's clock is ahead of the real one."""
        return self._server._clock_offset()

    def time(self) -> float:
        """The server's time, in seconds since the epoch."""
        return time.time() + self.offset

    def ms(self) -> int:
        return int(self.time() * 1000)


def _threaded_core_server(config: Config) -> CoreServer:
    """The server run in a thread: logs go to the `pyredis` logger (unless `logfile`)."""
    def log(level: str, message: str) -> bool:
        if config.logfile:
            return False
        if LOG_LEVELS[level] >= LOG_LEVELS[config.loglevel]:
            logger.log(LOG_LEVELS[level], "%s", message)
        return True

    return CoreServer(config, log_hook=log)


# -- configuration from keyword arguments --------------------------------------------------

def _options_from_keywords(config: dict[str, ConfigValue]) -> list[tuple[str, list[str]]]:
    """maxmemory="100mb", appendonly=True -> [("maxmemory", ["100mb"]), ("appendonly", ["yes"])]"""
    options = []
    for keyword, value in config.items():
        name = keyword.replace("_", "-").lower()
        if name not in BY_NAME or name == "include":
            hint = difflib.get_close_matches(name, list(BY_NAME), n=1)
            raise ConfigError(f"invalid config {keyword}={value!r}: Bad directive or wrong "
                              f"number of arguments" + (f" (did you mean "
                                                         f"{hint[0].replace('-', '_')}?)"
                                                         if hint else ""))
        options.append((name, _words(keyword, value)))
    return options


def _words(keyword: str, value: ConfigValue) -> list[str]:
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, (int, float, str)):
        return [str(value)]
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise ConfigError(f"invalid config {keyword}={value!r}: expected a string, a number, "
                      "True/False or a list of them")


def _options_to_argv(options: list[tuple[str, list[str]]]) -> list[str]:
    return [word for name, args in options for word in [f"--{name}"] + args]


def _check_options(config_file: Optional[str], options: list[tuple[str, list[str]]]) -> Config:
    """Apply the file and each keyword to a scratch Config, so that a bad value is reported
    now, by name, with Redis's own reason (`argument must be a memory value`)."""
    config = Config()
    config.chdir = False
    if config_file:
        try:
            with open(config_file) as f:
                config.load_text(f.read())
        except OSError as exc:
            raise ConfigError(f"can't open config file '{config_file}': {exc.strerror}") \
                from None
        except SystemExit as exc:       # a file it includes is missing: Redis's fatal error
            raise ConfigError(str(exc.code)) from None
        except ConfigFileError as exc:
            raise ConfigError(f"invalid config file '{config_file}', line {exc.lineno} "
                              f"('{exc.line.strip()}'): {exc.reason}") from None
    for name, args in options:
        try:
            config.load_text(options_to_text([f"--{name}"] + args))
        except ConfigFileError as exc:
            keyword = name.replace("-", "_")
            shown = args[0] if len(args) == 1 else args
            raise ConfigError(f"invalid config {keyword}={shown!r}: {exc.reason}") from None
    return config


def _connect_host(bind: list[str]) -> str:
    """The address clients use to reach a server bound to these addresses."""
    host = bind[0].lstrip("-") if bind else "*"
    if host in ("*", "0.0.0.0"):
        return "127.0.0.1"
    return "::1" if host in ("::", "::*") else host


# -- cleanup at exit -----------------------------------------------------------------------

_LIVE_SERVERS: "weakref.WeakSet[EmbeddedServer]" = weakref.WeakSet()


@atexit.register
def _stop_live_servers() -> None:
    """A program that exits without stopping its servers still leaves nothing behind."""
    for server in list(_LIVE_SERVERS):
        server.stop()

"""Servers in child processes: pyredis or the real redis-server on a free 127.0.0.1 port,
ready once they answer PING, stopped by their PID. The one way the tests, the benchmarks and
`pyredis.Server.start_process()` start a server process."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import IO, Optional, Sequence, Union

START_TIMEOUT = 30.0     # seconds a server may take to answer PING
STOP_TIMEOUT = 10.0      # seconds a server may take to exit before it is killed
PING_POLL = 0.002        # seconds between connection attempts while it starts (a start-up
                         # takes milliseconds for redis-server)

PING = b"*1\r\n$4\r\nPING\r\n"       # as a RESP array, which every RESP server reads
# A server that answers PING this way is up (NOAUTH: with requirepass set).
READY_REPLIES = (b"+PONG", b"-NOAUTH")

# Where this pyredis is imported from: a pyredis child imports the same one by default.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Stream = Union[int, IO, None]


class ServerExited(RuntimeError):
    """The server process exited before it answered PING; `output` is what it wrote to its
    stdout when that was a pipe."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS's pick)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def pyredis_command(args: Sequence[str] = (), io: str = "selectors") -> list[str]:
    """The command line of a pyredis server with these redis.conf-style arguments."""
    return [sys.executable, "-m", "pyredis", *args, "--io", io]


def redis_command(args: Sequence[str] = ()) -> list[str]:
    """The command line of the real redis-server with these arguments."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (make system-deps)")
    return [binary, *args]


class ServerProcess:
    """A server child process listening on host:port; the constructor returns once it
    answers PING (or raises ServerExited / TimeoutError, the process stopped)."""

    def __init__(self, command: Sequence[str], port: int, *, host: str = "127.0.0.1",
                 cwd: Optional[str] = None, env: Optional[dict[str, str]] = None,
                 stdin: Stream = subprocess.DEVNULL, stdout: Stream = subprocess.DEVNULL,
                 stderr: Stream = subprocess.DEVNULL, new_session: bool = False,
                 start_timeout: float = START_TIMEOUT,
                 ready_replies: tuple[bytes, ...] = READY_REPLIES) -> None:
        self.host = host
        self.port = port
        # A temporary run directory unless given; it is removed when the server stops.
        self.owns_dir = cwd is None
        self.dir = tempfile.mkdtemp(prefix="pyredis-run-") if cwd is None else cwd
        # Its own session when asked: a Ctrl-C in the terminal then reaches only the parent,
        # which stops the child in order.
        self.proc = subprocess.Popen(list(command), cwd=self.dir, env=env, stdin=stdin,
                                     stdout=stdout, stderr=stderr,
                                     start_new_session=new_session)
        self.pid = self.proc.pid
        self.ready_replies = ready_replies   # how the server's answer to PING starts
        try:
            self._wait_for_ping(start_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_for_ping(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.proc.stdout.read() if self.proc.stdout else b""
                raise ServerExited(f"the server exited with code {self.proc.returncode} "
                                   f"before answering PING on port {self.port}",
                                   output.decode(errors="replace"))
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                    sock.sendall(PING)
                    if sock.recv(64).startswith(self.ready_replies):
                        return
            except OSError:
                pass
            time.sleep(PING_POLL)
        raise TimeoutError(f"the server on port {self.port} did not answer PING within "
                           f"{timeout}s")

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """SIGTERM (Redis's orderly shutdown), SIGKILL if it is still there after timeout;
        returns the exit code. Stopping a stopped server only cleans up."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.wait(timeout)

    def wait(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """Wait for a server told to exit (any way), killing it after timeout; closes its
        pipes and removes its temporary directory."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def launch(kind: str, args: Sequence[str] = (), *, io: str = "selectors", port: int = 0,
           cwd: Optional[str] = None, package_root: str = PACKAGE_ROOT,
           stderr: Stream = subprocess.DEVNULL, env: Optional[dict[str, str]] = None,
           start_timeout: float = START_TIMEOUT) -> ServerProcess:
    """pyredis (`io` picks its backend; imported from package_root) or the real redis-server
    ("redis") on 127.0.0.1:port (a free one for 0), without persistence; `args` come last,
    so they may override that. `env`: the environment (this process's by default)."""
    port = port or free_port()
    base = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            *args]
    if kind == "pyredis":
        command = pyredis_command(base, io)
        env = dict(os.environ if env is None else env, PYTHONPATH=package_root)
    elif kind == "redis":
        command = redis_command(base)
    else:
        raise ValueError(f"unknown server kind {kind!r} (pyredis or redis)")
    return ServerProcess(command, port, cwd=cwd, env=env, stderr=stderr,
                         start_timeout=start_timeout)

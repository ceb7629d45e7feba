"""redis-server style command line: pyredis-server [/path/to/redis.conf] [--directive value ...]"""
from __future__ import annotations

import os
import sys
from typing import Optional

from .config import Config, ConfigError, ConfigFileError


def usage() -> str:
    return ("Usage: ./pyredis-server [/path/to/redis.conf] [options] [-]\n"
            "       ./pyredis-server - (read config from stdin)\n"
            "       ./pyredis-server -v or --version\n"
            "       ./pyredis-server -h or --help\n\n"
            "Examples:\n"
            "       ./pyredis-server (run the server with default conf)\n"
            "       ./pyredis-server /etc/redis/6379.conf\n"
            "       ./pyredis-server --port 7777\n"
            "       ./pyredis-server /etc/myredis.conf --loglevel verbose -\n"
            "       ./pyredis-server /etc/myredis.conf --loglevel verbose\n"
            "       ./pyredis-server --io uvloop (the uvloop I/O backend; default selectors)\n")


def options_to_text(args: list[str]) -> str:
    """Turn `--port 6380 --save ""` into redis.conf lines, as redis-server's main() does:
    each --name starts a new line, the words after it are its arguments (quoted)."""
    lines: list[list[str]] = []
    for arg in args:
        if arg.startswith("--") and len(arg) > 2:
            lines.append([arg[2:]])
        elif not lines:
            raise ConfigError(f"Invalid option {arg!r}")
        else:
            lines[-1].append(arg)
    return "\n".join(" ".join([line[0]] + [_quote(a) for a in line[1:]]) for line in lines)


def _quote(arg: str) -> str:
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_config(argv: list[str]) -> Config:
    """The Config that these command-line arguments describe (file first, then options)."""
    from .server import REDIS_VERSION
    config = Config()
    args = list(argv)
    text = ""
    if args and not args[0].startswith("-"):
        config.config_file = os.path.abspath(args.pop(0))   # `dir` may move the cwd
        try:
            with open(config.config_file) as f:
                text = f.read()
        except OSError as exc:
            raise SystemExit(f"Fatal error, can't open config file '{config.config_file}': "
                             f"{exc.strerror}") from None
    if args and args[-1] == "-":
        args.pop()
        text += "\n" + sys.stdin.read()
    try:
        text += "\n" + options_to_text(args)
        config.load_text(text)
    except ConfigFileError as exc:
        sys.stderr.write(exc.fatal_text(REDIS_VERSION))
        raise SystemExit(1) from None
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(1) from None
    return config


def main(argv: Optional[list[str]] = None) -> None:
    from .reactor import IO_BACKENDS
    from .server import REDIS_VERSION, Server
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-v", "--version"):
        print(f"Redis server v={REDIS_VERSION} sha=00000000:0 malloc=pymalloc bits=64 "
              "build=pyredis")
        return
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(usage())
        return
    io = "selectors"
    if "--io" in args:   # pyredis's own option (not a redis.conf directive): the I/O backend
        at = args.index("--io")
        if at + 1 >= len(args) or args[at + 1] not in IO_BACKENDS:
            sys.stderr.write(f"--io takes one of: {', '.join(IO_BACKENDS)}\n")
            raise SystemExit(1)
        io = args[at + 1]
        del args[at:at + 2]
    config = build_config(args)
    if config.daemonize:
        daemonize()
    server = Server(config, io=io)
    # The start-up log of redis-server, in its order: tools and test suites wait for these lines.
    server.log_warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    server.log_warning(f"Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, "
                       f"pid={server.pid}, just started")
    if config.config_file or args:
        server.log_warning("Configuration loaded")
    else:
        server.log_warning("Warning: no config file specified, using the default config. In "
                           "order to specify a config file use pyredis-server "
                           "/path/to/redis.conf")
    try:
        server.start()
    except OSError as exc:
        server.log_warning(str(exc))
        raise SystemExit(1) from None
    server.write_pidfile()
    server.log_banner(show_logo=config.always_show_logo or (
        not config.logfile and not config.syslog_enabled and sys.stdout.isatty()))
    server.log_warning("Server initialized")
    server.snapshots.load_at_startup()
    server.serve_forever()


def daemonize() -> None:
    """Detach from the terminal as redis-server does: fork, new session, stdio to /dev/null
    (the log goes to `logfile`, or nowhere)."""
    if os.fork():
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)

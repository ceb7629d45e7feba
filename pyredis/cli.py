"""redis-server style command line: pyredis-server [/path/to/redis.conf] [--directive value ...]"""
from __future__ import annotations

import os
import sys
from typing import Optional

from .config import Config, ConfigError, ConfigFileError
from .protocol.parse import sds_repr, split_args

USAGE = """\
Usage: ./pyredis-server [/path/to/redis.conf] [options] [-]
       ./pyredis-server - (read config from stdin)
       ./pyredis-server -v or --version
       ./pyredis-server -h or --help

Examples:
       ./pyredis-server (run the server with default conf)
       echo 'maxmemory 128mb' | ./pyredis-server -
       ./pyredis-server /etc/redis/6379.conf
       ./pyredis-server --port 7777
       ./pyredis-server /etc/myredis.conf --loglevel verbose -
       ./pyredis-server /etc/myredis.conf --loglevel verbose
       ./pyredis-server --io uvloop (the uvloop I/O backend; default selectors)

"""


def options_to_text(args: list[str]) -> str:
    """Turn `--port 6380 --save ""` into redis.conf lines, as redis-server's main() does:
    each --name starts a new line and the words after it are its arguments (quoted). A
    word starting with -- is a value when the option before it has none yet (`--port
    --bla`); `--save` followed by another option or nothing means `save ""`; an argument
    of its own holding name and value (`"--maxmemory 1gb"`) is a whole line."""
    options = ""
    value_seen = True     # the last option has a value: a new -- word starts an option
    last = len(args) - 1
    for j, arg in enumerate(args):
        if value_seen and arg.startswith("--"):
            if options:
                options += "\n"
            options += arg[2:] + " "
            words = split_args(os.fsencode(arg))
            if words is not None and len(words) == 1:
                value_seen = False
                if arg.lower() == "--save" and (j == last or args[j + 1].startswith("--")):
                    options += '""'
                    value_seen = True
            else:
                value_seen = True
        else:
            options += sds_repr(os.fsencode(arg)) + " "
            value_seen = True
    return options


def build_config(argv: list[str]) -> Config:
    """The Config that these command-line arguments describe: the file, then stdin (`-`
    first or last), then the options."""
    from .server import REDIS_VERSION
    config = Config()
    args = list(argv)
    from_stdin = False
    if args and not args[0].startswith("-"):
        config.config_file = os.path.abspath(args.pop(0))   # `dir` may move the cwd
    # `-` reads stdin where Redis looks for it: last, or first when there is no file.
    if args and args[-1] == "-":
        args.pop()
        from_stdin = True
    if args and args[0] == "-" and not config.config_file:
        args.pop(0)
        from_stdin = True
    text = ""
    if config.config_file:
        try:
            with open(config.config_file) as f:
                text = f.read()
        except OSError as exc:
            sys.stdout.write(log_line("warning", "Fatal error, can't open config file "
                                      f"'{config.config_file}': {exc.strerror}"))
            raise SystemExit(1) from None
    if from_stdin:
        sys.stdout.write(log_line("warning", "Reading config from stdin"))
        text += sys.stdin.read()
    try:
        config.load_text(text + "\n" + options_to_text(args))
    except ConfigFileError as exc:
        sys.stderr.write(exc.fatal_text(REDIS_VERSION))
        raise SystemExit(1) from None
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(1) from None
    return config


def log_line(level: str, message: str) -> str:
    """A log line written before the server exists (Redis's role letter C)."""
    from .server import format_log_line
    return format_log_line(os.getpid(), "C", level, message)


def main(argv: Optional[list[str]] = None) -> None:
    from .reactor import IO_BACKENDS
    from .server import REDIS_VERSION, Server
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-v", "--version"):
        print(f"Redis server v={REDIS_VERSION} sha=00000000:0 malloc=pymalloc bits=64 "
              "build=pyredis")
        return
    if args and args[0] in ("-h", "--help"):
        sys.stderr.write(USAGE)
        raise SystemExit(1)
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
    if args or config.config_file:
        server.log_warning("Configuration loaded")
    else:
        server.log_warning("Warning: no config file specified, using the default config. In "
                           "order to specify a config file use pyredis-server "
                           "/path/to/redis.conf")
    try:
        server.start()
    except OSError:
        raise SystemExit(1) from None    # the server logged why
    server.install_signal_handlers()
    server.write_pidfile()
    server.process.set_title()
    server.log_banner(show_logo=config.always_show_logo or (
        not config.logfile and not config.syslog_enabled and sys.stdout.isatty()))
    server.log_warning("Server initialized")
    server.log_system_warnings()
    server.aof.start_up(load_rdb=server.snapshots.load_at_startup)
    if 0 < config.maxmemory < 1024 * 1024:
        server.log_warning("WARNING: You specified a maxmemory value that is less than 1MB "
                           f"(current value is {config.maxmemory} bytes). Are you sure this is "
                           "what you really want?")
    server.process.set_oom_score_adj()
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

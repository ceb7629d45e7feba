"""Typed config directives: Redis's names and defaults, redis.conf parsing, CONFIG GET/SET/REWRITE.

Each directive lives in one table with its kind, default, aliases and flags. Values are kept
parsed (ints as ints, bools as bools, memory sizes in bytes) as attributes of `Config`, with
'-' turned into '_' (`config.proto_max_bulk_len`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .glob import glob_match
from .resp import split_args

IMMUTABLE = "immutable"
PROTECTED = "protected"


class ConfigError(Exception):
    """A rejected value; the text is Redis's reason (`argument must be a memory value`)."""


@dataclass
class Directive:
    name: str
    kind: str                     # bool int memory enum string list special
    default: Any
    aliases: tuple = ()
    flags: tuple = ()
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    choices: tuple = ()
    parse: Optional[Callable[[str], Any]] = None      # for kind "special"
    show: Optional[Callable[[Any], str]] = None       # for kind "special"

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
          "g": 1000**3, "gb": 1024**3}


def parse_memory(text: str) -> int:
    """Redis's memtoull: '1gb' = 1024^3, '1g' = 10^9, case-insensitive."""
    m = re.fullmatch(r"(-?\d+)([a-zA-Z]*)", text.strip())
    if not m or m.group(2).lower() not in _UNITS:
        raise ConfigError("argument must be a memory value")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def _parse_save(text: str) -> list[tuple[int, int]]:
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    try:
        pairs = [(int(parts[i]), int(parts[i + 1])) for i in range(0, len(parts), 2)]
    except ValueError:
        raise ConfigError("Invalid save parameters") from None
    if any(s < 1 or c < 0 for s, c in pairs):
        raise ConfigError("Invalid save parameters")
    return pairs


def _show_save(pairs: list[tuple[int, int]]) -> str:
    return " ".join(f"{s} {c}" for s, c in pairs)


OBUF_CLASSES = ("normal", "slave", "pubsub")


def _parse_obuf(text: str) -> dict[str, tuple[int, int, int]]:
    parts = text.split()
    if not parts or len(parts) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits: dict[str, tuple[int, int, int]] = {}
    for i in range(0, len(parts), 4):
        cls = {"replica": "slave"}.get(parts[i].lower(), parts[i].lower())
        if cls not in OBUF_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(parts[i + 1]), parse_memory(parts[i + 2])
            seconds = int(parts[i + 3])
        except (ConfigError, ValueError):
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit "
                              "configuration.") from None
        if hard < 0 or soft < 0 or seconds < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit "
                              "configuration.")
        limits[cls] = (hard, soft, seconds)
    return limits


def _show_obuf(limits: dict[str, tuple[int, int, int]]) -> str:
    return " ".join(f"{cls} {h} {s} {sec}" for cls, (h, s, sec) in limits.items())


NOTIFY_CLASSES = "g$lshzxeKEtmdn"


def _parse_notify(text: str) -> str:
    flags = set()
    for ch in text:
        if ch == "A":
            flags.update("g$lshzxetd")
        elif ch in NOTIFY_CLASSES:
            flags.add(ch)
        else:
            raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return "".join(c for c in NOTIFY_CLASSES if c in flags)


def _show_notify(flags: str) -> str:
    text = flags
    if all(c in flags for c in "g$lshzxetd"):
        text = "A" + "".join(c for c in flags if c not in "g$lshzxetd")
    # Redis lists the class letters first and K/E last
    body = "".join(c for c in text if c not in "KE")
    return body + ("K" if "K" in flags else "") + ("E" if "E" in flags else "")


def _parse_debug_command(text: str) -> str:
    value = text.lower()
    if value not in ("yes", "no", "local"):
        raise ConfigError("argument(s) must be one of the following: no, yes, local")
    return value


def _parse_octal(text: str) -> int:
    try:
        return int(text, 8)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None


MAXMEMORY_POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                      "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")

DIRECTIVES: list[Directive] = [
    # network
    Directive("bind", "list", ["127.0.0.1", "-::1"], flags=()),
    Directive("port", "int", 6379, minimum=0, maximum=65535),
    Directive("tcp-backlog", "int", 511, flags=(IMMUTABLE,), minimum=0),
    Directive("unixsocket", "string", "", flags=(IMMUTABLE,)),
    Directive("unixsocketperm", "special", 0, flags=(IMMUTABLE,), parse=_parse_octal,
              show=lambda v: "%o" % v if v else "0"),
    Directive("timeout", "int", 0, minimum=0),
    Directive("tcp-keepalive", "int", 300, minimum=0),
    Directive("protected-mode", "bool", True),
    Directive("maxclients", "int", 10000, minimum=1),
    # general
    Directive("daemonize", "bool", False, flags=(IMMUTABLE,)),
    Directive("pidfile", "string", "", flags=(IMMUTABLE,)),
    Directive("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning")),
    Directive("logfile", "string", "", flags=(IMMUTABLE,)),
    Directive("syslog-enabled", "bool", False, flags=(IMMUTABLE,)),
    Directive("syslog-ident", "string", "redis", flags=(IMMUTABLE,)),
    Directive("databases", "int", 16, flags=(IMMUTABLE,), minimum=1),
    Directive("always-show-logo", "bool", False, flags=(IMMUTABLE,)),
    Directive("set-proc-title", "bool", True, flags=(IMMUTABLE,)),
    Directive("enable-debug-command", "special", "no", flags=(IMMUTABLE,),
              parse=_parse_debug_command, show=str),
    Directive("enable-protected-configs", "special", "no", flags=(IMMUTABLE,),
              parse=_parse_debug_command, show=str),
    Directive("enable-module-command", "special", "no", flags=(IMMUTABLE,),
              parse=_parse_debug_command, show=str),
    Directive("hz", "int", 10, minimum=0),
    Directive("dynamic-hz", "bool", True),
    Directive("io-threads", "int", 1, flags=(IMMUTABLE,), minimum=1, maximum=128),
    Directive("io-threads-do-reads", "bool", False, flags=(IMMUTABLE,)),
    # snapshotting / append only file (kept for compatibility of config files and CONFIG)
    Directive("save", "special", [(3600, 1), (300, 100), (60, 10000)], parse=_parse_save,
              show=_show_save),
    Directive("stop-writes-on-bgsave-error", "bool", True),
    Directive("rdbcompression", "bool", True),
    Directive("rdbchecksum", "bool", True),
    Directive("dbfilename", "string", "dump.rdb", flags=(PROTECTED,)),
    Directive("rdb-del-sync-files", "bool", False),
    Directive("dir", "special", "", flags=(PROTECTED,), parse=str, show=str),
    Directive("appendonly", "bool", False),
    Directive("appendfilename", "string", "appendonly.aof", flags=(IMMUTABLE,)),
    Directive("appenddirname", "string", "appendonlydir", flags=(IMMUTABLE,)),
    Directive("appendfsync", "enum", "everysec", choices=("always", "everysec", "no")),
    Directive("no-appendfsync-on-rewrite", "bool", False),
    Directive("auto-aof-rewrite-percentage", "int", 100, minimum=0),
    Directive("auto-aof-rewrite-min-size", "memory", 64 * 1024 * 1024, minimum=0),
    Directive("aof-load-truncated", "bool", True),
    Directive("aof-use-rdb-preamble", "bool", True),
    Directive("aof-timestamp-enabled", "bool", False),
    # security
    Directive("requirepass", "string", ""),
    # memory management
    Directive("maxmemory", "memory", 0, minimum=0),
    Directive("maxmemory-policy", "enum", "noeviction", choices=MAXMEMORY_POLICIES),
    Directive("maxmemory-samples", "int", 5, minimum=1, maximum=64),
    Directive("maxmemory-eviction-tenacity", "int", 10, minimum=0, maximum=100),
    Directive("maxmemory-clients", "memory", 0, minimum=0),
    Directive("lazyfree-lazy-eviction", "bool", False),
    Directive("lazyfree-lazy-expire", "bool", False),
    Directive("lazyfree-lazy-server-del", "bool", False),
    Directive("lazyfree-lazy-user-del", "bool", False),
    Directive("lazyfree-lazy-user-flush", "bool", False),
    Directive("active-expire-effort", "int", 1, minimum=1, maximum=10),
    Directive("activerehashing", "bool", True),
    Directive("activedefrag", "bool", False),
    Directive("jemalloc-bg-thread", "bool", True),
    Directive("oom-score-adj", "enum", "no", choices=("no", "yes", "relative", "absolute")),
    Directive("disable-thp", "bool", True, flags=(IMMUTABLE,)),
    Directive("lfu-log-factor", "int", 10, minimum=0),
    Directive("lfu-decay-time", "int", 1, minimum=0),
    # limits
    Directive("proto-max-bulk-len", "memory", 512 * 1024 * 1024, minimum=1024 * 1024),
    Directive("client-query-buffer-limit", "memory", 1024**3, minimum=1024 * 1024),
    Directive("client-output-buffer-limit", "special",
              {"normal": (0, 0, 0), "slave": (256 * 1024**2, 64 * 1024**2, 60),
               "pubsub": (32 * 1024**2, 8 * 1024**2, 60)},
              parse=_parse_obuf, show=_show_obuf),
    Directive("busy-reply-threshold", "int", 5000, aliases=("lua-time-limit",), minimum=0),
    # slow log, latency, tracking, notifications
    Directive("slowlog-log-slower-than", "int", 10000),
    Directive("slowlog-max-len", "int", 128, minimum=0),
    Directive("latency-monitor-threshold", "int", 0, minimum=0),
    Directive("latency-tracking", "bool", True),
    Directive("notify-keyspace-events", "special", "", parse=_parse_notify, show=_show_notify),
    Directive("tracking-table-max-keys", "int", 1000000, minimum=0),
    # encodings
    Directive("hash-max-listpack-entries", "int", 128, aliases=("hash-max-ziplist-entries",),
              minimum=0),
    Directive("hash-max-listpack-value", "int", 64, aliases=("hash-max-ziplist-value",),
              minimum=0),
    Directive("list-max-listpack-size", "int", -2, aliases=("list-max-ziplist-size",)),
    Directive("list-compress-depth", "int", 0, minimum=0),
    Directive("set-max-intset-entries", "int", 512, minimum=0),
    Directive("zset-max-listpack-entries", "int", 128, aliases=("zset-max-ziplist-entries",),
              minimum=0),
    Directive("zset-max-listpack-value", "int", 64, aliases=("zset-max-ziplist-value",),
              minimum=0),
    Directive("hll-sparse-max-bytes", "memory", 3000, minimum=0),
    Directive("stream-node-max-bytes", "memory", 4096, minimum=0),
    Directive("stream-node-max-entries", "int", 100, minimum=0),
    # replication and cluster (answered, not acted on: pyredis is a standalone master)
    Directive("replica-read-only", "bool", True, aliases=("slave-read-only",)),
    Directive("replica-serve-stale-data", "bool", True, aliases=("slave-serve-stale-data",)),
    Directive("repl-backlog-size", "memory", 1024 * 1024, minimum=1),
    Directive("min-replicas-to-write", "int", 0, aliases=("min-slaves-to-write",), minimum=0),
    Directive("min-replicas-max-lag", "int", 10, aliases=("min-slaves-max-lag",), minimum=0),
    Directive("cluster-enabled", "bool", False, flags=(IMMUTABLE,)),
]

BY_NAME: dict[str, Directive] = {}
for _d in DIRECTIVES:
    BY_NAME[_d.name] = _d
    for _alias in _d.aliases:
        BY_NAME[_alias] = _d


def parse_value(directive: Directive, args: list[str]) -> Any:
    """Turn the text of a directive's argument(s) into its typed value, or ConfigError."""
    if directive.kind == "list":
        return list(args)
    text = " ".join(args)
    kind = directive.kind
    if kind == "bool":
        if text.lower() not in ("yes", "no"):
            raise ConfigError("argument must be 'yes' or 'no'")
        return text.lower() == "yes"
    if kind in ("int", "memory"):
        if kind == "memory":
            value = parse_memory(text)
        else:
            if not re.fullmatch(r"-?\d+", text.strip()):
                raise ConfigError("argument couldn't be parsed into an integer")
            value = int(text)
        if (directive.minimum is not None and value < directive.minimum) or \
                (directive.maximum is not None and value > directive.maximum):
            low = directive.minimum if directive.minimum is not None else "-inf"
            high = directive.maximum if directive.maximum is not None else "+inf"
            raise ConfigError(f"argument must be between {low} and {high} inclusive")
        return value
    if kind == "enum":
        if text.lower() not in directive.choices:
            raise ConfigError("argument(s) must be one of the following: "
                              + ", ".join(directive.choices))
        return text.lower()
    if kind == "special":
        return directive.parse(text)  # type: ignore[misc]
    return text


def show_value(directive: Directive, value: Any) -> str:
    """The value as CONFIG GET and CONFIG REWRITE write it."""
    kind = directive.kind
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "list":
        return " ".join(value)
    if kind == "special":
        return directive.show(value)  # type: ignore[misc]
    return str(value)


class Config:
    """The live configuration: one attribute per directive, plus where it was read from."""

    def __init__(self) -> None:
        for directive in DIRECTIVES:
            value = directive.default
            setattr(self, directive.attr, list(value) if isinstance(value, list)
                    else dict(value) if isinstance(value, dict) else value)
        self.dir = os.getcwd()
        # `dir` changes the process's working directory, as in Redis; a server embedded in
        # another program must not, so it turns this off and persistence finds its files at
        # os.path.join(config.dir, name).
        self.chdir = True
        self.config_file: Optional[str] = None
        self.on_change: Callable[[str], None] = lambda name: None

    def get(self, name: str) -> Any:
        return getattr(self, BY_NAME[name].attr)

    def set(self, name: str, args: list[str]) -> None:
        """Set one directive from its text (startup or CONFIG SET)."""
        directive = BY_NAME[name.lower()]
        value = parse_value(directive, args)
        if directive.name == "dir":
            try:
                if self.chdir:
                    os.chdir(value)
                    value = os.getcwd()
                else:
                    os.listdir(value)       # the same errors as chdir, without moving
                    value = os.path.abspath(value)
            except OSError as exc:
                raise ConfigError(exc.strerror or str(exc)) from None
        setattr(self, directive.attr, value)
        self.on_change(directive.name)

    def matching(self, pattern: str) -> dict[str, str]:
        """CONFIG GET: every name or alias matching the glob, with its value as text."""
        result = {}
        lowered = pattern.lower().encode()
        for name, directive in BY_NAME.items():
            if glob_match(lowered, name.encode(), nocase=True):
                result[name] = show_value(directive, getattr(self, directive.attr))
        return result

    # -- files -----------------------------------------------------------------------------

    def load_text(self, text: str, source: str = "") -> None:
        """Apply redis.conf text; raises ConfigError with Redis's fatal message."""
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            args = split_args(line.encode())
            if args is None:
                raise ConfigFileError(lineno, raw, "Unbalanced quotes in configuration line")
            if not args:
                continue
            name = args[0].decode(errors="replace").lower()
            values = [a.decode(errors="surrogateescape") for a in args[1:]]
            if name == "include":
                if len(values) != 1:
                    raise ConfigFileError(lineno, raw, "Bad directive or wrong number of arguments")
                with open(values[0]) as f:
                    self.load_text(f.read(), values[0])
                continue
            if name not in BY_NAME:
                raise ConfigFileError(lineno, raw, "Bad directive or wrong number of arguments")
            directive = BY_NAME[name]
            if not values and directive.kind not in ("list", "string"):
                raise ConfigFileError(lineno, raw, "wrong number of arguments")
            if directive.name == "save" and values == [""]:
                values = []
                self.save = []
                continue
            try:
                self.set(name, values)
            except ConfigError as exc:
                raise ConfigFileError(lineno, raw, str(exc)) from None

    def rewrite(self) -> None:
        """CONFIG REWRITE: rewrite the config file in place with the current values, keeping
        comments and order, dropping directives that are back at their default."""
        if not self.config_file:
            raise ConfigError("The server is running without a config file")
        try:
            with open(self.config_file) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        marker = "# Generated by CONFIG REWRITE"
        out: list[str] = []
        written: set[str] = set()
        for raw in lines:
            if raw.strip() == marker:
                continue
            args = split_args(raw.strip().encode()) if raw.strip() and not \
                raw.strip().startswith("#") else None
            if not args:
                out.append(raw)
                continue
            name = args[0].decode(errors="replace").lower()
            directive = BY_NAME.get(name)
            if directive is None or directive.name in written:
                if directive is None:
                    out.append(raw)
                continue
            written.add(directive.name)
            out.extend(self._lines_for(directive))
        appended = [line for d in DIRECTIVES if d.name not in written
                    and self._differs(d) for line in self._lines_for(d)]
        if appended:
            out.append(marker)
            out.extend(appended)
        tmp = self.config_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.config_file)

    def _differs(self, directive: Directive) -> bool:
        value = getattr(self, directive.attr)
        if directive.name == "dir":
            return False
        return value != directive.default

    def _lines_for(self, directive: Directive) -> list[str]:
        value = getattr(self, directive.attr)
        if directive.name == "save":
            if not value:
                return ['save ""']
            return [f"save {s} {c}" for s, c in value]
        if directive.name == "client-output-buffer-limit":
            return [f"client-output-buffer-limit {cls} {h} {s} {sec}"
                    for cls, (h, s, sec) in value.items()]
        text = show_value(directive, value)
        if directive.kind == "string" or (directive.kind == "special" and " " in text) \
                or text == "":
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return [f"{directive.name} {text}"]


class ConfigFileError(ConfigError):
    """A fatal error in the config file, reported as Redis does before exiting."""

    def __init__(self, lineno: int, line: str, reason: str) -> None:
        super().__init__(reason)
        self.lineno = lineno
        self.line = line
        self.reason = reason

    def fatal_text(self, version: str) -> str:
        return (f"\n*** FATAL CONFIG FILE ERROR (Redis {version}) ***\n"
                f"Reading the configuration file, at line {self.lineno}\n"
                f">>> '{self.line.strip()}'\n{self.reason}\n")

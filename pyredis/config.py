"""Typed config directives: Redis's names, defaults and checks, redis.conf parsing, and the
work behind CONFIG GET / SET / REWRITE.

Every directive lives in the one table `DIRECTIVES` with its kind, default, bounds, alias
and flags, and the `apply` that acts on the running server when CONFIG SET changes it
(Redis's apply_fn). Values are kept parsed as attributes of `Config`, with '-' turned into
'_' (`config.proto_max_bulk_len`): bools as bools, numbers (memory sizes in bytes) as ints,
enums as their name, and the special directives as documented next to their parsers.
Directives without an `apply` act by being read where they matter.
"""
from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .types.integers import INT64_MAX, INT64_MIN, string2ll
from .errors import (CONFIG_BAD_DIRECTIVE, CONFIG_BIND_FAILED, CONFIG_EVENT_CLASS,
                     CONFIG_HOSTNAME_CHARACTERS, CONFIG_HOSTNAME_LENGTH, CONFIG_LISTEN_FAILED,
                     CONFIG_MASTER_PORT, CONFIG_NOT_INTEGER, CONFIG_NOT_MEMORY,
                     CONFIG_NOT_MEMORY_OR_PERCENT, CONFIG_NOT_OCTAL, CONFIG_NOT_YES_NO,
                     CONFIG_NO_FILE, CONFIG_OBUF_ARITY, CONFIG_OBUF_CLASS, CONFIG_OBUF_VALUES,
                     CONFIG_OOM_SCORE, CONFIG_OOM_SCORE_FAILED, CONFIG_PERCENTILES,
                     CONFIG_PERCENTILES_RANGE, CONFIG_PROC_TITLE, CONFIG_SAVE_PARAMS,
                     CONFIG_SHUTDOWN_FLAGS, CONFIG_TOO_MANY_BINDS, LOADING, WRONG_ARGUMENT_COUNT,
                     config_empty,
                     config_maxclients, config_not_between, config_not_one_of, config_path,
                     config_percent_too_low, config_set_failed, config_unknown_option)
from .glob import glob_match
from .protocol.parse import sds_repr, split_args

if TYPE_CHECKING:
    from .server import Server

# Directive flags (Redis's *_CONFIG flags).
IMMUTABLE = "immutable"        # only at startup
PROTECTED = "protected"        # CONFIG SET only where enable-protected-configs allows
HIDDEN = "hidden"              # CONFIG GET patterns skip it; its exact name still works
SENSITIVE = "sensitive"        # its value is redacted from MONITOR and SLOWLOG
DENY_LOADING = "deny-loading"  # not while loading a dataset
MULTI_ARG = "multi-arg"        # several words (save, bind ...)
NULLABLE = "nullable"          # an empty string means "unset" (CONFIG REWRITE drops it)

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
UINT_MAX = 2**32 - 1
LONG_MAX = LLONG_MAX = SSIZE_MAX = 2**63 - 1
ULLONG_MAX = 2**64 - 1

MIN_HZ, MAX_HZ = 1, 500
MAX_BIND_ADDRESSES = 16


# How a value is read: False by CONFIG SET, True from the config file or the command line,
# "append" for a later `save` line there (it adds to the first one's points).
Loading = Union[bool, str]


class ConfigError(Exception):
    """A rejected value; the text is Redis's reason (`argument must be a memory value`)."""


@dataclass
class Directive:
    name: str
    kind: str                     # bool string enum int special
    default: Any
    alias: Optional[str] = None
    flags: tuple = ()
    minimum: int = 0
    maximum: int = 0
    unit: str = ""                # for ints: "" plain, "memory", "memory%" (or percent), "octal"
    choices: tuple = ()           # for enums: (name, value) in Redis's order
    check: Optional[Callable[[Any], None]] = None        # extra validation, raises ConfigError
    parse: Optional[Callable[..., Any]] = None           # special: (args, current, loading)
    show: Optional[Callable[[Any], str]] = None          # special: value as CONFIG GET shows it
    rewrite: Optional[Callable[["Directive", Any], list[tuple[str, bool]]]] = None
    # Acts on the running server after a change; ConfigError rolls the CONFIG SET back.
    apply: Optional[Callable[["Server"], None]] = None

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")

    def has(self, flag: str) -> bool:
        return flag in self.flags


# -- parsing helpers -----------------------------------------------------------------------

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
          "g": 1000**3, "gb": 1024**3}


def parse_memory(text: str) -> int:
    """Redis's memtoull: digits then an optional unit ('1gb' = 1024^3, '1g' = 10^9)."""
    m = re.fullmatch(r"(\d*)([^\d]*)", text)
    if text.startswith("-") or not m or m.group(2).lower() not in _UNITS:
        raise ConfigError(CONFIG_NOT_MEMORY)
    number = min(int(m.group(1) or 0), 2**64 - 1)     # strtoull saturates
    return (number * _UNITS[m.group(2).lower()]) % 2**64


def c_strtoll(text: str) -> tuple[int, str]:
    """C's strtoll in base 10: (value, unparsed rest); leading spaces and a sign allowed."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?\d+)", text)
    if not m:
        return 0, text
    return max(INT64_MIN, min(INT64_MAX, int(m.group(1)))), text[m.end():]


def _strict_float(text: str) -> Optional[float]:
    """Redis's string2d: a whole-string strtod without spaces; nan refused."""
    if not text or text[0].isspace() or text[-1].isspace():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def format_memory(value: int) -> str:
    """As CONFIG REWRITE writes sizes: gb, mb or kb when exact."""
    for unit, size in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


def _trim_double(value: float) -> str:
    """'%f' without trailing zeros (Redis's trimDoubleString)."""
    text = "%f" % value
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# -- numbers -------------------------------------------------------------------------------

def parse_number(directive: Directive, text: str) -> int:
    unit = directive.unit
    value: Optional[int] = None
    if unit.startswith("memory"):
        try:
            value = parse_memory(text)
        except ConfigError:
            value = None
    if value is None and unit == "memory%" and len(text) > 1 and text.endswith("%"):
        percent = string2ll(text[:-1].encode("utf-8", "surrogatepass"))
        if percent is not None and percent >= 0:
            value = -percent           # percentages are kept negative, as Redis does
    if value is None and unit == "octal":
        if re.fullmatch(r"[ \t]*[+-]?[0-7]+", text):
            value = int(text, 8)
    if value is None and not unit:
        value = string2ll(text.encode("utf-8", "surrogatepass"))
    if value is None:
        raise ConfigError({"memory%": CONFIG_NOT_MEMORY_OR_PERCENT, "memory": CONFIG_NOT_MEMORY,
                           "octal": CONFIG_NOT_OCTAL}.get(unit, CONFIG_NOT_INTEGER))
    low, high = directive.minimum, directive.maximum
    if unit == "memory%" and value < 0:
        if value < low:
            raise ConfigError(config_percent_too_low(-low))
    elif not low <= value <= high:
        if low >= 0 and value < 0:
            value += 2**64             # unsigned types see negative numbers as huge ones
        raise ConfigError(config_not_between(low, high, octal=unit == "octal"))
    return value


def show_number(directive: Directive, value: int) -> str:
    if directive.unit == "memory%" and value < 0:
        return f"{-value}%"
    if directive.unit == "octal":
        return "%o" % value
    return str(value)


# -- enums ---------------------------------------------------------------------------------

def parse_enum(directive: Directive, args: list[str]) -> str:
    """The enum's canonical name (bit flags for multi-word enums like shutdown-on-sigint)."""
    multi = directive.has(MULTI_ARG)
    value = 0
    ok = bool(args) and (multi or len(args) == 1)
    for arg in args if ok else ():
        matches = [v for name, v in directive.choices if name == arg.lower()]
        if not matches:
            ok = False
            break
        value |= matches[0]
    if not ok:
        names = ", ".join(name for name, _ in directive.choices)
        raise ConfigError(config_not_one_of(names))
    return enum_name(directive, value)


def enum_name(directive: Directive, value: int) -> str:
    for name, v in directive.choices:
        if v == value:
            return name
    names, rest = [], value
    for name, v in directive.choices:
        if v and v == rest & v:
            names.append(name)
            rest &= ~v
    return " ".join(names) if names and not rest else "unknown"


# -- the special directives ----------------------------------------------------------------

def _parse_save(args: list[str], current: Any, loading: Loading) -> list[tuple[int, int]]:
    """`save <seconds> <changes> ...`: [(seconds, changes)]. In a config file the first save
    line replaces the defaults and later ones add to it."""
    if args == [""]:
        return []
    if len(args) % 2:
        raise ConfigError(CONFIG_SAVE_PARAMS)
    pairs = []
    for i in range(0, len(args), 2):
        seconds, rest1 = c_strtoll(args[i])
        changes, rest2 = c_strtoll(args[i + 1])
        if rest1 or rest2 or seconds < 1 or changes < 0:
            raise ConfigError(CONFIG_SAVE_PARAMS)
        pairs.append((seconds, changes))
    if loading == "append":
        return list(current) + pairs
    return pairs


def _show_save(pairs: list[tuple[int, int]]) -> str:
    return " ".join(f"{s} {c}" for s, c in pairs)


def _rewrite_save(directive: Directive, pairs: list) -> list[tuple[str, bool]]:
    if not pairs:
        return [('save ""', True)]
    return [(f"save {s} {c}", True) for s, c in pairs]


OBUF_CLASSES = ("normal", "slave", "pubsub")
OBUF_DEFAULTS = {"normal": (0, 0, 0), "slave": (256 * 1024**2, 64 * 1024**2, 60),
                 "pubsub": (32 * 1024**2, 8 * 1024**2, 60)}


def _parse_obuf(args: list[str], current: Any, loading: Loading) -> dict:
    """`<class> <hard> <soft> <seconds> ...`: {class: (hard, soft, seconds)}, the classes not
    named keep their limits."""
    if len(args) % 4:
        raise ConfigError(CONFIG_OBUF_ARITY)
    limits = dict(current)
    for i in range(0, len(args), 4):
        cls = {"replica": "slave"}.get(args[i].lower(), args[i].lower())
        if cls not in OBUF_CLASSES:
            raise ConfigError(CONFIG_OBUF_CLASS)
        try:
            hard, soft = parse_memory(args[i + 1]), parse_memory(args[i + 2])
        except ConfigError:
            hard = soft = -1
        seconds, rest = c_strtoll(args[i + 3])
        if hard < 0 or soft < 0 or seconds < 0 or rest:
            raise ConfigError(CONFIG_OBUF_VALUES)
        limits[cls] = (hard, soft, seconds)
    return {cls: limits[cls] for cls in OBUF_CLASSES}


def _show_obuf(limits: dict) -> str:
    return " ".join(f"{cls} {h} {s} {sec}" for cls, (h, s, sec) in limits.items())


def _rewrite_obuf(directive: Directive, limits: dict) -> list[tuple[str, bool]]:
    """One line per class, needed when that class is not at its default."""
    return [(f"client-output-buffer-limit {'replica' if cls == 'slave' else cls} "
             f"{format_memory(h)} {format_memory(s)} {sec}", (h, s, sec) != OBUF_DEFAULTS[cls])
            for cls, (h, s, sec) in limits.items()]


def _parse_oom_values(args: list[str], current: Any, loading: Loading) -> list[int]:
    if len(args) != 3:
        raise ConfigError(WRONG_ARGUMENT_COUNT)
    values = []
    for arg in args:
        value, rest = c_strtoll(arg)
        if rest or not -2000 <= value <= 2000:
            raise ConfigError(CONFIG_OOM_SCORE)
        values.append(value)
    return values


NOTIFY_ALL = "g$lshzxetd"
NOTIFY_CLASSES = "g$lshzxetdnKEm"   # the stored order of the class letters


def _parse_notify(args: list[str], current: Any, loading: Loading) -> str:
    """The selected keyspace event classes, as letters in NOTIFY_CLASSES order."""
    if len(args) != 1:
        raise ConfigError(WRONG_ARGUMENT_COUNT)
    flags: set[str] = set()
    for ch in args[0]:
        if ch == "A":
            flags.update(NOTIFY_ALL)
        elif ch in NOTIFY_CLASSES:
            flags.add(ch)
        else:
            raise ConfigError(CONFIG_EVENT_CLASS)
    return "".join(c for c in NOTIFY_CLASSES if c in flags)


def _show_notify(flags: str) -> str:
    if all(c in flags for c in NOTIFY_ALL):
        text = "A"
    else:
        text = "".join(c for c in "g$lshzxetdn" if c in flags)
    return text + "".join(c for c in "KEm" if c in flags)


def _rewrite_notify(directive: Directive, flags: str) -> list[tuple[str, bool]]:
    return [(f"notify-keyspace-events {sds_repr(_show_notify(flags).encode())}", bool(flags))]


def _parse_bind(args: list[str], current: Any, loading: Loading) -> list[str]:
    if len(args) > MAX_BIND_ADDRESSES:
        raise ConfigError(CONFIG_TOO_MANY_BINDS)
    return [] if args == [""] else list(args)


def _rewrite_bind(directive: Directive, addresses: list) -> list[tuple[str, bool]]:
    if addresses == directive.default:
        return []
    return [("bind " + (" ".join(addresses) if addresses else '""'), True)]


def _parse_replicaof(args: list[str], current: Any, loading: Loading) -> str:
    """'' for a master, else 'host port'."""
    if len(args) != 2:
        raise ConfigError(WRONG_ARGUMENT_COUNT)
    if args[0].lower() == "no" and args[1].lower() == "one":
        return ""
    port, rest = c_strtoll(args[1])
    if rest or not 0 <= port <= 65535:
        raise ConfigError(CONFIG_MASTER_PORT)
    return f"{args[0]} {port}"


def _rewrite_replicaof(directive: Directive, value: str) -> list[tuple[str, bool]]:
    return [(f"replicaof {value}", True)] if value else []


def _parse_percentiles(args: list[str], current: Any, loading: Loading) -> list[float]:
    if args == [""]:
        return []
    values = []
    for arg in args:
        value = _strict_float(arg)
        if value is None:
            raise ConfigError(CONFIG_PERCENTILES)
        if not 0.0 <= value <= 100.0:
            raise ConfigError(CONFIG_PERCENTILES_RANGE)
        values.append(value)
    return values


def _show_percentiles(values: list[float]) -> str:
    return " ".join(_trim_double(v) for v in values)


def _rewrite_percentiles(directive: Directive, values: list) -> list[tuple[str, bool]]:
    text = _show_percentiles(values) if values else '""'
    return [(f"latency-tracking-info-percentiles {text}", True)]


def _parse_dir(args: list[str], current: Any, loading: Loading) -> str:
    """The directory; Config enters it (see Config._enter_dir)."""
    if len(args) != 1:
        raise ConfigError(WRONG_ARGUMENT_COUNT)
    return args[0]


def _rewrite_dir(directive: Directive, value: str) -> list[tuple[str, bool]]:
    return [(f"dir {sds_repr(value.encode(errors='surrogateescape'))}", True)]


# -- checks of single directives -----------------------------------------------------------

def _basename_check(what: str, kind: str = "filename", empty_ok: bool = False) -> Callable:
    def check(value: str) -> None:
        if not value and not empty_ok:
            raise ConfigError(config_empty(what))
        if "/" in value:
            raise ConfigError(config_path(what, kind))
    return check


def _check_hostname(value: str) -> None:
    if len(value) >= 256:
        raise ConfigError(CONFIG_HOSTNAME_LENGTH)
    if not re.fullmatch(r"[A-Za-z0-9.-]*", value):
        raise ConfigError(CONFIG_HOSTNAME_CHARACTERS)


PROC_TITLE_VARIABLES = ("title", "listen-addr", "server-mode", "config-file", "port",
                        "tls-port", "unixsocket")


def expand_proc_title(template: str, values: dict[str, str]) -> Optional[str]:
    """Redis's expandProcTitleTemplate: each {variable} replaced by its value, {{ for a
    brace, spaces trimmed; None for an unknown variable or a malformed template."""
    out, i = [], 0
    while i < len(template):
        start = template.find("{", i)
        if start < 0:
            out.append(template[i:])
            break
        out.append(template[i:start])
        if start + 1 >= len(template):
            return None
        if template[start + 1] == "{":
            out.append("{")
            i = start + 2
            continue
        end = template.find("}", start)
        if end < 0 or template[start + 1:end] not in values:
            return None
        out.append(values[template[start + 1:end]])
        i = end + 1
    return "".join(out).strip(" ")


def _check_proc_title(value: str) -> None:
    """Redis's validateProcTitleTemplate: known {variables}, and not empty with an empty
    title."""
    sample = dict.fromkeys(PROC_TITLE_VARIABLES, "x") | {"title": "", "server-mode": ""}
    if not expand_proc_title(value, sample):
        raise ConfigError(CONFIG_PROC_TITLE)


def _check_shutdown_flags(value: str) -> None:
    words = value.split()
    if "save" in words and "nosave" in words:
        raise ConfigError(CONFIG_SHUTDOWN_FLAGS)


# -- the table -----------------------------------------------------------------------------

def _bool(name: str, default: bool, *flags: str, alias: Optional[str] = None,
          apply: Optional[Callable] = None) -> Directive:
    return Directive(name, "bool", default, alias, flags, apply=apply)


def _str(name: str, default: str, *flags: str, alias: Optional[str] = None,
         check: Optional[Callable] = None, apply: Optional[Callable] = None) -> Directive:
    return Directive(name, "string", default, alias, flags, check=check, apply=apply)


def _int(name: str, low: int, high: int, default: int, *flags: str, unit: str = "",
         alias: Optional[str] = None, apply: Optional[Callable] = None) -> Directive:
    return Directive(name, "int", default, alias, flags, minimum=low, maximum=high, unit=unit,
                     apply=apply)


def _enum(name: str, choices: Any, default: str, *flags: str,
          check: Optional[Callable] = None, apply: Optional[Callable] = None) -> Directive:
    if isinstance(choices, str):
        choices = tuple((n, i) for i, n in enumerate(choices.split()))
    return Directive(name, "enum", default, None, flags, choices=choices, check=check,
                     apply=apply)


def _special(name: str, default: Any, parse: Callable, show: Callable, rewrite: Callable,
             *flags: str, alias: Optional[str] = None,
             apply: Optional[Callable] = None) -> Directive:
    return Directive(name, "special", default, alias, flags, parse=parse, show=show,
                     rewrite=rewrite, apply=apply)


# -- effects on the running server (the rows' `apply`) -------------------------------------

def _apply_requirepass(server: "Server") -> None:
    """requirepass is the default user's password."""
    server.acl.update_default_password()


def _apply_hz(server: "Server") -> None:
    server.hz = server.config.hz


def _apply_listeners(error: str) -> Callable[["Server"], None]:
    """port, bind: listen on the new addresses; the old listeners stay on failure."""
    def apply(server: "Server") -> None:
        if not server.rebind():
            raise ConfigError(error)
    return apply


def _apply_maxclients(server: "Server") -> None:
    server.raise_fd_limit()
    limit = server.fd_limit() - 32
    if limit < server.config.maxclients:
        raise ConfigError(config_maxclients(limit))


def _apply_proto_max_bulk_len(server: "Server") -> None:
    """The new limit holds for the next argument of every connection, as in Redis."""
    for client in server.clients.values():
        client.parser.set_max_bulk_len(server.config.proto_max_bulk_len)


def _apply_maxmemory_clients(server: "Server") -> None:
    """Client eviction on, off or to another limit: count every client again; those over
    the new limit are evicted at the end of this cycle."""
    server.client_eviction.recount()


def _apply_maxmemory(server: "Server") -> None:
    """Evict down to the new limit at once, even if no command comes."""
    maxmemory = server.config.maxmemory
    if not maxmemory:
        return
    if server.over_maxmemory():
        server.log_warning(
            f"WARNING: the new maxmemory value set via CONFIG SET ({maxmemory}) is smaller "
            f"than the current memory usage ({server.used_memory()}). This will result in key "
            "eviction and/or the inability to accept new write commands depending on the "
            "maxmemory-policy.")
    server.eviction.evict_in_background()


def apply_oom_score_adj(server: "Server") -> None:
    if not server.process.set_oom_score_adj():
        raise ConfigError(CONFIG_OOM_SCORE_FAILED)


def apply_proc_title(server: "Server") -> None:
    server.process.set_title()


def apply_crash_log(server: "Server") -> None:
    server.process.watch_crash_signals(server.config.crash_log_enabled)


def apply_watchdog_period(server: "Server") -> None:
    server.process.apply_watchdog_period()


def apply_maxmemory_policy(server: "Server") -> None:
    """Whether keys keep LFU counters (OBJECT FREQ) instead of access times, and whether
    every key keeps its access time (LRU eviction compares them)."""
    policy = server.config.maxmemory_policy
    server.keyspace.lfu = policy.endswith("-lfu")
    server.keyspace.lru = policy.endswith("-lru")


def apply_output_buffer_limits(server: "Server") -> None:
    """The reply size below which no client can be over a limit: adding replies checks the
    limits only past it."""
    limits = [v for cls in ("normal", "pubsub")
              for v in server.config.client_output_buffer_limit.get(cls, (0, 0, 0))[:2] if v]
    server.obuf_check_threshold = min(limits) if limits else float("inf")


def apply_slow_call_floor(server: "Server") -> None:
    """The shortest call (µs) the slow log or the latency monitor wants to hear of: the
    command path compares each call's duration with it alone. With the slow log on, Redis
    trims it to slowlog-max-len after every command, so at once after this one."""
    config = server.config
    floors = [LLONG_MAX]     # an int, as durations are: the cheapest comparison
    if config.slowlog_log_slower_than >= 0:
        floors.append(config.slowlog_log_slower_than)
        server.slowlog.trim()
    if config.latency_monitor_threshold:
        floors.append(config.latency_monitor_threshold * 1000)
    server.slow_call_floor = min(floors)


def _apply_appendonly(server: "Server") -> None:
    """appendonly at run time: on starts a rewrite (the AOF is on once it is done)."""
    aof = server.aof
    if not server.config.appendonly and aof.state != "off":
        aof.stop()
    elif server.config.appendonly and aof.state == "off" and not aof.start():
        raise ConfigError("Unable to turn on AOF. Check server logs.")


def _apply_appendfsync(server: "Server") -> None:
    server.aof.update_barrier()


def _apply_aof_auto_gc(server: "Server") -> None:
    if not server.config.aof_disable_auto_gc:
        server.aof.delete_history_files()


def _apply_notify(server: "Server") -> None:
    server.notifications.configure()


def _apply_backlog_size(server: "Server") -> None:
    server.replication.resize_backlog()


def _apply_min_replicas(server: "Server") -> None:
    server.replication.refresh_good_replicas()


MAXMEMORY_POLICIES = ("volatile-lru volatile-lfu volatile-random volatile-ttl allkeys-lru "
                      "allkeys-lfu allkeys-random noeviction")
_PROTECTED_ACTION = "no yes local"
_SHUTDOWN_FLAGS = (("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8))
_OOM_SCORE_ADJ = (("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2))
_MEM, _MEMP, _OCT = "memory", "memory%", "octal"

DIRECTIVES: list[Directive] = [
    # general
    _bool("daemonize", False, IMMUTABLE),
    _enum("supervised", "upstart systemd auto no", "no", IMMUTABLE),
    _str("pidfile", "", IMMUTABLE, NULLABLE),
    _enum("loglevel", "debug verbose notice warning", "notice"),
    _str("logfile", "", IMMUTABLE),
    _bool("syslog-enabled", False, IMMUTABLE),
    _str("syslog-ident", "redis", IMMUTABLE),
    _enum("syslog-facility", "user local0 local1 local2 local3 local4 local5 local6 local7",
          "local0", IMMUTABLE),
    _int("databases", 1, INT_MAX, 16, IMMUTABLE),
    _bool("always-show-logo", False, IMMUTABLE),
    _bool("set-proc-title", True, IMMUTABLE),
    _str("proc-title-template", "{title} {listen-addr} {server-mode}", check=_check_proc_title,
         apply=apply_proc_title),
    _bool("crash-log-enabled", True, apply=apply_crash_log),
    _bool("crash-memcheck-enabled", True),
    _bool("use-exit-on-panic", False, HIDDEN),
    _int("watchdog-period", 0, INT_MAX, 0, HIDDEN, apply=apply_watchdog_period),
    _enum("enable-protected-configs", _PROTECTED_ACTION, "no", IMMUTABLE),
    _enum("enable-debug-command", _PROTECTED_ACTION, "no", IMMUTABLE),
    _enum("enable-module-command", _PROTECTED_ACTION, "no", IMMUTABLE),
    _int("hz", 0, INT_MAX, 10, apply=_apply_hz),
    _bool("dynamic-hz", True),
    _int("io-threads", 1, 128, 1, IMMUTABLE),
    _bool("io-threads-do-reads", False, IMMUTABLE),
    _str("server_cpulist", "", IMMUTABLE, NULLABLE),
    _str("bio_cpulist", "", IMMUTABLE, NULLABLE),
    _str("aof_rewrite_cpulist", "", IMMUTABLE, NULLABLE),
    _str("bgsave_cpulist", "", IMMUTABLE, NULLABLE),
    _str("ignore-warnings", ""),
    _enum("shutdown-on-sigint", _SHUTDOWN_FLAGS, "default", MULTI_ARG,
          check=_check_shutdown_flags),
    _enum("shutdown-on-sigterm", _SHUTDOWN_FLAGS, "default", MULTI_ARG,
          check=_check_shutdown_flags),
    _int("shutdown-timeout", 0, INT_MAX, 10),
    # network
    _special("bind", ["127.0.0.1", "-::1"], _parse_bind, " ".join, _rewrite_bind, MULTI_ARG,
             apply=_apply_listeners(CONFIG_BIND_FAILED)),
    _str("bind-source-addr", "", NULLABLE),
    _int("port", 0, 65535, 6379,
         apply=_apply_listeners(CONFIG_LISTEN_FAILED)),
    _int("tcp-backlog", 0, INT_MAX, 511, IMMUTABLE),
    _str("unixsocket", "", IMMUTABLE, NULLABLE),
    _int("unixsocketperm", 0, 0o777, 0, IMMUTABLE, unit=_OCT),
    _int("socket-mark-id", 0, UINT_MAX, 0, IMMUTABLE),
    _int("timeout", 0, INT_MAX, 0),
    _int("tcp-keepalive", 0, INT_MAX, 300),
    _bool("protected-mode", True),
    _int("maxclients", 1, UINT_MAX, 10000, apply=_apply_maxclients),
    # snapshotting and append only file
    _special("save", [(3600, 1), (300, 100), (60, 10000)], _parse_save, _show_save,
             _rewrite_save, MULTI_ARG),
    _bool("stop-writes-on-bgsave-error", True),
    _bool("rdbcompression", True),
    _bool("rdbchecksum", True, IMMUTABLE),
    _str("dbfilename", "dump.rdb", PROTECTED, check=_basename_check("dbfilename",
                                                                     empty_ok=True)),
    _bool("rdb-del-sync-files", False),
    _bool("rdb-save-incremental-fsync", True),
    _int("rdb-key-save-delay", INT_MIN, INT_MAX, 0, HIDDEN),
    _int("key-load-delay", INT_MIN, INT_MAX, 0, HIDDEN),
    _int("loading-process-events-interval-bytes", 1024, INT_MAX, 2 * 1024 * 1024, HIDDEN),
    _enum("sanitize-dump-payload", "no yes clients", "no"),
    _special("dir", "", _parse_dir, str, _rewrite_dir, PROTECTED, DENY_LOADING),
    _bool("appendonly", False, DENY_LOADING, apply=_apply_appendonly),
    _str("appendfilename", "appendonly.aof", IMMUTABLE,
         check=_basename_check("appendfilename")),
    _str("appenddirname", "appendonlydir", IMMUTABLE,
         check=_basename_check("appenddirname", "dirname")),
    _enum("appendfsync", "everysec always no", "everysec", apply=_apply_appendfsync),
    _bool("no-appendfsync-on-rewrite", False),
    _int("auto-aof-rewrite-percentage", 0, INT_MAX, 100),
    _int("auto-aof-rewrite-min-size", 0, LLONG_MAX, 64 * 1024 * 1024, unit=_MEM),
    _bool("aof-load-truncated", True),
    _bool("aof-use-rdb-preamble", True),
    _bool("aof-timestamp-enabled", False),
    _bool("aof-rewrite-incremental-fsync", True),
    _bool("aof-disable-auto-gc", False, apply=_apply_aof_auto_gc),
    # replication
    _special("replicaof", "", _parse_replicaof, str, _rewrite_replicaof, IMMUTABLE, MULTI_ARG,
             alias="slaveof"),
    _str("masterauth", "", SENSITIVE, NULLABLE),
    _str("masteruser", "", SENSITIVE, NULLABLE),
    _bool("replica-serve-stale-data", True, alias="slave-serve-stale-data"),
    _bool("replica-read-only", True, alias="slave-read-only"),
    _bool("repl-diskless-sync", True),
    _int("repl-diskless-sync-delay", 0, INT_MAX, 5),
    _int("repl-diskless-sync-max-replicas", 0, INT_MAX, 0),
    _enum("repl-diskless-load", "disabled on-empty-db swapdb", "disabled", DENY_LOADING),
    _int("repl-ping-replica-period", 1, INT_MAX, 10, alias="repl-ping-slave-period"),
    _int("repl-timeout", 1, INT_MAX, 60),
    _bool("repl-disable-tcp-nodelay", False),
    _int("repl-backlog-size", 1, LLONG_MAX, 1024 * 1024, unit=_MEM,
         apply=_apply_backlog_size),
    _int("repl-backlog-ttl", 0, LONG_MAX, 3600),
    _int("replica-priority", 0, INT_MAX, 100, alias="slave-priority"),
    _bool("replica-announced", True),
    _int("min-replicas-to-write", 0, INT_MAX, 0, alias="min-slaves-to-write",
         apply=_apply_min_replicas),
    _int("min-replicas-max-lag", 0, INT_MAX, 10, alias="min-slaves-max-lag",
         apply=_apply_min_replicas),
    _str("replica-announce-ip", "", NULLABLE, alias="slave-announce-ip"),
    _int("replica-announce-port", 0, 65535, 0, alias="slave-announce-port"),
    _bool("replica-lazy-flush", False, alias="slave-lazy-flush"),
    _bool("replica-ignore-maxmemory", True, alias="slave-ignore-maxmemory"),
    _bool("replica-ignore-disk-write-errors", False),
    _enum("propagation-error-behavior", "ignore panic panic-on-replicas", "ignore"),
    # security
    _str("requirepass", "", SENSITIVE, NULLABLE, apply=_apply_requirepass),
    _str("aclfile", "", IMMUTABLE),
    _int("acllog-max-len", 0, LONG_MAX, 128),
    _enum("acl-pubsub-default", (("allchannels", 1), ("resetchannels", 0)), "resetchannels"),
    # memory management
    _int("maxmemory", 0, ULLONG_MAX, 0, unit=_MEM, apply=_apply_maxmemory),
    _enum("maxmemory-policy", MAXMEMORY_POLICIES, "noeviction", apply=apply_maxmemory_policy),
    _int("maxmemory-samples", 1, INT_MAX, 5),
    _int("maxmemory-eviction-tenacity", 0, 100, 10),
    _int("maxmemory-clients", -100, SSIZE_MAX, 0, unit=_MEMP, apply=_apply_maxmemory_clients),
    _bool("lazyfree-lazy-eviction", False),
    _bool("lazyfree-lazy-expire", False),
    _bool("lazyfree-lazy-server-del", False),
    _bool("lazyfree-lazy-user-del", False),
    _bool("lazyfree-lazy-user-flush", False),
    _int("active-expire-effort", 1, 10, 1),
    _bool("activerehashing", True),
    _bool("activedefrag", False),
    _int("active-defrag-ignore-bytes", 1, LLONG_MAX, 100 * 1024 * 1024, unit=_MEM),
    _int("active-defrag-threshold-lower", 0, 1000, 10),
    _int("active-defrag-threshold-upper", 0, 1000, 100),
    _int("active-defrag-cycle-min", 1, 99, 1),
    _int("active-defrag-cycle-max", 1, 99, 25),
    _int("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    _bool("jemalloc-bg-thread", True),
    _enum("oom-score-adj", _OOM_SCORE_ADJ, "no", apply=apply_oom_score_adj),
    _special("oom-score-adj-values", [0, 200, 800], _parse_oom_values,
             lambda v: " ".join(map(str, v)),
             lambda d, v: [("oom-score-adj-values " + " ".join(map(str, v)), v != d.default)],
             MULTI_ARG, apply=apply_oom_score_adj),
    _bool("disable-thp", True, IMMUTABLE),
    _int("lfu-log-factor", 0, INT_MAX, 10),
    _int("lfu-decay-time", 0, INT_MAX, 1),
    # limits
    _int("proto-max-bulk-len", 1024 * 1024, LONG_MAX, 512 * 1024 * 1024, unit=_MEM,
         apply=_apply_proto_max_bulk_len),
    _int("client-query-buffer-limit", 1024 * 1024, LONG_MAX, 1024**3, unit=_MEM),
    _special("client-output-buffer-limit", OBUF_DEFAULTS, _parse_obuf, _show_obuf,
             _rewrite_obuf, MULTI_ARG, apply=apply_output_buffer_limits),
    _int("busy-reply-threshold", 0, LONG_MAX, 5000, alias="lua-time-limit"),
    # slow log, latency, tracking, notifications
    _int("slowlog-log-slower-than", -1, LLONG_MAX, 10000, apply=apply_slow_call_floor),
    _int("slowlog-max-len", 0, LONG_MAX, 128, apply=apply_slow_call_floor),
    _int("latency-monitor-threshold", 0, LLONG_MAX, 0, apply=apply_slow_call_floor),
    _bool("latency-tracking", True),
    _special("latency-tracking-info-percentiles", [50.0, 99.0, 99.9], _parse_percentiles,
             _show_percentiles, _rewrite_percentiles, MULTI_ARG),
    _special("notify-keyspace-events", "", _parse_notify, _show_notify, _rewrite_notify,
             apply=_apply_notify),
    _int("tracking-table-max-keys", 0, LONG_MAX, 1000000),
    # encodings
    _int("hash-max-listpack-entries", 0, LONG_MAX, 512, alias="hash-max-ziplist-entries"),
    _int("hash-max-listpack-value", 0, LONG_MAX, 64, unit=_MEM,
         alias="hash-max-ziplist-value"),
    _int("list-max-listpack-size", INT_MIN, INT_MAX, -2, alias="list-max-ziplist-size"),
    _int("list-compress-depth", 0, INT_MAX, 0),
    _int("set-max-intset-entries", 0, LONG_MAX, 512),
    _int("zset-max-listpack-entries", 0, LONG_MAX, 128, alias="zset-max-ziplist-entries"),
    _int("zset-max-listpack-value", 0, LONG_MAX, 64, unit=_MEM,
         alias="zset-max-ziplist-value"),
    _int("hll-sparse-max-bytes", 0, LONG_MAX, 3000, unit=_MEM),
    _int("stream-node-max-bytes", 0, LONG_MAX, 4096, unit=_MEM),
    _int("stream-node-max-entries", 0, LLONG_MAX, 100),
    # cluster (pyredis runs standalone: cluster-enabled stays no)
    _bool("cluster-enabled", False, IMMUTABLE),
    _str("cluster-config-file", "nodes.conf", IMMUTABLE),
    _int("cluster-port", 0, 65535, 0, IMMUTABLE),
    _int("cluster-node-timeout", 0, LLONG_MAX, 15000),
    _int("cluster-replica-validity-factor", 0, INT_MAX, 10,
         alias="cluster-slave-validity-factor"),
    _int("cluster-migration-barrier", 0, INT_MAX, 1),
    _bool("cluster-allow-replica-migration", True),
    _bool("cluster-require-full-coverage", True),
    _bool("cluster-replica-no-failover", False, alias="cluster-slave-no-failover"),
    _bool("cluster-allow-reads-when-down", False),
    _bool("cluster-allow-pubsubshard-when-down", True),
    _int("cluster-link-sendbuf-limit", 0, ULLONG_MAX, 0, unit=_MEM),
    _str("cluster-announce-ip", "", NULLABLE),
    _str("cluster-announce-hostname", "", NULLABLE, check=_check_hostname),
    _int("cluster-announce-port", 0, 65535, 0),
    _int("cluster-announce-bus-port", 0, 65535, 0),
    _int("cluster-announce-tls-port", 0, 65535, 0),
    _enum("cluster-preferred-endpoint-type", "ip hostname unknown-endpoint", "ip"),
]

BY_NAME: dict[str, Directive] = {}
for _d in DIRECTIVES:
    BY_NAME[_d.name] = _d
    if _d.alias:
        BY_NAME[_d.alias] = _d

# Directives redis.conf may still hold that Redis reads and ignores (name -> arg count).
DEPRECATED = {"list-max-ziplist-entries": 1, "list-max-ziplist-value": 1,
              "lua-replicate-commands": 1}


def lookup(name: str) -> Optional[Directive]:
    return BY_NAME.get(name.lower())


def parse_value(directive: Directive, args: list[str], current: Any = None,
                loading: Loading = False) -> Any:
    """Turn a directive's argument(s) into its typed value, or raise ConfigError."""
    kind = directive.kind
    if kind == "special":
        return directive.parse(args, current, loading)  # type: ignore[misc]  # special ones have it
    value: Any
    if kind == "enum":
        value = parse_enum(directive, args)
    else:
        text = args[0]
        if kind == "bool":
            if text.lower() not in ("yes", "no"):
                raise ConfigError(CONFIG_NOT_YES_NO)
            value = text.lower() == "yes"
        elif kind == "int":
            value = parse_number(directive, text)
        else:
            value = text
    if directive.check is not None:
        directive.check(value)
    if directive.name == "hz":
        value = max(MIN_HZ, min(MAX_HZ, value))   # a hint: out of range values are capped
    return value


def show_value(directive: Directive, value: Any) -> str:
    """The value as CONFIG GET shows it."""
    kind = directive.kind
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "int":
        return show_number(directive, value)
    if kind == "special":
        return directive.show(value)  # type: ignore[misc]  # special ones have it
    return value


def _rewrite_lines(directive: Directive, value: Any) -> list[tuple[str, bool]]:
    """The lines CONFIG REWRITE writes for a directive, each with whether it is needed even
    when the file does not mention it (the value is not the default)."""
    name, kind = directive.name, directive.kind
    if kind == "special":
        return directive.rewrite(directive, value)  # type: ignore[misc]  # special ones have it
    if kind == "string":
        if not value and directive.has(NULLABLE):
            return []
        return [(f"{name} {sds_repr(value.encode(errors='surrogateescape'))}",
                 value != directive.default)]
    if kind == "int":
        if directive.unit == "memory%" and value < 0:
            text = f"{-value}%"
        elif directive.unit.startswith("memory"):
            text = format_memory(value)
        else:
            text = show_number(directive, value)
        return [(f"{name} {text}", value != directive.default)]
    return [(f"{name} {show_value(directive, value)}", value != directive.default)]


class ConfigSetError(ConfigError):
    """CONFIG SET refused: the text is Redis's whole error message (without ERR)."""


class Config:
    """The live configuration: one attribute per directive, plus where it was read from."""

    # One attribute per directive, in DIRECTIVES order: __init__ sets them from the table;
    # declared here so that their readers are type-checked.
    daemonize: bool
    supervised: str
    pidfile: str
    loglevel: str
    logfile: str
    syslog_enabled: bool
    syslog_ident: str
    syslog_facility: str
    databases: int
    always_show_logo: bool
    set_proc_title: bool
    proc_title_template: str
    crash_log_enabled: bool
    crash_memcheck_enabled: bool
    use_exit_on_panic: bool
    watchdog_period: int
    enable_protected_configs: str
    enable_debug_command: str
    enable_module_command: str
    hz: int
    dynamic_hz: bool
    io_threads: int
    io_threads_do_reads: bool
    server_cpulist: str
    bio_cpulist: str
    aof_rewrite_cpulist: str
    bgsave_cpulist: str
    ignore_warnings: str
    shutdown_on_sigint: str
    shutdown_on_sigterm: str
    shutdown_timeout: int
    bind: list[str]
    bind_source_addr: str
    port: int
    tcp_backlog: int
    unixsocket: str
    unixsocketperm: int
    socket_mark_id: int
    timeout: int
    tcp_keepalive: int
    protected_mode: bool
    maxclients: int
    save: list[tuple[int, int]]
    stop_writes_on_bgsave_error: bool
    rdbcompression: bool
    rdbchecksum: bool
    dbfilename: str
    rdb_del_sync_files: bool
    rdb_save_incremental_fsync: bool
    rdb_key_save_delay: int
    key_load_delay: int
    loading_process_events_interval_bytes: int
    sanitize_dump_payload: str
    dir: str
    appendonly: bool
    appendfilename: str
    appenddirname: str
    appendfsync: str
    no_appendfsync_on_rewrite: bool
    auto_aof_rewrite_percentage: int
    auto_aof_rewrite_min_size: int
    aof_load_truncated: bool
    aof_use_rdb_preamble: bool
    aof_timestamp_enabled: bool
    aof_rewrite_incremental_fsync: bool
    aof_disable_auto_gc: bool
    replicaof: str
    masterauth: str
    masteruser: str
    replica_serve_stale_data: bool
    replica_read_only: bool
    repl_diskless_sync: bool
    repl_diskless_sync_delay: int
    repl_diskless_sync_max_replicas: int
    repl_diskless_load: str
    repl_ping_replica_period: int
    repl_timeout: int
    repl_disable_tcp_nodelay: bool
    repl_backlog_size: int
    repl_backlog_ttl: int
    replica_priority: int
    replica_announced: bool
    min_replicas_to_write: int
    min_replicas_max_lag: int
    replica_announce_ip: str
    replica_announce_port: int
    replica_lazy_flush: bool
    replica_ignore_maxmemory: bool
    replica_ignore_disk_write_errors: bool
    propagation_error_behavior: str
    requirepass: str
    aclfile: str
    acllog_max_len: int
    acl_pubsub_default: str
    maxmemory: int
    maxmemory_policy: str
    maxmemory_samples: int
    maxmemory_eviction_tenacity: int
    maxmemory_clients: int
    lazyfree_lazy_eviction: bool
    lazyfree_lazy_expire: bool
    lazyfree_lazy_server_del: bool
    lazyfree_lazy_user_del: bool
    lazyfree_lazy_user_flush: bool
    active_expire_effort: int
    activerehashing: bool
    activedefrag: bool
    active_defrag_ignore_bytes: int
    active_defrag_threshold_lower: int
    active_defrag_threshold_upper: int
    active_defrag_cycle_min: int
    active_defrag_cycle_max: int
    active_defrag_max_scan_fields: int
    jemalloc_bg_thread: bool
    oom_score_adj: str
    oom_score_adj_values: list[int]
    disable_thp: bool
    lfu_log_factor: int
    lfu_decay_time: int
    proto_max_bulk_len: int
    client_query_buffer_limit: int
    client_output_buffer_limit: dict[str, tuple[int, int, int]]
    busy_reply_threshold: int
    slowlog_log_slower_than: int
    slowlog_max_len: int
    latency_monitor_threshold: int
    latency_tracking: bool
    latency_tracking_info_percentiles: list[float]
    notify_keyspace_events: str
    tracking_table_max_keys: int
    hash_max_listpack_entries: int
    hash_max_listpack_value: int
    list_max_listpack_size: int
    list_compress_depth: int
    set_max_intset_entries: int
    zset_max_listpack_entries: int
    zset_max_listpack_value: int
    hll_sparse_max_bytes: int
    stream_node_max_bytes: int
    stream_node_max_entries: int
    cluster_enabled: bool
    cluster_config_file: str
    cluster_port: int
    cluster_node_timeout: int
    cluster_replica_validity_factor: int
    cluster_migration_barrier: int
    cluster_allow_replica_migration: bool
    cluster_require_full_coverage: bool
    cluster_replica_no_failover: bool
    cluster_allow_reads_when_down: bool
    cluster_allow_pubsubshard_when_down: bool
    cluster_link_sendbuf_limit: int
    cluster_announce_ip: str
    cluster_announce_hostname: str
    cluster_announce_port: int
    cluster_announce_bus_port: int
    cluster_announce_tls_port: int
    cluster_preferred_endpoint_type: str

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
        # The running server changes act on (through the directives' apply), once there is one.
        self.server: Optional["Server"] = None
        self._save_loaded = False
        # The `user` lines, checked, each [name, rule...]: loaded once the server exists.
        self.users_to_load: list[list[bytes]] = []
        # rename-command lines: (old name, new name or b"" to remove the command), in order.
        self.renamed_commands: list[tuple[bytes, bytes]] = []

    def get(self, name: str) -> Any:
        return getattr(self, BY_NAME[name.lower()].attr)

    def set(self, name: str, args: list[str]) -> None:
        """Set one directive from its words, as a config file line does."""
        directive = BY_NAME[name.lower()]
        self._assign(directive, parse_value(directive, args, self.get(name)))
        self._apply(directive)

    def _apply(self, directive: Directive) -> None:
        """Let a change act on the running server; ConfigError: it refused."""
        if directive.apply is not None and self.server is not None:
            directive.apply(self.server)

    def _assign(self, directive: Directive, value: Any) -> None:
        if directive.name == "dir":
            value = self._enter_dir(value)
        setattr(self, directive.attr, value)

    def _enter_dir(self, path: str) -> str:
        """`dir` changes the process's working directory, as in Redis, unless `chdir` is
        off (a server embedded in another program): then persistence finds its files at
        os.path.join(config.dir, name)."""
        try:
            if self.chdir:
                os.chdir(path)
                return os.getcwd()
            os.listdir(path)       # the same errors as chdir, without moving
            return os.path.abspath(path)
        except OSError as exc:
            raise ConfigError(exc.strerror or str(exc)) from None

    def show(self, name: str) -> str:
        directive = BY_NAME[name.lower()]
        if directive.name == "dir" and self.chdir:
            return os.getcwd()
        return show_value(directive, getattr(self, directive.attr))

    # -- CONFIG GET / SET ------------------------------------------------------------------

    def matching(self, patterns: list[str]) -> dict[str, str]:
        """CONFIG GET: each exact name (as given) or glob pattern's matches (hidden
        directives only by exact name), with values as text, without repeats."""
        found: dict[str, Directive] = {}
        for pattern in patterns:
            if not any(c in pattern for c in "[*?"):
                directive = lookup(pattern)
                if directive is not None and pattern not in found:
                    found[pattern] = directive
                continue
            raw = pattern.encode(errors="surrogateescape")
            for name, directive in BY_NAME.items():
                if directive.has(HIDDEN) or name in found:
                    continue
                if glob_match(raw, name.encode(), nocase=True):
                    found[name] = directive
        return {name: self.show(d.name) for name, d in found.items()}

    def set_many(self, pairs: list[tuple[str, str]], allow_protected: bool = True,
                 loading: bool = False) -> None:
        """CONFIG SET name value [name value ...]: all or nothing. Checks every name, then
        parses every value, then assigns and lets the server act on each change; any
        failure restores the old values. Raises ConfigSetError with Redis's message."""
        unknown = error = None
        deny_loading = False
        chosen: list[Directive] = []
        for name, _ in pairs:
            directive = lookup(name)
            if directive is None:
                unknown = unknown or name
                continue
            if unknown or error:
                continue
            if directive.has(IMMUTABLE):
                error = (name, "can't set immutable config")
            elif directive.has(PROTECTED) and not allow_protected:
                error = (name, "can't set protected config")
            elif loading and directive.has(DENY_LOADING):
                deny_loading = True
            elif directive in chosen:
                error = (name, "duplicate parameter")
            chosen.append(directive)
        if deny_loading and not unknown:
            raise ConfigSetError(LOADING)
        if unknown:
            raise ConfigSetError(config_unknown_option(unknown))
        if error:
            raise ConfigSetError(config_set_failed(*error))
        old = {d.name: getattr(self, d.attr) for d in chosen}
        changed: list[Directive] = []
        try:
            for directive, (_, text) in zip(chosen, pairs):
                args = text.split(" ") if directive.has(MULTI_ARG) else [text]
                try:
                    value = parse_value(directive, args, getattr(self, directive.attr))
                    if value != getattr(self, directive.attr) or directive.name == "dir":
                        self._assign(directive, value)
                        changed.append(directive)
                except ConfigError as exc:
                    raise ConfigSetError(config_set_failed(directive.name, exc)) from None
            for directive in changed:
                try:
                    self._apply(directive)
                except ConfigError as exc:
                    raise ConfigSetError(config_set_failed(directive.name, exc)) from None
        except ConfigSetError:
            for directive in changed:
                try:
                    self._assign(directive, old[directive.name])
                except ConfigError:
                    pass
            for directive in changed:
                try:
                    self._apply(directive)
                except ConfigError:
                    pass
            raise

    # -- files -----------------------------------------------------------------------------

    def load_text(self, text: str) -> None:
        """Apply redis.conf text; raises ConfigFileError with Redis's fatal message."""
        for lineno, raw in enumerate(text.split("\n"), 1):
            line = raw.strip(" \t\r\n")
            if not line or line.startswith("#"):
                continue
            words = split_args(line.encode(errors="surrogateescape"))
            if words is None:
                raise ConfigFileError(lineno, line, "Unbalanced quotes in configuration line")
            if not words:
                continue
            name = words[0].decode(errors="surrogateescape").lower()
            args = [w.decode(errors="surrogateescape") for w in words[1:]]
            directive = lookup(name)
            try:
                if directive is not None:
                    self._load_directive(directive, args)
                elif DEPRECATED.get(name) == len(args):
                    continue
                elif name == "include" and len(args) == 1:
                    self._include(args[0])
                elif name == "user" and args:
                    self._add_user(words)
                elif name == "rename-command" and len(args) == 2:
                    self._rename_command(words[1], words[2])
                else:
                    raise ConfigError(CONFIG_BAD_DIRECTIVE)
            except ConfigFileError:
                raise
            except ConfigError as exc:
                raise ConfigFileError(lineno, line, str(exc)) from None

    def _load_directive(self, directive: Directive, args: list[str]) -> None:
        if not directive.has(MULTI_ARG):
            if len(args) != 1:
                raise ConfigError(WRONG_ARGUMENT_COUNT)
        elif len(args) == 1 and args[0]:
            # One word holding several: `--save "100 10 200 20"`.
            args = [w.decode(errors="surrogateescape")
                    for w in split_args(args[0].encode(errors="surrogateescape")) or []]
        mode: Loading = False
        if directive.name == "save":
            mode = "append" if self._save_loaded else False
            self._save_loaded = True
        value = parse_value(directive, args, getattr(self, directive.attr), mode)
        self._assign(directive, value)

    def _rename_command(self, old: bytes, new: bytes) -> None:
        """rename-command: checked against the commands as earlier lines left them."""
        from . import commands
        commands.load_all()
        names = set(commands.renamed_table(self.renamed_commands))
        if old.lower() not in names:
            raise ConfigError("No such command in rename-command")
        if new and new.lower() in names - {old.lower()}:
            raise ConfigError("Target command name already exists")
        self.renamed_commands.append((old, new))

    def _add_user(self, words: list[bytes]) -> None:
        """A `user` line, checked now and loaded with the server (Redis's
        ACLAppendUserForLoading)."""
        from .acl import MSG_EALREADY, AclConfigError, validate_user_line
        if any(line[0] == words[1] for line in self.users_to_load):
            raise ConfigError("Error in user declaration '%s': %s" % (
                words[1].decode(errors="surrogateescape"), MSG_EALREADY))
        try:
            rules = validate_user_line(words, self.acl_pubsub_default == "allchannels")
        except AclConfigError as exc:
            raise ConfigError("Error in user declaration '%s': %s" % (
                words[exc.index].decode(errors="surrogateescape"), exc)) from None
        self.users_to_load.append([words[1], *rules])

    def _include(self, pattern: str) -> None:
        import glob as globmod
        if any(c in pattern for c in "*?["):
            paths = sorted(globmod.glob(pattern))
        else:
            paths = [pattern]
        for path in paths:
            try:
                with open(path) as f:
                    content = f.read()
            except OSError as exc:
                raise SystemExit(f"Fatal error, can't open config file '{path}': "
                                 f"{exc.strerror}") from None
            self.load_text(content)

    def rewrite(self, force_all: bool = False) -> None:
        """CONFIG REWRITE: rewrite the config file in place with the current values, keeping
        comments, unknown lines and order; values at their default are written only when the
        file already mentions them (or with force_all)."""
        if not self.config_file:
            raise ConfigError(CONFIG_NO_FILE)
        path = self.config_file
        try:
            with open(path) as f:
                text = f.read()
            old_lines = text.split("\n") if text else []
        except FileNotFoundError:
            old_lines = []
        marker = "# Generated by CONFIG REWRITE"
        lines: list[str] = []
        where: dict[str, list[int]] = {}     # directive -> its line numbers in the old file
        needs_marker = True
        for raw in old_lines:
            line = raw.strip("\r\n\t ")
            if not line or line.startswith("#"):
                if line == marker:
                    needs_marker = False
                lines.append(line)
                continue
            words = split_args(line.encode(errors="surrogateescape"))
            name = words[0].decode(errors="surrogateescape").lower() if words else ""
            directive = lookup(name) if words else None
            if directive is None and name not in ("include", "rename-command", "user",
                                                  "loadmodule", "sentinel"):
                lines.append("# ??? " + line)
                continue
            where.setdefault(directive.name if directive else name, []).append(len(lines))
            lines.append(line)
        processed: set[str] = {"user", "loadmodule"}
        if self.server is not None and not self.aclfile:
            # The users as they are now, at the place of the `user` lines.
            for described in self.server.acl.user_lines():
                slots = where.get("user")
                text = described.decode(errors="surrogateescape")
                if slots:
                    lines[slots.pop(0)] = text
                else:
                    if needs_marker:
                        lines.append(marker)
                        needs_marker = False
                    lines.append(text)
        for directive in DIRECTIVES:
            processed.add(directive.name)
            for new, force in _rewrite_lines(directive, getattr(self, directive.attr)):
                slots = where.get(directive.name)
                if slots:
                    lines[slots.pop(0)] = new
                elif force or force_all:
                    if needs_marker:
                        lines.append(marker)
                        needs_marker = False
                    lines.append(new)
        for name, slots in where.items():
            if name in processed:
                for index in slots:
                    lines[index] = ""
        out: list[str] = []
        for line in lines:
            if line == "" and out and out[-1] == "":
                continue
            out.append(line)
        content = "".join(line + "\n" for line in out)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", dir=directory)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644 & ~_umask())
            os.replace(tmp, path)
        except OSError:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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

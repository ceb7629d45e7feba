"""Access control lists (Redis's acl.c): users, their selectors, the permission checks of
the command path, the ACL log, and the ACL file.

A user holds passwords (SHA-256 hex digests) and selectors. A selector allows commands (a
set of full command names of the Redis 7.0 table, "config|get" for a subcommand), key
patterns with read and write permissions, and channel patterns; a command may run when
one of the user's selectors allows it with all its keys and channels. The first selector is
the user's root one (the rules given outside parentheses).

The command path asks only `client.user.unrestricted` for a user that may do everything
(the default user as it starts), so that ACL costs one attribute test per request.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from .commands import TABLE, Command
from .errors import c_text
from .glob import glob_match
from .protocol.parse import split_args

if TYPE_CHECKING:
    from .client import Client
    from .server import Server

# The categories in Redis's order (ACL CAT, and the order in which the rules describing a
# user's commands are tried).
CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
              "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
              "blocking", "dangerous", "connection", "transaction", "scripting")

# Every command of the Redis 7.0 table, containers first and each followed by its
# subcommands: ACL rules name commands of that table, implemented here or not, as Redis does.
TOP_LEVEL = [name for name in TABLE if "|" not in name]
SUBCOMMANDS: dict[str, list[str]] = {
    name: list(TABLE[name].entry.get("subcommands", ())) for name in TOP_LEVEL}
ALL_COMMANDS = frozenset(TABLE)
CATEGORY_MEMBERS = {category: frozenset(name for name, cmd in TABLE.items()
                                        if category in cmd.acl_categories)
                    for category in CATEGORIES}
# What +@category / -@category changes: its commands, and every subcommand of a container
# in it.
CATEGORY_REACH = {category: members | frozenset(sub for name in members
                                                for sub in SUBCOMMANDS.get(name, ()))
                  for category, members in CATEGORY_MEMBERS.items()}

# Results of a check, valued as Redis's (the highest denial is the one reported).
OK, DENIED_CMD, DENIED_KEY, DENIED_AUTH, DENIED_CHANNEL = 0, 1, 2, 3, 4
REASONS = {DENIED_CMD: b"command", DENIED_KEY: b"key", DENIED_CHANNEL: b"channel",
           DENIED_AUTH: b"auth"}

# Key pattern permissions.
READ, WRITE = 1, 2
ALL_PERMISSIONS = READ | WRITE

# Commands that name channels, as Redis's commands_with_channels (the unsubscribing ones
# need no permission): name -> (channels are patterns, only the first argument).
CHANNEL_COMMANDS = {"subscribe": (False, False), "ssubscribe": (False, False),
                    "psubscribe": (True, False), "publish": (False, True),
                    "spublish": (False, True)}

LOG_GROUPING_MS = 60000     # similar denials within a minute bump one log entry
LOG_SCAN = 10               # how many recent entries a new one is compared with

MSG_ENOENT = "Unknown command or category name in ACL"
MSG_EINVAL = "Syntax error"
MSG_EEXIST = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
              "does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
MSG_EISDIR = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
              "and does not have any effect. Try 'resetchannels' to start with an empty list "
              "of channels")
MSG_ENODEV = "The password you are trying to remove from the user does not exist"
MSG_EBADMSG = ("The password hash must be exactly 64 characters and contain only lowercase "
               "hexadecimal characters")
MSG_EALREADY = "Duplicate user found. A user can only be defined once in config files"
MSG_ECHILD = "Allowing first-arg of a subcommand is not supported"

HEX_DIGITS = frozenset(b"0123456789abcdef")
SPACES = frozenset(b" \t\n\v\f\r\x00")


class AclRuleError(Exception):
    """A rule that cannot be applied; the text is Redis's description of why."""

    def __init__(self, message: str, unknown_name: bool = False) -> None:
        super().__init__(message)
        self.unknown_name = unknown_name    # ENOENT: tolerated while reading the config


def hash_password(password: bytes) -> bytes:
    return hashlib.sha256(password).hexdigest().encode()


def has_spaces(text: bytes) -> bool:
    """Usernames and patterns may hold no spaces nor NUL bytes (rules are space-split)."""
    return any(c in SPACES for c in text)


def acl_command(name: bytes) -> Optional[Command]:
    """A command of the table by its full name, in any case ("config|get")."""
    text = name.decode("latin-1").lower()
    if text.count("|") > 1:
        return None
    return TABLE.get(text)


def _key_permissions(flags: tuple) -> int:
    """What a key spec's flags ask of a key pattern."""
    need = READ if "access" in flags else 0
    if "insert" in flags or "delete" in flags or "update" in flags:
        need |= WRITE
    return need


class Selector:
    """One set of permissions: commands, key patterns and channel patterns."""

    __slots__ = ("root", "allkeys", "allchannels", "allcommands", "future", "allowed",
                 "firstargs", "patterns", "channels")

    def __init__(self, root: bool, allchannels: bool) -> None:
        self.root = root
        self.allkeys = False
        self.allchannels = allchannels
        self.allcommands = False
        self.future = False          # +@all: commands added later would be allowed too
        self.allowed: set[str] = set()
        self.firstargs: dict[str, list[bytes]] = {}   # +select|0 on a command w/o subcommands
        self.patterns: list[list] = []    # [pattern, READ|WRITE]
        self.channels: list[bytes] = []

    def copy(self) -> "Selector":
        other = Selector(self.root, self.allchannels)
        other.allkeys, other.allcommands, other.future = \
            self.allkeys, self.allcommands, self.future
        other.allowed = set(self.allowed)
        other.firstargs = {name: list(args) for name, args in self.firstargs.items()}
        other.patterns = [list(p) for p in self.patterns]
        other.channels = list(self.channels)
        return other

    # -- rules ---------------------------------------------------------------------------

    def _change(self, names: Iterable[str], allow: bool) -> None:
        if allow:
            self.allowed.update(names)
        else:
            self.allowed.difference_update(names)
            self.allcommands = False

    def change_command(self, name: str, allow: bool) -> None:
        """Allow or deny a command, and all its subcommands for a container."""
        self._change([name, *SUBCOMMANDS.get(name, ())], allow)
        self.firstargs.pop(name, None)

    def change_category(self, category: str, allow: bool) -> None:
        reach = CATEGORY_REACH[category]
        self._change(reach, allow)
        for name in CATEGORY_MEMBERS[category]:
            self.firstargs.pop(name, None)

    def set_all_commands(self, allow: bool) -> None:
        self.allowed = set(ALL_COMMANDS) if allow else set()
        self.allcommands = self.future = allow
        self.firstargs = {}

    def apply(self, op: bytes) -> None:
        """One rule of a selector (ACLSetSelector); AclRuleError when it cannot apply."""
        lowered = op.lower()
        if lowered == b"allkeys" or op == b"~*":
            self.allkeys = True
            self.patterns = []
        elif lowered == b"resetkeys":
            self.allkeys = False
            self.patterns = []
        elif lowered == b"allchannels" or op == b"&*":
            self.allchannels = True
            self.channels = []
        elif lowered == b"resetchannels":
            self.allchannels = False
            self.channels = []
        elif lowered == b"allcommands" or lowered == b"+@all":
            self.set_all_commands(True)
        elif lowered == b"nocommands" or lowered == b"-@all":
            self.set_all_commands(False)
        elif op[:1] in (b"~", b"%"):
            self._add_key_pattern(op)
        elif op[:1] == b"&":
            if self.allchannels:
                raise AclRuleError(MSG_EISDIR)
            pattern = op[1:]
            if has_spaces(pattern):
                raise AclRuleError(MSG_EINVAL)
            if pattern not in self.channels:
                self.channels.append(pattern)
            self.allchannels = False
        elif op[:1] == b"+" and op[1:2] != b"@":
            self._allow_command(op[1:])
        elif op[:1] == b"-" and op[1:2] != b"@":
            cmd = acl_command(op[1:])
            if cmd is None:
                raise AclRuleError(MSG_ENOENT, unknown_name=True)
            self.change_command(cmd.name, False)
        elif op[:2] in (b"+@", b"-@"):
            category = op[2:].decode("latin-1").lower()
            if category not in CATEGORY_MEMBERS:
                raise AclRuleError(MSG_ENOENT, unknown_name=True)
            self.change_category(category, op[:1] == b"+")
        else:
            raise AclRuleError(MSG_EINVAL)

    def _add_key_pattern(self, op: bytes) -> None:
        if self.allkeys:
            raise AclRuleError(MSG_EEXIST)
        flags, offset = 0, 1
        if op[:1] == b"%":
            while offset < len(op):
                c = op[offset:offset + 1].upper()
                if c == b"R" and not flags & READ:
                    flags |= READ
                elif c == b"W" and not flags & WRITE:
                    flags |= WRITE
                elif c == b"~":
                    offset += 1
                    break
                else:
                    raise AclRuleError(MSG_EINVAL)
                offset += 1
            if not flags:
                raise AclRuleError(MSG_EINVAL)     # "%~pattern": no permission named
        else:
            flags = ALL_PERMISSIONS
        pattern = op[offset:]
        if has_spaces(pattern):
            raise AclRuleError(MSG_EINVAL)
        for existing in self.patterns:
            if existing[0] == pattern:
                existing[1] |= flags
                break
        else:
            self.patterns.append([pattern, flags])
        self.allkeys = False

    def _allow_command(self, name: bytes) -> None:
        if b"|" not in name:
            cmd = acl_command(name)
            if cmd is None:
                raise AclRuleError(MSG_ENOENT, unknown_name=True)
            self.change_command(cmd.name, True)
            return
        base, _, first = name.rpartition(b"|")
        cmd = acl_command(base)
        if cmd is None:
            raise AclRuleError(MSG_ENOENT, unknown_name=True)
        if "|" in cmd.name:
            raise AclRuleError(MSG_ECHILD)
        if not first:
            raise AclRuleError(MSG_EINVAL)
        if SUBCOMMANDS.get(cmd.name):
            sub = acl_command(name)
            if sub is None:
                raise AclRuleError(MSG_ENOENT, unknown_name=True)
            self.change_command(sub.name, True)
        else:
            # Allowing one first argument of a command (SELECT|0): deprecated by Redis, kept.
            args = self.firstargs.setdefault(cmd.name, [])
            if not any(first.lower() == a.lower() for a in args):
                args.append(first)

    # -- description ---------------------------------------------------------------------

    def command_rules(self) -> bytes:
        """The rules that rebuild this selector's commands (ACLDescribeSelectorCommandRules):
        +@all or -@all, the categories that fit best, then single commands."""
        additive = not self.future
        rules = [b"-@all" if additive else b"+@all"]
        fake = Selector(False, False)
        fake.set_all_commands(not additive)
        remaining = set(self.allowed)
        applied: set[str] = set()
        while True:
            best, min_diff, max_same = None, 1 << 31, 0
            for category in CATEGORIES:
                if category in applied:
                    continue
                members = CATEGORY_MEMBERS[category]
                on = len(members & remaining)
                off = len(members) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < min_diff or (diff == min_diff and same > max_same)):
                    best, min_diff, max_same = category, diff, same
            if best is None:
                break
            fake.change_category(best, additive)
            reach = CATEGORY_REACH[best]
            if additive:
                remaining.difference_update(reach)
            else:
                remaining.update(reach)
            rules.append((b"+@" if additive else b"-@") + best.encode())
            applied.add(best)
        allowed = self.allowed
        for name in TOP_LEVEL:
            for each in (name, *SUBCOMMANDS[name]):
                mine = each in allowed
                if mine != (each in fake.allowed):
                    rules.append((b"+" if mine else b"-") + each.encode())
                    fake.change_command(each, mine)
            if name not in allowed:
                for first in self.firstargs.get(name, ()):
                    rules.append(b"+%s|%s" % (name.encode(), first))
        return b" ".join(rules)

    def key_rules(self) -> list[bytes]:
        if self.allkeys:
            return [b"~*"]
        return [(b"~" if flags == ALL_PERMISSIONS else b"%R~" if flags == READ else b"%W~")
                + pattern for pattern, flags in self.patterns]

    def channel_rules(self) -> list[bytes]:
        if self.allchannels:
            return [b"&*"]
        return [b"&" + pattern for pattern in self.channels]

    def describe(self) -> bytes:
        """The selector as rules (ACL LIST, the ACL file)."""
        parts = self.key_rules()
        parts += [b"&*"] if self.allchannels else [b"resetchannels", *self.channel_rules()]
        parts.append(self.command_rules())
        return b" ".join(parts)

    def getuser_fields(self) -> dict:
        return {b"commands": self.command_rules(), b"keys": b" ".join(self.key_rules()),
                b"channels": b" ".join(self.channel_rules())}

    # -- checks --------------------------------------------------------------------------

    def check_key(self, key: bytes, need: int) -> bool:
        if self.allkeys:
            return True
        for pattern, flags in self.patterns:
            if flags & need == need and glob_match(pattern, key):
                return True
        return False

    def check_command(self, cmd: Command, argv: list[bytes],
                      keys: Callable[[], list]) -> tuple[int, int]:
        """(OK or the denial, the argument position of a denied key or channel)."""
        if not self.allcommands and "no-auth" not in cmd.flags \
                and cmd.name not in self.allowed:
            firsts = self.firstargs.get(cmd.name)
            if len(argv) < 2 or not firsts or \
                    not any(argv[1].lower() == f.lower() for f in firsts):
                return DENIED_CMD, 0
        if not self.allkeys and cmd.has_keys():
            for pos, flags in keys():
                if not self.check_key(argv[pos], _key_permissions(flags)):
                    return DENIED_KEY, pos
        if not self.allchannels:
            spec = CHANNEL_COMMANDS.get(cmd.name)
            if spec is not None:
                is_pattern, first_only = spec
                for pos in range(1, 2 if first_only else len(argv)):
                    if not channel_allowed(self.channels, argv[pos], is_pattern):
                        return DENIED_CHANNEL, pos
        return OK, 0


def channel_allowed(patterns: list[bytes], channel: bytes, is_pattern: bool) -> bool:
    """A channel against channel patterns; a PSUBSCRIBE pattern only as an exact pattern."""
    if is_pattern:
        return channel in patterns
    return any(glob_match(pattern, channel) for pattern in patterns)


def merge_selector_args(args: list[bytes]) -> list[bytes]:
    """Rules with a selector spread over several arguments ("(~key", "+get)") joined, as
    Redis allows; AclSelectorError when a parenthesis is not closed."""
    merged: list[bytes] = []
    opened: Optional[int] = None
    current = b""
    for i, op in enumerate(args):
        if op[:1] == b"(" and op[-1:] != b")":
            current, opened = op, i
            continue
        if opened is not None:
            current += b" " + op
            if op[-1:] == b")":
                opened = None
                merged.append(current)
            continue
        merged.append(op)
    if opened is not None:
        raise AclSelectorError(opened)
    return merged


class AclSelectorError(Exception):
    """A selector's parenthesis is not closed; `index` is the argument that opens it."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class User:
    __slots__ = ("name", "enabled", "nopass", "sanitize", "passwords", "selectors",
                 "unrestricted", "_described")

    def __init__(self, name: bytes, allchannels: bool = False) -> None:
        self.name = name
        self.enabled = False
        self.nopass = False
        self.sanitize: Optional[bool] = None   # sanitize-payload / skip-sanitize-payload
        self.passwords: list[bytes] = []       # SHA-256 hex digests
        self.selectors = [Selector(True, allchannels)]
        # May run anything: the one test the command path makes for this user.
        self.unrestricted = False
        self._described: Optional[bytes] = None

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    def copy_from(self, other: "User") -> None:
        self.enabled, self.nopass, self.sanitize = other.enabled, other.nopass, other.sanitize
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]
        self.changed()

    def copy(self) -> "User":
        twin = User(self.name)
        twin.copy_from(self)
        return twin

    def changed(self) -> None:
        self._described = None
        self.unrestricted = any(s.allcommands and s.allkeys and s.allchannels
                                for s in self.selectors)

    def apply(self, op: bytes, allchannels: bool) -> None:
        """One rule (ACLSetUser); `allchannels`: acl-pubsub-default for new selectors."""
        try:
            self._apply(op, allchannels)
        finally:
            self.changed()

    def _apply(self, op: bytes, allchannels: bool) -> None:
        if not op:
            return
        lowered = op.lower()
        if lowered == b"on":
            self.enabled = True
        elif lowered == b"off":
            self.enabled = False
        elif lowered == b"skip-sanitize-payload":
            self.sanitize = False
        elif lowered == b"sanitize-payload":
            self.sanitize = True
        elif lowered == b"nopass":
            self.nopass = True
            self.passwords = []
        elif lowered == b"resetpass":
            self.nopass = False
            self.passwords = []
        elif op[:1] in (b">", b"#"):
            digest = hash_password(op[1:]) if op[:1] == b">" else _checked_hash(op[1:])
            if digest not in self.passwords:
                self.passwords.append(digest)
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            digest = hash_password(op[1:]) if op[:1] == b"<" else _checked_hash(op[1:])
            if digest not in self.passwords:
                raise AclRuleError(MSG_ENODEV)
            self.passwords.remove(digest)
        elif op[:1] == b"(" and op[-1:] == b")":
            selector = Selector(False, allchannels)
            for rule in split_args(op[1:-1]) or ():
                selector.apply(rule)
            self.selectors.append(selector)
        elif lowered == b"clearselectors":
            del self.selectors[1:]
        elif lowered == b"reset":
            self.nopass = False
            self.passwords = []
            root = self.root
            root.allkeys, root.patterns = False, []
            root.allchannels, root.channels = allchannels, []
            self.enabled = False
            self.sanitize = True
            del self.selectors[1:]
            root.set_all_commands(False)
        else:
            self.root.apply(op)

    def check_password(self, password: bytes) -> bool:
        if not self.enabled:
            return False
        if self.nopass:
            return True
        digest = hash_password(password)
        return any(hmac.compare_digest(digest, p) for p in self.passwords)

    def flag_names(self) -> list[bytes]:
        flags = [b"on" if self.enabled else b"off"]
        if self.nopass:
            flags.append(b"nopass")
        if self.sanitize is not None:
            flags.append(b"sanitize-payload" if self.sanitize else b"skip-sanitize-payload")
        return flags

    def describe(self) -> bytes:
        """The user as rules (ACL LIST, ACL SAVE, CONFIG REWRITE), cached until it changes."""
        if self._described is None:
            parts = self.flag_names() + [b"#" + p for p in self.passwords]
            text = b" ".join(parts + [self.root.describe()])
            for selector in self.selectors[1:]:
                text += b" (" + selector.describe() + b")"
            self._described = text
        return self._described

    def check(self, cmd: Command, argv: list[bytes]) -> tuple[int, int]:
        """Whether a selector allows the command (ACLCheckAllUserCommandPerm): OK, or the
        denial to report (no selector runs the command: the command; else the last key or
        channel no selector allowed) with its argument position."""
        keys = _keys_once(cmd, argv)
        relevant, last = DENIED_CMD, 0
        for selector in self.selectors:
            result, pos = selector.check_command(cmd, argv, keys)
            if result == OK:
                return OK, 0
            if result > relevant or (result == relevant and pos > last):
                relevant, last = result, pos
        return relevant, last

    def may_read_any_key(self, cmd: Command, argv: list[bytes]) -> bool:
        """A selector runs the command and may read every key (SORT's BY and GET patterns
        name keys no key spec shows: Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess)."""
        if self.unrestricted:
            return True
        keys = _keys_once(cmd, argv)
        return any(s.check_command(cmd, argv, keys)[0] == OK and (
            s.allkeys or any(p == b"*" and f & READ for p, f in s.patterns))
            for s in self.selectors)


def _keys_once(cmd: Command, argv: list[bytes]) -> Callable[[], list]:
    """The command's keys with their key spec flags, found when a selector first asks and
    then kept for the others."""
    found: Optional[list] = None

    def keys() -> list:
        nonlocal found
        if found is None:
            found = cmd.keys_and_flags(argv) or []
        return found
    return keys


def _checked_hash(text: bytes) -> bytes:
    if len(text) != 64 or not set(text) <= HEX_DIGITS:
        raise AclRuleError(MSG_EBADMSG)
    return text


def apply_rules(staged: User, args: list[bytes], allchannels: bool) -> Optional[str]:
    """ACL SETUSER's rules applied to a staged copy of the user (kept only when all
    apply): None, or the error text."""
    try:
        merged = merge_selector_args(args)
    except AclSelectorError as unmatched:
        return "Unmatched parenthesis in acl selector starting at '%s'." % (
            c_text(args[unmatched.index]))
    for op in merged:
        try:
            staged.apply(op, allchannels)
        except AclRuleError as exc:
            return "Error in ACL SETUSER modifier '%s': %s" % (c_text(op), exc)
    return None


def validate_user_line(words: list[bytes], allchannels: bool) -> list[bytes]:
    """A `user` line of the config file checked as Redis does when reading it (unknown
    command names wait for the loading): its merged rules, or AclConfigError."""
    try:
        merged = merge_selector_args(words[2:])
    except AclSelectorError as unmatched:
        # Redis names no reason of its own here: what its start-up left in errno says
        # this one.
        raise AclConfigError(unmatched.index, MSG_ENOENT) from None
    probe = User(words[1], allchannels)
    for index, op in enumerate(merged):
        try:
            probe.apply(op, allchannels)
        except AclRuleError as exc:
            if not exc.unknown_name:
                raise AclConfigError(index, str(exc)) from None
    return merged


class AclConfigError(Exception):
    """A `user` line that cannot be read. `index` is the position Redis names in its message
    (counted among the rules but used on the whole line, as Redis does)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime", "cinfo")

    def __init__(self, reason: int, context: bytes, obj: bytes, username: bytes,
                 ctime: int, cinfo: bytes) -> None:
        self.count = 1
        self.reason, self.context, self.object = reason, context, obj
        self.username, self.ctime, self.cinfo = username, ctime, cinfo

    def similar(self, other: "LogEntry") -> bool:
        return (self.reason == other.reason and self.context == other.context
                and abs(self.ctime - other.ctime) <= LOG_GROUPING_MS
                and self.object == other.object and self.username == other.username)


class Acl:
    """The server's ACL part: the users, the default user, and the ACL log."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.users: dict[bytes, User] = {}
        self.default = self._create_default_user()
        self.users[b"default"] = self.default
        self.log: list[LogEntry] = []         # newest first
        self.update_default_password()

    @property
    def pubsub_default(self) -> bool:
        """acl-pubsub-default allchannels: new users and selectors may use every channel."""
        return self.server.config.acl_pubsub_default == "allchannels"

    def _create_default_user(self) -> User:
        user = User(b"default", self.pubsub_default)
        for op in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            user.apply(op, False)
        return user

    def update_default_password(self) -> None:
        """requirepass is the default user's password: set it, or nopass without one."""
        password = self.server.config.requirepass
        self.default.apply(b"resetpass", False)
        self.default.apply(b">" + password.encode(errors="surrogateescape")
                           if password else b"nopass", False)

    # -- startup and the ACL file --------------------------------------------------------

    def load_at_startup(self) -> None:
        """The users of the config file's `user` lines, or of the ACL file: a fatal error
        when both are given or when one cannot be loaded."""
        config = self.server.config
        lines = config.users_to_load
        if config.aclfile and lines:
            self._fatal("Configuring Redis with users defined in redis.conf and at the same "
                        "setting an ACL file path is invalid. This setup is very likely to "
                        "lead to configuration errors and security holes, please define "
                        "either an ACL file or declare users directly in your redis.conf, "
                        "but not both.")
        for words in lines:
            name = words[0]
            user = self.users.get(name)
            if user is None:
                user = self.users[name] = User(name, self.pubsub_default)
            else:
                user.apply(b"reset", self.pubsub_default)
            for op in words[1:]:
                try:
                    user.apply(op, self.pubsub_default)
                except AclRuleError as exc:
                    self.server.log_warning(
                        "Error loading ACL rule '%s' for the user named '%s': %s" % (
                            c_text(op), c_text(name), exc))
                    self._fatal("Critical error while loading ACLs. Exiting.")
            if not user.enabled:
                self.server.log("notice", "The user '%s' is disabled (there is no 'on' "
                                "modifier in the user description). Make sure this is not "
                                "a configuration error." % c_text(name))
        if config.aclfile:
            errors = self.load_file(config.aclfile)
            if errors:
                self._fatal(f"Aborting Redis startup because of ACL errors: {errors}")

    def _fatal(self, message: str) -> None:
        self.server.log_warning(message)
        raise SystemExit(1)

    def load_file(self, path: str) -> Optional[str]:
        """ACL LOAD: every user of the file, or nothing and the errors in one line. The
        connections of the users replaced are closed, as in Redis."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as unreadable:
            return "Error loading ACLs, opening file '%s': %s" % (path, unreadable.strerror)
        errors: list[str] = []
        users: dict[bytes, User] = {}
        allchannels = self.pubsub_default
        for number, raw in enumerate(data.split(b"\n"), 1):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            words = line.split(b" ")
            if words[0] != b"user" or len(words) < 2:
                errors.append("%s:%d should start with user keyword followed by the "
                              "username. " % (path, number))
                continue
            name = words[1]
            if has_spaces(name):
                errors.append("'%s:%d: username '%s' contains invalid characters. " % (
                    path, number, c_text(name)))
                continue
            if name in users:
                errors.append("WARNING: Duplicate user '%s' found on line %d. " % (
                    c_text(name), number))
                continue
            user = users[name] = User(name, allchannels)
            try:
                rules = merge_selector_args(words[2:])
            except AclSelectorError:
                errors.append("%s:%d: Unmatched parenthesis in selector definition." % (
                    path, number))
                rules = []
            syntax_error = False
            for op in rules:
                op = op.strip(b"\t\r\n")
                try:
                    user.apply(op, allchannels)
                except AclRuleError as exc:
                    if exc.unknown_name:
                        errors.append("%s:%d: Error in applying operation '%s': %s. " % (
                            path, number, c_text(op), exc))
                    elif not syntax_error:
                        errors.append("%s:%d: %s. " % (path, number, exc))
                        syntax_error = True
        if errors:
            return "".join(errors) + ("WARNING: ACL errors detected, no change to the "
                                      "previously active ACL rules was performed")
        new_default = users.pop(b"default", None) or self._create_default_user()
        self.default.copy_from(new_default)
        old, self.users = self.users, {b"default": self.default}
        self.users.update(users)
        for user in old.values():
            if user is not self.default:
                self.kill_clients_of(user)
        return None

    def save_file(self, path: str) -> bool:
        """ACL SAVE: the users as `user` lines, written to a temporary file then renamed."""
        content = b"".join(line + b"\n" for line in self.user_lines())
        tmp = "%s.tmp-%d-%d" % (path, os.getpid(), self.server.clock.ms())
        try:
            with open(tmp, "wb") as f:
                f.write(content)
            os.replace(tmp, path)
        except OSError as exc:
            self.server.log_warning(f"Writing ACL file for ACL SAVE: {exc.strerror}")
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        return True

    def sorted_users(self) -> list[User]:
        return [self.users[name] for name in sorted(self.users)]

    def user_lines(self) -> list[bytes]:
        """`user NAME RULES` for every user, by name (ACL LIST, ACL SAVE, CONFIG REWRITE)."""
        return [b"user " + user.name + b" " + user.describe() for user in self.sorted_users()]

    # -- users and their connections -----------------------------------------------------

    def set_user(self, name: bytes, args: list[bytes]) -> Optional[str]:
        """ACL SETUSER: None, or the error text. Subscribers that lose a channel are cut."""
        user = self.users.get(name)
        staged = user.copy() if user is not None else User(name, self.pubsub_default)
        error = apply_rules(staged, args, self.pubsub_default)
        if error is not None:
            return error
        if user is None:
            self.users[name] = staged
        else:
            self.kill_pubsub_clients_if_needed(staged, user)
            user.copy_from(staged)
        return None

    def delete_user(self, name: bytes) -> bool:
        user = self.users.pop(name, None)
        if user is None:
            return False
        self.kill_clients_of(user)
        return True

    def kill_clients_of(self, user: User) -> None:
        """The connections of a user gone: back to the default user, unauthenticated, and
        closed (after its reply, for the client running this command)."""
        server = self.server
        for client in list(server.clients.values()):
            if client.user is not user:
                continue
            client.user = self.default
            client.set_authenticated(False)
            if client is server.current_client:
                client.close_after_reply = True
            else:
                client.discard_replies()
                client.reply_mode = "off"
                server.clients_to_close.append(client)

    def kill_pubsub_clients_if_needed(self, new: User, old: User) -> None:
        """Close the subscribers of `old` whose channels `new` no longer allows."""
        if any(s.allchannels for s in new.selectors):
            return
        upcoming = [c for s in new.selectors for c in s.channels]
        if not any(s.allchannels for s in old.selectors) and all(
                c in upcoming for s in old.selectors for c in s.channels):
            return
        for client in list(self.server.clients.values()):
            if client.user is not old:
                continue
            if (any(not channel_allowed(upcoming, p, True) for p in client.patterns)
                    or any(not channel_allowed(upcoming, c, False) for c in client.channels)
                    or any(not channel_allowed(upcoming, c, False)
                           for c in client.shard_channels)):
                if client is self.server.current_client:
                    client.close_after_reply = True
                else:
                    client.close()

    def authenticate(self, client: "Client", username: bytes, password: bytes) -> bool:
        """AUTH / HELLO AUTH: True and the client is that user's, or a log entry."""
        user = self.users.get(username)
        if user is not None and user.check_password(password):
            client.user = user
            client.set_authenticated(True)
            return True
        self.add_log_entry(client, DENIED_AUTH, b"multi" if client.in_multi else b"toplevel",
                           client.argv[0], username)
        return False

    def auth_required(self, client: "Client") -> bool:
        """Whether a client that did not authenticate must, now (Redis's authRequired)."""
        default = self.default
        return not (default.nopass and default.enabled) and not client.authenticated

    def set_default_auth(self, client: "Client") -> None:
        """A new (or RESET) connection: the default user, authenticated if it needs no
        password."""
        client.user = self.default
        client.set_authenticated(self.default.nopass and self.default.enabled)

    # -- the checks ----------------------------------------------------------------------

    def denial(self, client: "Client", cmd: Command, argv: list[bytes],
               context: bytes, log_client: Optional["Client"] = None) -> int:
        """Check a command for the client's user: OK, or the denial, logged."""
        result, pos = client.user.check(cmd, argv)
        if result != OK:
            obj = cmd.name.encode() if result == DENIED_CMD else argv[pos]
            self.add_log_entry(log_client or client, result, context, obj,
                               client.user.name)
        return result

    def add_log_entry(self, client: "Client", reason: int, context: bytes, obj: bytes,
                      username: bytes) -> None:
        from .commands.introspection import client_info
        entry = LogEntry(reason, context, obj, username, self.server.clock.ms(),
                         client_info(client).encode(errors="surrogateescape"))
        log = self.log
        for i, current in enumerate(log[:LOG_SCAN]):
            if current.similar(entry):
                del log[i]
                log.insert(0, current)
                current.cinfo, current.ctime = entry.cinfo, entry.ctime
                current.count += 1
                return
        log.insert(0, entry)
        del log[max(self.server.config.acllog_max_len, 0):]

    def log_reply(self, count: int) -> list:
        now = self.server.clock.ms()
        from .protocol.encode import Double
        return [{b"count": e.count, b"reason": REASONS[e.reason], b"context": e.context,
                 b"object": e.object, b"username": e.username,
                 b"age-seconds": Double((now - e.ctime) / 1000), b"client-info": e.cinfo}
                for e in self.log[:count]]


def denied_message(result: int, cmd: Command) -> str:
    """The -NOPERM reply to a command the ACL refused in the command path."""
    if result == DENIED_CMD:
        return "NOPERM this user has no permissions to run the '%s' command" % cmd.name
    if result == DENIED_KEY:
        return "NOPERM this user has no permissions to access one of the keys used as arguments"
    return "NOPERM this user has no permissions to access one of the channels used as arguments"


def exec_denied_message(result: int) -> str:
    """The -NOPERM reply to a queued command the ACL refuses when EXEC runs it."""
    reason = {DENIED_CMD: "no permission to execute the command or subcommand",
              DENIED_KEY: "no permission to touch the specified keys",
              DENIED_CHANNEL: "no permission to access one of the channels used as "
                              "arguments"}[result]
    return ("NOPERM ACLs rules changed between the moment the transaction was accumulated "
            "and the EXEC call. This command is no longer allowed for the following reason: "
            + reason)


def script_denied_message(result: int) -> str:
    """The error a script's redis.call gets for a command the ACL refuses."""
    reason = {DENIED_CMD: "can't run this command or subcommand",
              DENIED_KEY: "can't access at least one of the keys mentioned in the command "
                          "arguments",
              DENIED_CHANNEL: "can't publish to the channel mentioned in the command"}[result]
    return "ERR The user executing the script " + reason


def genpass(bits: int) -> bytes:
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()


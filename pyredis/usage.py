"""Redis's usage syntax ("key value [NX | XX] [GET] [EX seconds | PX milliseconds]") turned
into the argument descriptions of COMMAND DOCS, which clients such as redis-cli read to show
hints. A command's `syntax` line is the one source of both.

The notation, as in Redis's documentation: lower-case words are values, upper-case words are
keywords (tokens), `[...]` is optional, `<...>` groups, `a | b` are alternatives, and a
trailing `...` repeats: `key [key ...]` is one or more keys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Union

_TOKEN = re.compile(r"\.\.\.|[\[\]<>|]|[^\s\[\]<>|]+")


@dataclass
class Arg:
    """One argument of COMMAND DOCS."""
    name: str
    type: str                      # key string integer double pattern unix-time pure-token
    token: Optional[str] = None    #   oneof block
    optional: bool = False
    multiple: bool = False
    multiple_token: bool = False
    args: list["Arg"] = field(default_factory=list)
    key_spec_index: int = -1

    def as_reply(self) -> dict:
        reply: dict = {b"name": self.name.encode(), b"type": self.type.encode()}
        if self.key_spec_index >= 0:
            reply[b"key_spec_index"] = self.key_spec_index
        if self.token is not None:
            reply[b"token"] = self.token.encode()
        flags = [f for f, on in (("optional", self.optional), ("multiple", self.multiple),
                                 ("multiple_token", self.multiple_token)) if on]
        if flags:
            from .protocol.encode import OrderedSet, SimpleString
            reply[b"flags"] = OrderedSet(SimpleString(f.encode()) for f in flags)
        if self.type in ("oneof", "block"):
            reply[b"arguments"] = [a.as_reply() for a in self.args]
        return reply

    def usage(self) -> str:
        """The argument as redis-cli shows it in hints."""
        if self.type == "oneof":
            body = "|".join(a.usage() for a in self.args)
        elif self.type == "block":
            body = " ".join(a.usage() for a in self.args)
        elif self.type == "pure-token":
            body = ""
        else:
            body = self.name
        token = self.token or ""
        head = token + (" " if token and self.type != "pure-token" else "")
        text = head + body
        if self.multiple:
            text += " [" + (head if self.multiple_token else "") + body + " ...]"
        return f"[{text}]" if self.optional else text


# -- parsing -------------------------------------------------------------------------------

Item = Union[str, "Group"]


@dataclass
class Group:
    alternatives: list[list[Item]]
    optional: bool
    repeat: bool = False           # `[a | b ...]`: any of the alternatives, repeated


class SyntaxParseError(ValueError):
    pass


def _parse_sequence(tokens: list[str], pos: int, closer: Optional[str]) -> tuple[list, int]:
    """Items until `closer` (or the end), with '|' splitting alternatives."""
    alternatives: list[list[Item]] = [[]]
    while pos < len(tokens):
        token = tokens[pos]
        if token in ("]", ">"):
            if token != closer:
                raise SyntaxParseError(f"unexpected {token!r}")
            return alternatives, pos + 1
        if token == "|":
            alternatives.append([])
            pos += 1
        elif token in ("[", "<"):
            inner, pos = _parse_sequence(tokens, pos + 1, "]" if token == "[" else ">")
            repeat = len(inner) > 1 and inner[-1][-1:] == ["..."]
            if repeat:
                inner[-1] = inner[-1][:-1]
            elif _ends_with_its_repeat(inner):
                # `[a | b [a | b ...]]`: any of the alternatives, one or more times
                inner[-1] = inner[-1][:-1]
                repeat = True
            alternatives[-1].append(Group(inner, token == "[", repeat))
        else:
            alternatives[-1].append(token)
            pos += 1
    if closer is not None:
        raise SyntaxParseError(f"missing {closer!r}")
    return alternatives, pos


def _ends_with_its_repeat(alternatives: list[list[Item]]) -> bool:
    last = alternatives[-1][-1:] if len(alternatives) > 1 else []
    if not last or not isinstance(last[0], Group) or not last[0].repeat:
        return False
    return repr(last[0].alternatives) == repr(alternatives[:-1] + [alternatives[-1][:-1]])


def parse(syntax: str) -> list[Arg]:
    """The COMMAND DOCS arguments of a usage line."""
    alternatives, _ = _parse_sequence(_TOKEN.findall(syntax), 0, None)
    if len(alternatives) > 1:
        args = [_oneof(alternatives, optional=False)]
    else:
        args = _sequence_args(alternatives[0])
    _number_keys(args, [0])
    return args


def _is_token(word: str) -> bool:
    return any(c.isalpha() for c in word) and word == word.upper() or word == '""'


def _same(items: list[Item], other: list[Item]) -> bool:
    return repr(items) == repr(other)


def _sequence_args(items: list[Item]) -> list[Arg]:
    """Arguments of a sequence: `x [x ...]` repeats x, a keyword takes the value after it."""
    args: list[Arg] = []
    starts: list[int] = []          # where each item's arguments begin in `args`
    i = 0
    while i < len(items):
        item = items[i]
        starts.append(len(args))
        n = _repeat_of(items, i)
        if n:
            # The optional group at i repeats the n items before it: fold them into one.
            arg = _single(_sequence_args(items[i - n:i]))
            del args[starts[i - n]:]
            arg.multiple = True
            if arg.token and arg.type != "block":
                arg.multiple_token = True
            args.append(arg)
        elif item == "...":
            if args:
                args[-1].multiple = True
        elif isinstance(item, Group):
            if len(item.alternatives) > 1:
                args.append(_oneof(item.alternatives, item.optional))
                args[-1].multiple = item.repeat
            else:
                arg = _single(_sequence_args(item.alternatives[0]))
                arg.optional = arg.optional or item.optional
                args.append(arg)
        elif _is_token(item):
            nxt = items[i + 1] if i + 1 < len(items) else None
            if isinstance(nxt, str) and nxt != "..." and not _is_token(nxt) and \
                    _repeat_of(items, i + 2) != 1:
                # A keyword and its value (`EX seconds`), unless the value alone repeats.
                args.append(Arg(nxt, _value_type(nxt), token=item))
                starts.append(starts[-1])
                i += 1
            else:
                args.append(Arg(item.lower(), "pure-token", token=item))
        else:
            args.append(Arg(item, _value_type(item)))
        i += 1
    return args


def _repeat_of(items: list[Item], i: int) -> int:
    """If items[i] is `[x ... ...]` repeating the n items before it, n; else 0."""
    if i >= len(items):
        return 0
    group = items[i]
    if not isinstance(group, Group) or len(group.alternatives) != 1:
        return 0
    body = group.alternatives[0]
    if not body or body[-1] != "...":
        return 0
    body = body[:-1]
    n = len(body)
    if n == 0 or i < n or not _same(items[i - n:i], body):
        return 0
    return n


def _single(args: list[Arg]) -> Arg:
    """One argument for a group's content: itself, or a block of several."""
    if len(args) == 1:
        return args[0]
    if args and args[0].type == "pure-token" and len(args) == 2 and not args[1].token:
        rest = args[1]
        return Arg(rest.name, rest.type, token=args[0].token, multiple=rest.multiple,
                   args=rest.args)
    if args and args[0].type == "pure-token":
        return Arg(args[0].name, "block", token=args[0].token, args=args[1:])
    return Arg("-".join(a.name for a in args) or "arguments", "block", args=args)


def _oneof(alternatives: list[list[Item]], optional: bool) -> Arg:
    choices = [_single(_sequence_args(alt)) for alt in alternatives]
    name = "-".join(c.name for c in choices[:2]) if len(choices) <= 2 else choices[0].name
    return Arg(name, "oneof", optional=optional, args=choices)


_INTEGER_NAMES = {"count", "offset", "numkeys", "timeout", "index", "start", "stop", "end",
                  "db", "port", "seconds", "milliseconds", "increment", "decrement",
                  "numreplicas", "numlocal", "destination-db", "pivot-index", "bit",
                  "value-int", "numpatterns", "len", "maxlen", "threshold", "length",
                  "client-id", "ttl", "field-count", "cursor"}
_DOUBLE_NAMES = {"score", "min", "max", "longitude", "latitude", "radius", "width",
                 "height", "weight", "float-increment"}


def _value_type(name: str) -> str:
    if name in ("key", "destination", "source", "newkey", "srckey", "dstkey") or \
            name.endswith("key") and "-" not in name:
        return "key"
    if name == "pattern" or name.endswith("-pattern"):
        return "pattern"
    if name.startswith("unix-time"):
        return "unix-time"
    if name in _INTEGER_NAMES:
        return "integer"
    if name in _DOUBLE_NAMES:
        return "double"
    return "string"


def _number_keys(args: list[Arg], counter: list[int]) -> None:
    for arg in args:
        if arg.type == "key":
            arg.key_spec_index = counter[0]
            counter[0] += 1
        _number_keys(arg.args, counter)


def usage_line(args: list[Arg]) -> str:
    return " ".join(a.usage() for a in args)

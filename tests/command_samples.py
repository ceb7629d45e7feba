"""Sample command lines for every command of the table, built from its COMMAND DOCS
argument tree: the shortest form (required arguments only) and a long form (every optional
argument, repeated ones twice), with key names that say which argument they stand for and
`numkeys` counting the keys that follow it. The differential COMMAND GETKEYS test feeds them
to pyredis and to redis-server."""
from __future__ import annotations

import itertools
from typing import Iterator

_NUMKEYS = ("numkeys",)

# A value of each argument type that the commands accept where a value is wanted.
_VALUES = {"integer": "2", "double": "1.5", "unix-time": "1700000000", "pattern": "p*",
           "string": "s"}


class _Builder:
    def __init__(self, full: bool, choice: int) -> None:
        self.full = full            # include optional arguments, repeat multiple ones
        self.choice = choice        # which branch of a oneof to take (modulo its size)
        self.counter = itertools.count(1)

    def arguments(self, args: list) -> list:
        out: list = []
        for arg in args:
            flags = arg.get("flags", [])
            if "optional" in flags and not self.full:
                continue
            token = arg.get("token")
            repeated_token = "multiple_token" in flags
            if token and not repeated_token:
                out.append(token)
            for _ in range(2 if "multiple" in flags and self.full else 1):
                if token and repeated_token:
                    out.append(token)
                out.extend(self.argument(arg))
        return out

    def argument(self, arg: dict) -> list:
        kind = arg["type"]
        if kind == "pure-token":
            return []
        if kind == "key":
            return ["k%d:%s" % (next(self.counter), arg["name"])]
        if kind == "oneof":
            branches = arg["arguments"]
            branch = branches[self.choice % len(branches)]
            out = [branch["token"]] if branch.get("token") else []
            return out + self.argument(branch)
        if kind == "block":
            return self.arguments(arg["arguments"])
        if arg["name"] == "numkeys":
            return [_NUMKEYS]   # filled in once the keys after it are known
        return [_VALUES.get(kind, "s")]


def _is_key(word: object) -> bool:
    return isinstance(word, str) and word.startswith("k") and ":" in word


def _count_keys(out: list) -> list:
    """Replace each numkeys marker by the count of the keys that follow it (the
    keys of one multiple argument, up to the next token)."""
    result: list = []
    for i, item in enumerate(out):
        if item is _NUMKEYS:
            count = 0
            for later in out[i + 1:]:
                if _is_key(later):
                    count += 1
                elif count:
                    break
            result.append(str(count))
        else:
            result.append(item)
    return result


def samples(name: str, entry: dict) -> Iterator[list[str]]:
    """Distinct sample command lines of one command ("zunionstore", or "object|encoding"
    as OBJECT ENCODING ...)."""
    words = name.split("|")
    args = entry["docs"].get("arguments", [])
    seen = set()
    for full in (False, True):
        for choice in range(3):
            line = _count_keys(words + _Builder(full, choice).arguments(args))
            if tuple(line) not in seen:
                seen.add(tuple(line))
                yield line

"""Redis error replies as exceptions, with Redis's exact texts.

Clients parse the first word of an error (ERR, WRONGTYPE, NOPROTO, EXECABORT ...), so the
texts here are part of the protocol: keep them byte for byte as Redis writes them.
"""
from __future__ import annotations


class RedisError(Exception):
    """An error reply. `message` is the whole text after the '-', prefix included."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The first word, as counted by INFO errorstats (ERR, WRONGTYPE ...)."""
        return self.message.split(" ", 1)[0]


class ProtocolError(RedisError):
    """A malformed request: replied to, then the connection is closed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"ERR Protocol error: {detail}")


def err(text: str) -> RedisError:
    """An error with the generic ERR prefix."""
    return RedisError("ERR " + text)


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NO_SUCH_KEY = "ERR no such key"
OVERFLOW = "ERR increment or decrement would overflow"
OUT_OF_RANGE = "ERR index out of range"
DB_INDEX = "ERR DB index is out of range"


class WrongTypeError(RedisError):
    def __init__(self) -> None:
        super().__init__(WRONGTYPE)


def syntax_error() -> RedisError:
    return RedisError(SYNTAX)


def not_integer() -> RedisError:
    return RedisError(NOT_INTEGER)


def not_float() -> RedisError:
    return RedisError(NOT_FLOAT)


def wrong_arity(name: str) -> RedisError:
    return RedisError(f"ERR wrong number of arguments for '{name}' command")


def unknown_subcommand(sub: str, cmd: str) -> RedisError:
    return RedisError(
        f"ERR unknown subcommand '{sub}'. Try {cmd.upper()} HELP.")

"""pyredis: a Redis-compatible in-memory key-value server in Python.

`pyredis.Server` is the embedded server (pyredis.embedded.EmbeddedServer): a real server on a
free port, in a thread or a child process, for tests and tools. It is imported on first use,
so that `import pyredis` stays cheap (the pytest plugin loads it in every test run).
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .build import choose as choose_build

__version__ = "0.1.0"

# The interpreter's own objects, counted before any module of pyredis loads: its share of
# the heap at startup is used_memory_startup (the modules are the program, which Redis's
# figure leaves out as it leaves out Redis's code).
INTERPRETER_BLOCKS = sys.getallocatedblocks()

# "mypyc" or "pure" (INFO server's pyredis_build): decided before any other module loads.
BUILD = choose_build()

if TYPE_CHECKING:
    from .config import ConfigError
    from .embedded import EmbeddedServer as Server, ServerStateError

__all__ = ["Server", "ConfigError", "ServerStateError"]


def __getattr__(name: str) -> Any:
    if name in ("Server", "ServerStateError"):
        from . import embedded
        return embedded.EmbeddedServer if name == "Server" else embedded.ServerStateError
    if name == "ConfigError":
        from .config import ConfigError
        return ConfigError
    raise AttributeError(f"module 'pyredis' has no attribute {name!r}")

"""Which build runs: the modules of the request's hot path compiled by mypyc, or all pure
Python. setup.py compiles COMPILED_MODULES (the same .py files, nothing written twice) and
records the hash of every source of the package in SOURCES_STAMP beside them (mypyc compiled
against the types of all of them, not only of the modules it compiled); the compiled modules
are used only while every one of those sources is unchanged, and never with
PYREDIS_PURE_PYTHON=1. Else
a finder placed first on sys.meta_path imports pyredis's modules from their .py files,
whatever extension modules lie beside them: an edited source is never shadowed by an old
compile. Loaded by pyredis/__init__.py before any other module of the package, and by
setup.py on its own (so it imports nothing of pyredis)."""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import os
import sys
from typing import Optional, Sequence

# The hot path of a request: the loop, the client (read, parse, reply), the command path
# (processCommand and call), the reply encoder, the string commands and the keyspace.
COMPILED_MODULES = (
    "pyredis/reactor.py",
    "pyredis/clock.py",
    "pyredis/client.py",
    "pyredis/server.py",
    "pyredis/protocol/parse.py",
    "pyredis/protocol/parse_hiredis.py",
    "pyredis/protocol/encode.py",
    "pyredis/commands/strings.py",
    "pyredis/db.py",
    "pyredis/commands/entry.py",
    "pyredis/sizes.py",
    "pyredis/config.py",
    "pyredis/tracking.py",
    "pyredis/persistence/propagation.py",
    "pyredis/acl.py",
    "pyredis/replication.py",
    "pyredis/replica.py",
    "pyredis/args.py",
    "pyredis/commands/connection.py",
    "pyredis/commands/keys.py",
    "pyredis/commands/lists.py",
    "pyredis/commands/hashes.py",
    "pyredis/commands/sets.py",
    "pyredis/commands/zsets.py",
    "pyredis/types/integers.py",
    "pyredis/types/set.py",
    "pyredis/types/zset.py",
)
SOURCES_STAMP = "compiled-sources.txt"   # "<sha256> <path>" per source of the package
PURE_ENV = "PYREDIS_PURE_PYTHON"
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def pure_forced() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def source_hashes(root: str) -> dict[str, str]:
    """The sha256 of each source of the package under `root` (the project or install
    directory holding pyredis/): a compiled module depends on the types it imports too."""
    hashes = {}
    for folder, _, names in os.walk(os.path.join(root, "pyredis")):
        for name in names:
            if name.endswith(".py"):
                full = os.path.join(folder, name)
                with open(full, "rb") as f:
                    hashes[os.path.relpath(full, root)] = hashlib.sha256(f.read()).hexdigest()
    return hashes


def _stamp_matches() -> bool:
    """The compiled modules beside the sources were built from these very sources."""
    try:
        with open(os.path.join(PACKAGE_DIR, SOURCES_STAMP)) as f:
            recorded = {path: digest for digest, path in map(str.split, f) if path}
        return recorded == source_hashes(os.path.dirname(PACKAGE_DIR))
    except (OSError, ValueError):
        return False


def _has_extensions() -> bool:
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return any(os.path.exists(os.path.join(os.path.dirname(PACKAGE_DIR), path[:-3] + suffix))
               for path in COMPILED_MODULES for suffix in suffixes)


class SourceOnlyFinder(importlib.abc.MetaPathFinder):
    """Finds pyredis's submodules among .py (and cached .pyc) files only."""

    def find_spec(self, name: str, path: Optional[Sequence[str]],
                  target: object = None) -> Optional[importlib.machinery.ModuleSpec]:
        if not name.startswith("pyredis.") or path is None:
            return None
        loaders = [(importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
                   (importlib.machinery.SourcelessFileLoader,
                    importlib.machinery.BYTECODE_SUFFIXES)]
        for entry in path:
            spec = importlib.machinery.FileFinder(entry, *loaders).find_spec(
                name, target)  # type: ignore[arg-type]
            if spec is not None:
                return spec
        return None


def choose() -> str:
    """Decide the build for this process, once, before pyredis's modules load."""
    compiled = _has_extensions()
    if compiled and not pure_forced():
        if _stamp_matches():
            return "mypyc"
        print("pyredis: the compiled modules are older than their sources: running pure "
              "Python (`make install` or `pip install` builds them again)", file=sys.stderr)
    if compiled and not any(isinstance(f, SourceOnlyFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceOnlyFinder())
    return "pure"

"""The compiled build: mypyc compiles the hot path's modules (pyredis/build.py lists them)
from the same .py files when a C compiler is present. Without one, when the build fails, or
with PYREDIS_PURE_PYTHON=1, pyredis installs as pure Python. The rest of the metadata is in
pyproject.toml."""
from __future__ import annotations

import os
import runpy
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
build = runpy.run_path(os.path.join(ROOT, "pyredis", "build.py"))


def warn(message: str) -> None:
    print(f"pyredis: {message}: installing pure Python", file=sys.stderr)


def compiled_extensions() -> list:
    if build["pure_forced"]():
        return []
    try:
        from mypyc.build import mypycify
        return mypycify(list(build["COMPILED_MODULES"]), opt_level="3", group_name="pyredis.native")
    except Exception as exc:   # mypy missing, or the sources do not compile
        warn(f"mypyc failed ({exc})")
        return []


class BuildExt(build_ext):
    """Builds the extensions all or none (they call each other natively), then stamps them
    with their sources' hashes: pyredis uses them only while the sources are unchanged."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:   # no C compiler, or it failed
            warn(f"compiling failed ({exc})")
            for ext in self.extensions:
                path = self.get_ext_fullpath(ext.name)
                if os.path.exists(path):
                    os.remove(path)
            return
        if not self.extensions:
            return
        package_dir = os.path.dirname(self.get_ext_fullpath("pyredis.server"))
        with open(os.path.join(package_dir, build["SOURCES_STAMP"]), "w") as f:
            for path, digest in build["source_hashes"](ROOT).items():
                f.write(f"{digest} {path}\n")


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": BuildExt})

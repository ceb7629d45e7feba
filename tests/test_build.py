"""The compiled build's sources keep to what mypyc compiles faithfully (and as cheaply as
interpreted)."""
from __future__ import annotations

import ast
import os

import pytest

from pyredis.build import COMPILED_MODULES, source_hashes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def except_names_of_two_types(source: str) -> list[str]:
    """Functions binding one `except ... as name` to different exception types: mypyc gives
    the name the type of its first handler, so a later handler's exception fails a type check
    at run time (a TypeError in place of the handler)."""
    found = []
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        types: dict[str, set[str]] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
                types.setdefault(node.name, set()).add(ast.unparse(node.type))
        found += [f"{func.name}:{func.lineno} {name} {sorted(kinds)}"
                  for name, kinds in types.items() if len(kinds) > 1]
    return found


def test_the_check_sees_a_reused_name():
    source = ("def f():\n    try:\n        pass\n    except KeyError as exc:\n        pass\n"
              "    except OSError as exc:\n        pass\n")
    assert except_names_of_two_types(source) == ["f:1 exc ['KeyError', 'OSError']"]


def lazy_generator_expressions(source: str) -> list[str]:
    """Generator expressions not handed straight to a call that consumes them: mypyc builds
    such an expression whole as a list, so one returned as an iterator or walked until a
    `break` costs the whole collection (a sample of five members of a sorted set read all
    of them; LREM's first match scanned the list to its end)."""
    parents = {child: node for node in ast.walk(ast.parse(source))
               for child in ast.iter_child_nodes(node)}
    return [f"{node.lineno} {ast.unparse(node)}" for node, parent in parents.items()
            if isinstance(node, ast.GeneratorExp) and not isinstance(parent, ast.Call)]


def test_the_check_sees_a_lazy_generator():
    source = ("def f(xs):\n    return (x for x in xs)\n"
              "def g(xs):\n    return any(x for x in xs) or sorted(x for x in xs)\n")
    assert lazy_generator_expressions(source) == ["2 (x for x in xs)"]


@pytest.mark.parametrize("check", [except_names_of_two_types, lazy_generator_expressions])
@pytest.mark.parametrize("path", COMPILED_MODULES)
def test_compiled_modules_keep_to_what_mypyc_compiles_faithfully(path, check):
    with open(os.path.join(ROOT, path)) as f:
        assert check(f.read()) == []


def test_the_stamp_covers_every_source_of_the_package():
    """The compiled build is used only while no source changed, not only the compiled ones:
    mypyc compiled them against the types the others declare."""
    hashes = source_hashes(ROOT)
    on_disk = {os.path.relpath(os.path.join(folder, name), ROOT)
               for folder, _, names in os.walk(os.path.join(ROOT, "pyredis"))
               for name in names if name.endswith(".py")}
    assert set(hashes) == on_disk
    assert set(COMPILED_MODULES) < on_disk and "pyredis/clock.py" in on_disk

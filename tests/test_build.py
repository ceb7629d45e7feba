"""The compiled build's sources keep to what mypyc compiles faithfully."""
from __future__ import annotations

import ast
import os

import pytest

from pyredis.build import COMPILED_MODULES

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


@pytest.mark.parametrize("path", COMPILED_MODULES)
def test_no_except_name_of_two_types(path):
    with open(os.path.join(ROOT, path)) as f:
        assert except_names_of_two_types(f.read()) == []

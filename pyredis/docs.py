"""README sections generated from the code: the supported commands (from the command table)
and the config directives (from config.py's table).

    python -m pyredis.docs            rewrite README.md between the markers
    python -m pyredis.docs --check    exit 1 if README.md is not up to date
"""
from __future__ import annotations

import os
import sys
from typing import Optional

from . import commands, config

SECTIONS = ("commands", "config")


def _markers(name: str) -> tuple[str, str]:
    return (f"<!-- generated: {name} (python -m pyredis.docs) -->",
            f"<!-- end generated: {name} -->")


def usage(arg: dict) -> str:
    """One argument of COMMAND DOCS as a usage line shows it: `[NX | XX]`, `key [key ...]`,
    `<ON | OFF>`."""
    kind, flags = arg["type"], arg.get("flags", [])
    if kind == "oneof":
        body = " | ".join(usage(a) for a in arg["arguments"])
    elif kind == "block":
        body = " ".join(usage(a) for a in arg["arguments"])
    else:
        body = "" if kind == "pure-token" else arg["name"]
    token = arg.get("token", "")
    if kind == "oneof" and (token or "optional" not in flags):
        body = f"<{body}>"
    head = token + (" " if token and body else "")
    text = head + body
    if "multiple" in flags:
        text += " [" + (head if "multiple_token" in flags else "") + body + " ...]"
    return f"[{text}]" if "optional" in flags else text


def commands_section() -> str:
    """A table per command group: name, syntax and summary."""
    commands.load_all()
    groups: dict[str, list[commands.Command]] = {}
    for cmd in commands.all_commands():
        if cmd.subcommands and cmd.func is None:
            continue        # a container: its subcommands are listed
        groups.setdefault(cmd.group, []).append(cmd)
    total = sum(len(cmds) for cmds in groups.values())
    lines = [f"{total} commands and subcommands, as `COMMAND DOCS` describes them.", ""]
    for group in sorted(groups):
        lines += [f"### {group}", "", "| command | arguments | summary |", "|---|---|---|"]
        for cmd in sorted(groups[group], key=lambda c: c.name):
            name = cmd.name.replace("|", " ").upper()
            syntax = " ".join(usage(a) for a in cmd.entry["docs"].get("arguments", []))
            syntax = syntax.replace("|", "\\|")
            lines.append(f"| `{name}` | {('`' + syntax + '`') if syntax else ''} | "
                         f"{cmd.summary.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def config_section() -> str:
    """Every directive with its default as CONFIG GET shows it."""
    lines = [f"{len(config.DIRECTIVES)} directives, as in redis.conf and CONFIG GET/SET. "
             "*immutable*: only at startup.", "",
             "| directive | default | notes |", "|---|---|---|"]
    defaults = config.Config()
    for directive in sorted(config.DIRECTIVES, key=lambda d: d.name):
        if directive.has(config.HIDDEN):
            continue
        value = defaults.show(directive.name) if directive.name != "dir" else "(cwd)"
        notes = []
        if directive.alias:
            notes.append(f"alias `{directive.alias}`")
        for flag in (config.IMMUTABLE, config.PROTECTED):
            if directive.has(flag):
                notes.append(f"*{flag}*")
        shown = f"`{value}`" if value else ""
        lines.append(f"| `{directive.name}` | {shown} | {', '.join(notes)} |")
    return "\n".join(lines)


def render(name: str) -> str:
    return commands_section() if name == "commands" else config_section()


def update(text: str) -> str:
    """README text with each generated section replaced by its current content."""
    for name in SECTIONS:
        start, end = _markers(name)
        head, found, rest = text.partition(start)
        if not found:
            raise ValueError(f"README.md has no {start} marker")
        _, found, tail = rest.partition(end)
        if not found:
            raise ValueError(f"README.md has no {end} marker")
        text = f"{head}{start}\n{render(name)}\n{end}{tail}"
    return text


def readme_path() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "README.md")


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = readme_path()
    with open(path) as f:
        current = f.read()
    wanted = update(current)
    if "--check" in args:
        if wanted != current:
            print("README.md is out of date: run python -m pyredis.docs", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        with open(path, "w") as f:
            f.write(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())

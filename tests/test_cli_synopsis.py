"""The README's synopsis of the command line lists every command and every option (a contract:
options are extended, never renamed, and people read about them there)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from accountdesk.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, its long options) for every command that takes no sub-command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    options = [
        max(a.option_strings, key=len) for a in parser._actions if a.option_strings and a.dest != "help"
    ]
    if not subs:
        yield path, options
    for action in subs:
        for name, sub in action.choices.items():
            yield from _commands(sub, (*path, name))


def _synopsis() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```\naccountdesk \[--data-dir.*?```", text, re.S)
    assert block, "the README has no synopsis of the command line"
    # a command's entry: its line (and the indented lines continuing it), split at " ; "
    entries: list[str] = []
    for line in block.group(0).splitlines()[1:-1]:
        if line.startswith("       ") and entries:  # a continuation of the previous entry
            entries[-1] += " " + line.strip()
            continue
        entries.extend(part.strip() for part in line.split(" ; "))
    return entries


def test_the_readme_lists_every_command_and_option():
    entries = _synopsis()
    parser = build_parser()
    top = [max(a.option_strings, key=len) for a in parser._actions if a.option_strings and a.dest != "help"]
    missing = [f"accountdesk {o}" for o in top if o not in entries[0]]
    for words, options in _commands(parser):
        if not words:
            continue
        name = " ".join(words)
        mine = [e for e in entries if e == name or e.startswith(name + " ")]
        if not mine:
            missing.append(name)
            continue
        text = " ".join(mine)
        missing += [f"{name} {o}" for o in options if not re.search(re.escape(o) + r"(?![\w-])", text)]
    assert missing == [], "add these to the synopsis of the command line in README.md"

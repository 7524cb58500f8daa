"""README's command-line section shows every option a command requires, on a line of that
command (`pimp predict pareto --targets ...`)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pimp_tui.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """(command words, required option strings) of every command, subcommands included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))
    required = [a.option_strings[0] for a in parser._actions if a.option_strings and a.required]
    if path:
        yield path, required


def cli_lines() -> list[set[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The command line", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [set(re.split(r"[\s|\[\]]+", line)) for line in joined.splitlines() if "pimp" in line]


def test_every_required_option_is_shown_with_its_command():
    lines = cli_lines()
    checked = 0
    for path, required in commands(build_parser()):
        for option in required:
            checked += 1
            assert any(set(path) <= words and option in words for words in lines), (
                f"README's command-line section lacks `pimp {' '.join(path)} {option}`"
            )
    assert checked >= 5  # predict train/pareto/bench, report, workload

"""`jsonl:PATH`: the user's prompts, one JSON object a line: {"prompt": ..., "answer": ...}
with an optional "scoring" (exact, contains, regex, numeric). A first line without "prompt"
sets file-wide defaults: {"scoring": "contains", "chat": false, "system": "..."}."""

from __future__ import annotations

import json
from pathlib import Path

from pimp_tui.errors import PimpError
from pimp_tui.measure.tasks.base import SCORINGS, Prompt, Task, parse_number


def jsonl_task(path: str | Path, count: int) -> Task:
    """The first `count` prompts of the file (all of them when `count` is None or 0)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PimpError(f"{path}: cannot read task file ({exc.strerror})") from exc
    defaults: dict = {"scoring": "exact", "chat": True, "system": None}
    prompts: list[Prompt] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PimpError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise PimpError(f"{path}:{number}: expected a JSON object")
        if "prompt" not in row:
            if prompts:
                raise PimpError(f"{path}:{number}: a line without 'prompt' must come first")
            defaults.update({k: row[k] for k in ("scoring", "chat", "system") if k in row})
            _check_scoring(defaults["scoring"], path, number)
            continue
        if "answer" not in row:
            raise PimpError(f"{path}:{number}: 'answer' missing")
        scoring = row.get("scoring", defaults["scoring"])
        _check_scoring(scoring, path, number)
        answer = str(row["answer"])
        if scoring == "numeric":
            parse_number(answer)
        prompts.append(Prompt(str(row["prompt"]), answer, scoring))
    if not prompts:
        raise PimpError(f"{path}: no prompts")
    if count and count > len(prompts):
        raise PimpError(f"{path} has {len(prompts)} prompts; {count} asked for")
    chosen = prompts[:count] if count else prompts
    return Task(f"jsonl:{path}", tuple(chosen), bool(defaults["chat"]), defaults["system"])


def _check_scoring(scoring: object, path: Path, number: int) -> None:
    if scoring not in SCORINGS:
        raise PimpError(
            f"{path}:{number}: unknown scoring {scoring!r} (one of {', '.join(SCORINGS)})"
        )

"""What a task is: prompts with reference answers, how outputs are scored, whether the chat
template wraps the prompts. The runner knows nothing else about tasks."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pimp_tui.errors import PimpError

SCORINGS = ("exact", "contains", "regex", "numeric")
"""Scorings a user may name in a jsonl task (`arith` is the arith task's own)."""

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


@dataclass(frozen=True)
class Prompt:
    """One question; `scoring` names the scorer applied to its output."""

    text: str
    answer: str
    scoring: str = "exact"
    token_ids: tuple[int, ...] | None = None
    """Exact input tokens, used instead of tokenizing `text` (length-controlled prompts)."""


@dataclass(frozen=True)
class Task:
    """A fixed list of prompts, and whether the chat template wraps them. `shots` are worked
    examples (question, answer) put before every prompt, as earlier chat turns."""

    spec: str
    prompts: tuple[Prompt, ...]
    chat: bool = True
    system: str | None = None
    shots: tuple[tuple[str, str], ...] = ()

    def messages(self, prompt: Prompt) -> list[dict[str, str]]:
        """The chat turns for `prompt`: system, worked examples, then the question."""
        turns = [{"role": "system", "content": self.system}] if self.system else []
        for question, answer in self.shots:
            turns += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
        return [*turns, {"role": "user", "content": prompt.text}]

    def plain(self, prompt: Prompt) -> str:
        """The prompt as plain text, for a tokenizer without a chat template or a task
        that does not use one."""
        shots = "".join(f"{question}\n{answer}\n\n" for question, answer in self.shots)
        return shots + prompt.text

    scored: bool = True
    """False for tasks whose outputs answer nothing (accuracy is then not reported)."""

    def score(self, prompt: Prompt, output: str) -> bool:
        """True when `output` answers `prompt` under the prompt's scoring."""
        return SCORERS[prompt.scoring](output, prompt.answer)

    def summarize(self, scores: Sequence[tuple[Prompt, bool]]) -> tuple[float, int]:
        """A run's accuracy and correct count from its scored prompts: the share correct."""
        correct = sum(passed for _, passed in scores)
        return correct / len(scores), correct


def numbers(text: str) -> list[float]:
    """Every number written in `text` (thousands separators allowed), in order."""
    found = []
    for match in _NUMBER.finditer(text):
        token = match.group().replace(",", "").rstrip(".")
        try:
            found.append(float(token))
        except ValueError:
            continue
    return found


def parse_number(text: str) -> float:
    """A reference answer as a number (a user error, not a crash, when it is not one)."""
    values = numbers(text)
    if len(values) != 1:
        raise PimpError(f"reference answer {text!r} is not a single number")
    return values[0]


def last_number_matches(output: str, answer: str) -> bool:
    """Numeric scoring: the last number in the output equals the reference."""
    values = numbers(output)
    return bool(values) and abs(values[-1] - parse_number(answer)) < 1e-6


def first_line_number(output: str, answer: str) -> bool:
    """Exact match on the number the model gives: the last number of its first non-empty line
    ('19', '7 + 12 = 19' and 'The answer is 19.' all give 19)."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    values = numbers(lines[0]) if lines else []
    return bool(values) and values[-1] == parse_number(answer)


def exact(output: str, answer: str) -> bool:
    return output.strip() == answer.strip()


def contains(output: str, answer: str) -> bool:
    return answer.strip().casefold() in output.casefold()


def regex(output: str, answer: str) -> bool:
    return re.search(answer, output) is not None


SCORERS: dict[str, Callable[[str, str], bool]] = {
    "exact": exact,
    "contains": contains,
    "regex": regex,
    "numeric": last_number_matches,
    "arith": first_line_number,
}

"""Configuration text: the README's examples, read against hf_generation.uvl, mean what the
README says (values, and errors naming the bad item)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.variability.assignments import describe, parse_assignments
from pimp_tui.variability.io import load_model

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(?P<text>[^`]+)` \| (?:error: `(?P<error>.+)`|`(?P<value>\{.*\})`) \|$")


def readme_examples() -> list[tuple[str, str | None, str | None]]:
    section = README.read_text(encoding="utf-8").split("### Configuration text", 1)[1]
    section = section.split("\n## ", 1)[0]
    found = [m for m in map(ROW.match, section.splitlines()) if m]
    return [(m["text"], m["value"], m["error"]) for m in found]


def test_the_readme_has_examples_of_values_and_errors():
    examples = readme_examples()
    assert len(examples) >= 6
    assert {error is None for _, _, error in examples} == {True, False}


@pytest.mark.parametrize(("text", "value", "error"), readme_examples())
def test_a_readme_example_means_what_it_says(text, value, error):
    model = load_model(paths.HF_GENERATION_MODEL)
    if error is None:
        assert parse_assignments(text, model) == json.loads(value)
    else:
        with pytest.raises(PimpError) as raised:
            parse_assignments(text, model)
        assert str(raised.value) == error


def test_without_a_model_words_and_numbers_keep_their_kind():
    assert parse_assignments(["threads=4", "cache=lru", "fast=yes", "ratio=0.5"]) == {
        "threads": 4, "cache": "lru", "fast": True, "ratio": 0.5,
    }  # fmt: skip


@pytest.mark.parametrize("text", ["=3", "top_k=", "!top_k=5", "a-b"])
def test_malformed_items_are_named(text):
    with pytest.raises(PimpError, match=re.escape(repr(text.replace(" ", "")))):
        parse_assignments(text)


def test_text_written_for_values_reads_back():
    values = {"GreedySearch": True, "NoCache": False, "top_k": 20, "temperature": None}
    model = load_model(paths.HF_GENERATION_MODEL)
    assert parse_assignments(describe(values), model) == values

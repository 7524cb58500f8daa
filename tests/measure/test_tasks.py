"""Tasks: seeded prompts, reference answers and the scorers applied to model outputs."""

from __future__ import annotations

import json

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.tasks import load_task
from pimp_tui.measure.tasks.gsm8k import gsm8k_file, reference_answer


def test_arith_is_seeded_and_graded():
    first, again, other = (load_task("arith", 10, s) for s in (1, 1, 2))
    assert first.prompts == again.prompts
    assert first.prompts != other.prompts
    # Level 0 (single-digit sums) opens each cycle of five, level 4 (bracketed products) closes it.
    assert int(first.prompts[0].answer) <= 18
    assert "(" in first.prompts[4].text and "(" in first.prompts[9].text
    assert all(eval(p.text[8:-1]) == int(p.answer) for p in first.prompts)
    assert first.chat


@pytest.mark.parametrize(
    ("output", "correct"),
    [
        ("19", True),
        ("7 + 12 = 19", True),
        ("The answer is 19.", True),
        ("19\n\nThat was easy: 3 + 4 = 7", True),
        ("1 9", False),
        ("", False),
        ("nineteen", False),
        ("190", False),
    ],
)
def test_arith_scores_the_number_given(output, correct):
    task = load_task("arith", 1)
    prompt = type(task.prompts[0])("What is 7 + 12?", "19", "arith")
    assert task.score(prompt, output) is correct


def test_gsm8k_comes_from_the_installed_package():
    assert gsm8k_file().name == "test.jsonl"
    task = load_task("gsm8k", 3, seed=0)
    assert len(task.prompts) == 3
    assert load_task("gsm8k", 3, seed=0).prompts == task.prompts
    prompt = task.prompts[0]
    assert prompt.scoring == "numeric"
    assert task.score(prompt, f"Step 1: 2 + 2 = 4. So the answer is {prompt.answer}.")
    assert not task.score(prompt, f"{prompt.answer} is wrong, it is 123456789")


def test_gsm8k_reference_answer_drops_separators():
    assert reference_answer("so 1,000 + 200 = <<1000+200=1200>>1,200\n#### 1,200") == "1200"


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return f"jsonl:{path}"


def test_jsonl_scoring_per_file_and_per_line(tmp_path):
    spec = write_jsonl(
        tmp_path / "t.jsonl",
        [
            {"scoring": "contains", "chat": False},
            {"prompt": "Capital of France?", "answer": "paris"},
            {"prompt": "Say hi", "answer": "hi", "scoring": "exact"},
            {"prompt": "A date", "answer": r"\d{4}-\d{2}-\d{2}", "scoring": "regex"},
            {"prompt": "2 x 21", "answer": "42", "scoring": "numeric"},
        ],
    )
    task = load_task(spec, 4)
    assert not task.chat
    capital, hi, date, number = task.prompts
    assert task.score(capital, "It is Paris.")
    assert task.score(hi, "  hi\n") and not task.score(hi, "hi there")
    assert task.score(date, "on 2024-05-01") and not task.score(date, "May 1st")
    assert task.score(number, "2 x 21 = 42") and not task.score(number, "42 or 43")
    assert load_task(spec, 2).prompts == (capital, hi)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"prompt": "a"'], "t.jsonl:1: not JSON"),
        (['{"prompt": "a", "answer": "b", "scoring": "fuzzy"}'], "unknown scoring 'fuzzy'"),
        (['{"prompt": "a"}'], "'answer' missing"),
        (['{"prompt": "a", "answer": "x", "scoring": "numeric"}'], "not a single number"),
        (['{"prompt": "a", "answer": "b"}', '{"scoring": "exact"}'], "must come first"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path, lines, message):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PimpError, match=message.replace("(", r"\(")):
        load_task(f"jsonl:{path}", 1)


def test_asking_for_more_prompts_than_exist_is_an_error(tmp_path):
    spec = write_jsonl(tmp_path / "t.jsonl", [{"prompt": "a", "answer": "b"}])
    with pytest.raises(PimpError, match="has 1 prompts; 2 asked for"):
        load_task(spec, 2)


def test_unknown_task():
    with pytest.raises(PimpError, match="unknown task 'mmlu'"):
        load_task("mmlu", 1)

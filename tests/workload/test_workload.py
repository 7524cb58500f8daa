"""Workload estimates: trace reading, binning, a trace's estimate as the sum of its bins',
uncertainty carried through, configurations compared under an accuracy floor."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from pimp_tui.errors import PimpError
from pimp_tui.store.db import open_store
from pimp_tui.workload.bins import Bins, bin_trace, parse_bins
from pimp_tui.workload.pricing import MeasuredModel, cheapest, estimate_trace
from pimp_tui.workload.runs import accuracy_by_group, campaign_runs
from pimp_tui.workload.trace import read_trace, span_seconds
from tests.workload.conftest import energy


def synthetic_trace(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "input_tokens": np.clip(rng.lognormal(4.5, 0.8, n), 1, 4000).astype(int),
            "output_tokens": np.clip(rng.lognormal(4.0, 0.7, n), 1, 2000).astype(int),
            "timestamp": np.sort(rng.uniform(0, 3600, n)),
        }
    )


@pytest.fixture
def priced(lengths_db):
    path, campaign = lengths_db
    db = open_store(path)
    try:
        runs, groups = campaign_runs(db, campaign)
    finally:
        db.conn.close()
    return runs, groups


def test_csv_and_jsonl_traces_read_alike(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                   "2023-11-16 18:15:46.6,374,44\n2023-11-16 18:15:50.9,396,109\n")  # fmt: skip
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"input_tokens": 374, "output_tokens": 44, "timestamp": 0}\n'
                     '{"input_tokens": 396, "output_tokens": 109, "timestamp": 4.3}\n')  # fmt: skip
    a, b = read_trace(csv), read_trace(jsonl)
    assert a.select("input_tokens", "output_tokens").equals(
        b.select("input_tokens", "output_tokens")
    )
    assert span_seconds(a) == pytest.approx(4.3)
    assert span_seconds(b) == pytest.approx(4.3)


@pytest.mark.parametrize(
    "text", ["a,b\n1,2\n", "input_tokens,output_tokens\n1,x\n", "input_tokens,output_tokens\n0,3\n"]
)
def test_bad_traces_are_user_errors(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PimpError):
        read_trace(path)


def test_log2_bins_cover_octaves():
    trace = pl.DataFrame({"input_tokens": [1, 2, 3, 4, 7, 8, 1000], "output_tokens": [5] * 7,
                          "timestamp": [None] * 7})  # fmt: skip
    binned = bin_trace(trace)
    assert binned["requests"].to_list() == [1, 2, 2, 1, 1]
    assert binned["in_low"].to_list() == [1, 2, 4, 8, 512]
    assert binned["in_high"].to_list() == [2, 4, 8, 16, 1024]
    edges = bin_trace(trace, parse_bins("1,4,100"), parse_bins("linear:10"))
    assert edges["requests"].to_list() == [3, 3, 1]
    assert math.isinf(edges["in_high"].to_list()[-1])
    assert bin_trace(trace, parse_bins("log2:2"))["requests"].sum() == 7


@pytest.mark.parametrize("spec", ["log3", "linear:0", "4,8", "1,8,4", "log2:x"])
def test_bad_bin_specs_are_user_errors(spec):
    with pytest.raises(PimpError):
        parse_bins(spec)


def test_a_trace_estimate_is_the_sum_of_its_bins_estimates(priced):
    runs, groups = priced
    model = MeasuredModel(runs)
    trace = synthetic_trace(2000)
    inputs = outputs = Bins()
    whole = estimate_trace(trace, model, groups, inputs, outputs)
    keys = bin_trace(trace, inputs, outputs).select("in_bin", "out_bin").rows()
    index_in = inputs.index(trace["input_tokens"].to_numpy())
    index_out = outputs.index(trace["output_tokens"].to_numpy())
    for g, estimate in enumerate(whole):
        parts = [
            estimate_trace(trace.filter(pl.Series((index_in == a) & (index_out == b))),
                              model, [groups[g]], inputs, outputs)[0]
            for a, b in keys
        ]  # fmt: skip
        assert sum(p.requests for p in parts) == estimate.requests == len(trace)
        assert sum(p.energy_j for p in parts) == pytest.approx(estimate.energy_j, rel=1e-12)
        assert sum(p.busy_s for p in parts) == pytest.approx(estimate.busy_s, rel=1e-12)
        assert sum(p.energy_sd**2 for p in parts) == pytest.approx(estimate.energy_sd**2)
        assert estimate.energy_j == pytest.approx(estimate.bins["energy_j"].sum())


def test_measured_estimates_hit_grid_points_and_carry_repetition_variance(priced):
    runs, groups = priced
    model = MeasuredModel(runs)
    trace = pl.DataFrame({"input_tokens": [64] * 10, "output_tokens": [128] * 10,
                          "timestamp": [None] * 10})  # fmt: skip
    for estimate in estimate_trace(trace, model, groups):
        precision = estimate.group.config["Precision"]
        assert estimate.j_per_request == pytest.approx(energy(precision, 64, 128), rel=0.03)
        assert 0 < estimate.energy_sd < 0.05 * estimate.energy_j
        assert estimate.outside == 0
    far = pl.DataFrame({"input_tokens": [4096], "output_tokens": [8], "timestamp": [None]})
    assert estimate_trace(far, model, groups)[0].outside == 1


def test_interpolation_lies_between_neighbouring_points(priced):
    runs, groups = priced
    model = MeasuredModel(runs)
    low, mid, high = (model.predict(groups[0], np.array([n]), np.array([64.0]))["energy_j"][0][0]
                      for n in (64.0, 90.0, 128.0))  # fmt: skip
    assert low < mid < high


def test_cheapest_respects_the_accuracy_floor(priced):
    runs, groups = priced
    estimates = estimate_trace(synthetic_trace(500), MeasuredModel(runs), groups)
    accuracy = accuracy_by_group(runs)
    for e in estimates:
        e.accuracy = accuracy[e.group.key]
    best = cheapest(estimates, None)
    assert best.group.config["Precision"] == "BFloat16"
    assert cheapest(estimates, 0.5).group.config["Precision"] == "Float32"
    assert cheapest(estimates, 0.9) is None


def test_groups_are_labelled_by_the_settings_that_vary(priced):
    _, groups = priced
    assert sorted(g.label for g in groups) == ["Precision=BFloat16", "Precision=Float32"]
    assert all("input_length" not in g.config for g in groups)


def test_cli_import_estimate_compare(lengths_db, tmp_path, capsys):
    from pimp_tui.cli import main

    path, campaign = lengths_db
    trace = tmp_path / "day.csv"
    synthetic_trace(300).write_csv(trace)
    assert main(["--db", str(path), "workload", "import", str(trace), "--name", "day"]) == 0
    workload_id = capsys.readouterr().out.strip()
    assert main(["--db", str(path), "workload", "compare", workload_id, "--campaign",
                 str(campaign), "--accuracy-floor", "0.5", "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["requests"] == 300 and result["cheapest"] == "Precision=Float32"
    assert main(["--db", str(path), "workload", "estimate", "day", "--campaign",
                 str(campaign), "--json"]) == 0  # fmt: skip
    estimates = json.loads(capsys.readouterr().out)["estimates"]
    for e in estimates:
        assert sum(b["energy_j"] for b in e["bins"]) == pytest.approx(e["energy_j"])
    assert main(["--db", str(path), "workload", "compare", "nope", "--campaign",
                 str(campaign)]) == 2  # fmt: skip
    assert "no workload" in capsys.readouterr().err


def test_phases_split_energy_per_configuration(lengths_db, capsys):
    from pimp_tui.cli import main

    path, campaign = lengths_db
    assert main(["--db", str(path), "workload", "phases", "--campaign", str(campaign),
                 "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)["configurations"]
    assert {r["configuration"] for r in rows} == {"Precision=Float32", "Precision=BFloat16"}
    for row in rows:
        assert row["prefill_share"] == pytest.approx(0.2)
        assert row["runs"] == 32 and row["batch_size"] == 1
        assert row["decode_j_per_request"] == pytest.approx(4 * row["prefill_j_per_request"])

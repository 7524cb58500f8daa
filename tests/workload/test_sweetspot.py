"""Sweet spots: the analytical model recovers known θ, finds n_out* where E/n_out is lowest,
reports held-out MAPEs of the analytical fit and a learned predictor; heat maps render."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from rich.console import Console

from pimp_tui.predict.analytical import fit_energy_model
from pimp_tui.store.db import open_store
from pimp_tui.widgets.heatmap import heatmap_svg, heatmap_table
from pimp_tui.workload.models import AnalyticalModel, LearnedModel
from pimp_tui.workload.runs import campaign_runs
from pimp_tui.workload.sweetspot import sweetspots
from tests.workload.conftest import GRID, THETA, energy


@pytest.fixture
def priced(lengths_db):
    path, campaign = lengths_db
    db = open_store(path)
    try:
        return campaign_runs(db, campaign)
    finally:
        db.conn.close()


def test_exact_data_gives_back_theta_and_the_closed_form_sweet_spot():
    n_in, n_out = (a.ravel() for a in np.meshgrid(GRID, GRID, indexing="ij"))
    y = np.array([energy("Float32", a, b) for a, b in zip(n_in, n_out, strict=True)])
    fit = fit_energy_model(n_in, n_out, y)
    assert fit.theta == pytest.approx(THETA["Float32"], rel=1e-6, abs=1e-12)
    assert np.all(fit.variance(n_in, n_out) < 1e-12)
    for length in (32, 500):
        best = fit.best_output(length)
        grid = np.linspace(1, 5000, 200_000)
        per_token = energy("Float32", length, grid) / grid
        assert best == pytest.approx(grid[np.argmin(per_token)], rel=1e-3)
    concave = fit_energy_model(n_in, n_out, 3.0 + 0.01 * n_in * n_out - 1e-5 * n_out**2)
    assert concave.best_output(64) is None  # θ4 < 0: no interior minimum


def test_sweet_spots_of_a_campaign_with_held_out_mapes(priced):
    runs, groups = priced
    spots = sweetspots(runs, groups, folds=4, seed=0, learner="cart")
    assert len(spots) == 2
    for spot in spots:
        precision = spot.group.config["Precision"]
        assert spot.inputs == spot.outputs == list(GRID)
        expected = [[energy(precision, a, b) / b for b in GRID] for a in GRID]
        assert spot.measured == pytest.approx(np.array(expected), rel=0.03)
        assert spot.held_out == 16
        assert spot.mape_analytical < 3.0  # the data follow the model, with 1% noise
        assert spot.mape_learned > spot.mape_analytical
        for n_in in GRID:
            t1, _, t3, t4, t5 = THETA[precision]
            closed = math.sqrt((t1 * n_in**2 + t3 * n_in + t5) / t4)
            assert spot.best_output[n_in] == pytest.approx(closed, rel=0.15)


def test_analytical_and_learned_models_price_requests(priced):
    runs, groups = priced
    n_in, n_out = np.array([64.0, 256.0]), np.array([64.0, 32.0])
    for model in (AnalyticalModel(runs), LearnedModel(runs, groups, learner="cart")):
        for group in groups:
            mean, var = model.predict(group, n_in, n_out)["energy_j"]
            truth = [
                energy(group.config["Precision"], a, b) for a, b in zip(n_in, n_out, strict=True)
            ]
            assert mean == pytest.approx(truth, rel=0.25)
            assert np.all(var >= 0)
            assert model.covers(group, n_in, n_out).all()


def test_heat_map_renders_in_the_terminal_and_as_svg():
    matrix = np.array([[3.0, 2.0, 2.5], [5.0, np.nan, 4.0]])
    console = Console(width=80, record=True, color_system="truecolor")
    console.print(heatmap_table(matrix, [32, 64], [8, 16, 32], title="J/token"))
    text = console.export_text()
    assert "2*" in text and "4*" in text and "-" in text
    svg = heatmap_svg(matrix, [32, 64], [8, 16, 32], title="J/token", unit="J",
                      curve={32: 16.0, 64: None})  # fmt: skip
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) >= 6
    assert root.findall(".//{http://www.w3.org/2000/svg}polyline")


def test_cli_sweetspot_shows_both_mapes_and_writes_svg(lengths_db, tmp_path, capsys):
    from pimp_tui.cli import main

    path, campaign = lengths_db
    svg = tmp_path / "spot.svg"
    assert main(["--db", str(path), "sweetspot", str(campaign), "--svg", str(svg),
                 "--learner", "cart"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "held-out MAPE" in out and "analytical" in out and "learned" in out
    assert svg.is_file() and (tmp_path / "spot-2.svg").is_file()
    assert main(["--db", str(path), "sweetspot", str(campaign), "--json",
                 "--learner", "cart"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {c["configuration"] for c in result["configurations"]} == {
        "Precision=Float32", "Precision=BFloat16",
    }  # fmt: skip
    assert main(["--db", str(path), "sweetspot", "99"]) == 2

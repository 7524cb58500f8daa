"""Sampling use cases: a drawn sample is stored with its model, the same model is stored once
whoever stores it, coverage of a sample file, and the shell's CSV."""

from __future__ import annotations

import io

from pimp_tui.services import sampling
from pimp_tui.store.db import open_store
from pimp_tui.store.samples import list_models
from tests.sampling.conftest import SHOP_UVL


def test_a_named_sample_is_stored_once_per_model(tmp_path) -> None:
    model_path = tmp_path / "shop.uvl"
    model_path.write_text(SHOP_UVL)
    db_path = tmp_path / "pimp.db"
    common = {"seed": 1, "db_path": db_path, "host": "any"}
    first = sampling.draw_sample(
        sampling.SampleRequest(str(model_path), "twise", t=2, name="a", **common)
    )
    second = sampling.draw_sample(
        sampling.SampleRequest(str(model_path), "uniform", size=3, name="b", **common)
    )
    assert first.coverage is not None and first.coverage.covered == first.coverage.valid
    assert first.sample_id is not None and second.sample_id is not None
    stored = sampling.stored_samples(db_path, newest_first=False)
    assert [(s["name"], s["size"]) for s in stored] == [("a", len(first.configs)), ("b", 3)]
    assert stored[1]["params"]["replacement"] is False
    db = open_store(db_path)
    assert len(list_models(db)) == 1
    db.close()


def test_coverage_of_a_written_sample(tmp_path) -> None:
    model_path = tmp_path / "shop.uvl"
    model_path.write_text(SHOP_UVL)
    drawn = sampling.draw_sample(sampling.SampleRequest(str(model_path), "all", host="any"))
    out = tmp_path / "all.csv"
    sampling.write_sample(drawn.model, drawn.configs, out, None)
    cover, error = sampling.check_coverage(str(model_path), str(out), 2)
    assert error is None and cover.covered == cover.valid and not cover.missing
    stream = io.StringIO()
    sampling.write_sample(drawn.model, drawn.configs, None, stream)
    assert stream.getvalue().replace("\r\n", "\n") == out.read_text().replace("\r\n", "\n")


def test_a_reopened_sample_shows_the_constraints_the_host_added_as_such(tmp_path) -> None:
    from pimp_tui.paths import HF_GENERATION_MODEL

    db_path = tmp_path / "pimp.db"
    drawn = sampling.draw_sample(sampling.SampleRequest(
        str(HF_GENERATION_MODEL), "uniform", size=3, name="here", seed=0, db_path=db_path,
        host="cpu",
    ))  # fmt: skip
    assert drawn.sample_id is not None
    view = sampling.load_view(db_path, drawn.sample_id)
    assert view.host_fixes == ["!CUDA (no CUDA GPU visible to torch on this host)"]
    assert "host" not in view.params and view.params["size"] == 3

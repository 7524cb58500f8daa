"""Every output option refuses the files its command reads and replaces outputs atomically."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pimp_tui.cli import main
from pimp_tui.sampling import sample
from pimp_tui.variability.io import parse_uvl
from tests.cli.conftest import UVL, digest


def _one_line_error(capsys: pytest.CaptureFixture, text: str) -> None:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and text in err and "Traceback" not in err


def test_export_refuses_to_write_over_its_store_under_any_name(
    measured_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "link.db").symlink_to(measured_store)
    before = digest(measured_store)
    for out in (measured_store, tmp_path / "." / "w.db", tmp_path / "link.db"):
        code = main(["--db", str(measured_store), "export", "runs", "--out", str(out)])
        assert code == 2
        _one_line_error(capsys, "which this command reads: choose another output file")
    assert digest(measured_store) == before


def test_export_into_a_missing_folder_is_one_line(
    measured_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "nowhere" / "runs.csv"
    assert main(["--db", str(measured_store), "export", "runs", "--out", str(out)]) == 2
    _one_line_error(capsys, "create it first")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_replaces_an_existing_file_and_leaves_no_temporary(
    measured_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture, fmt: str
) -> None:
    out = tmp_path / f"runs.{fmt}"
    out.write_text("old contents\n")
    db = str(measured_store)
    assert main(["--db", db, "export", "runs", "--format", fmt, "--out", str(out)]) == 0
    frame = pl.read_csv(out) if fmt == "csv" else pl.read_parquet(out)
    assert frame.height == 2 * len(sample(parse_uvl(UVL), "all"))
    assert "energy_j" in frame.columns
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_sample_refuses_to_write_over_its_model_its_csv_or_the_store(
    model_file: Path, measured_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    given = tmp_path / "given.csv"
    assert main(["sample", str(model_file), "-a", "all", "-q", "--out", str(given)]) == 0
    capsys.readouterr()
    files = {p: digest(p) for p in (model_file, given, measured_store)}
    db = ["--db", str(measured_store)]
    for argv in (
        ["sample", str(model_file), "-q", "--out", str(model_file)],
        ["sample", str(model_file), "-q", "-a", "csv", "--csv", str(given), "--out", str(given)],
        [*db, "sample", str(model_file), "-q", "--name", "s", "--out", str(measured_store)],
    ):
        assert main(argv) == 2
        _one_line_error(capsys, "which this command reads")
    assert {p: digest(p) for p in files} == files


def test_model_convert_refuses_to_write_over_its_input(
    model_file: Path, capsys: pytest.CaptureFixture
) -> None:
    before = digest(model_file)
    assert main(["model", "convert", str(model_file), str(model_file)]) == 2
    _one_line_error(capsys, "which this command reads")
    assert digest(model_file) == before


def test_sweetspot_svg_refuses_the_store(
    measured_store: Path, capsys: pytest.CaptureFixture
) -> None:
    before = digest(measured_store)
    assert main(["--db", str(measured_store), "sweetspot", "1", "--svg", str(measured_store)]) == 2
    _one_line_error(capsys, "which this command reads")
    assert digest(measured_store) == before


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head -1` once it has its line
    done = subprocess.run(
        [sys.executable, "-m", "pimp_tui", "--db", str(tmp_path / "w.db"), "campaigns"],
        stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
    )  # fmt: skip
    os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141

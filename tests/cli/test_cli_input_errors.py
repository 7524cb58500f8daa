"""Bad input files and flags: one line, exit 2, nothing written; BOMs read as if absent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pimp_tui.cli import SEED_MAX, main
from tests.cli.conftest import digest

BENCH = ["predict", "bench", "--train-size", "5", "--learner", "linear-interactions"]


def _table(path: Path, targets: list[str], prefix: bytes = b"") -> Path:
    rows = [f"{a},{b},{y}\n" for (a, b), y in zip(((a, b) for a in range(4) for b in range(3)),
                                                  targets, strict=True)]  # fmt: skip
    path.write_bytes(prefix + ("a,b,y\n" + "".join(rows)).encode())
    return path


def _targets() -> list[str]:
    return [str(1.0 + a * 2 + b * 3) for a in range(4) for b in range(3)]


def _strict_json(line: str) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(line, parse_constant=refuse)


def _error(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_bench_reads_a_csv_with_a_byte_order_mark_as_without(tmp_path: Path, capsys) -> None:
    results = []
    for name, prefix in (("plain.csv", b""), ("bom.csv", b"\xef\xbb\xbf")):
        table = _table(tmp_path / name, _targets(), prefix)
        assert main([*BENCH, "--csv", str(table), "--repeats", "2", "--json"]) == 0
        results.append(_strict_json(capsys.readouterr().out.splitlines()[-1])["mape_mean"])
    assert results[0] == results[1]


def test_bench_json_is_strict_json_when_a_figure_is_undefined(tmp_path: Path, capsys) -> None:
    table = _table(tmp_path / "t.csv", _targets())
    assert main([*BENCH, "--csv", str(table), "--repeats", "1", "--json"]) == 0
    summary = _strict_json(capsys.readouterr().out.splitlines()[-1])
    assert summary["repeats"] == 1 and summary["mape_ci95"] is None  # one split: no interval


@pytest.mark.parametrize(
    ("target", "message"),
    [("nan", "is nan in data row 6"), ("inf", "is inf in data row 6"), ("5.0", "in every row")],
)
def test_unusable_targets_are_refused_by_bench_and_train(
    measured_store: Path, tmp_path: Path, capsys, target: str, message: str
) -> None:
    targets = _targets()
    targets[5] = target
    if target == "5.0":
        targets = [target] * len(targets)
    table = _table(tmp_path / "t.csv", targets)
    assert main([*BENCH, "--csv", str(table), "--repeats", "2"]) == 2
    assert message in _error(capsys)
    before = digest(measured_store)
    train = ["--db", str(measured_store), "predict", "train", "--csv", str(table), "--target", "y"]
    assert main(train) == 2
    assert message in _error(capsys)
    assert digest(measured_store) == before


def test_train_refuses_a_constant_measured_target(measured_store: Path, capsys) -> None:
    conn = sqlite3.connect(measured_store)
    conn.execute("UPDATE runs SET energy_j = 7.5")
    conn.commit()
    conn.close()
    train = ["--db", str(measured_store), "predict", "train", "--target", "energy_j"]
    assert main(train) == 2
    assert "energy_j in campaigns is 7.5 in every row" in _error(capsys)


def test_csv_that_is_not_utf8_is_located(model_file: Path, tmp_path: Path, capsys) -> None:
    table = tmp_path / "latin1.csv"
    table.write_bytes(b"a,b,y\n1,caf\xe9,2\n2,x,3\n3,y,4\n")
    assert main([*BENCH, "--csv", str(table), "--train-size", "2"]) == 2
    assert _error(capsys) == f"pimp: {table}:2:6: not UTF-8 text (byte 0xE9): save it as UTF-8"
    assert main(["sample", "coverage", str(model_file), str(table)]) == 2
    assert "2:6: not UTF-8 text" in _error(capsys)


def test_a_sample_csv_with_a_byte_order_mark_is_read(model_file: Path, tmp_path: Path, capsys):
    plain = tmp_path / "s.csv"
    assert main(["sample", str(model_file), "-a", "all", "-q", "--out", str(plain)]) == 0
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    capsys.readouterr()
    assert main(["sample", "coverage", str(model_file), str(bom), "--t", "2"]) == 0
    assert "100.00%" in capsys.readouterr().out


@pytest.mark.parametrize("value", [str(2**63), str(2**64), "-1", str(SEED_MAX + 1)])
@pytest.mark.parametrize("command", ["sample", "bench", "measure"])
def test_seeds_out_of_range_are_refused_by_argument_parsing(
    model_file: Path, tmp_path: Path, capsys, value: str, command: str
) -> None:
    argv = {
        "sample": ["sample", str(model_file), "-a", "uniform", "-n", "2"],
        "bench": [*BENCH, "--csv", str(tmp_path / "t.csv")],
        "measure": ["--db", str(tmp_path / "p.db"), "measure", str(model_file)],
    }[command]
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--seed", value])
    assert exited.value.code == 2
    assert f"a seed is from 0 to {SEED_MAX}" in capsys.readouterr().err
    assert not (tmp_path / "p.db").exists()


def test_a_config_without_model_type_is_refused_before_anything_is_stored(
    model_file: Path, tmp_path: Path, capsys
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"hidden_size": 8, "num_hidden_layers": 1}))
    db = tmp_path / "p.db"
    argv = ["--db", str(db), "measure", str(model_file), "--llm", f"config:{config}"]
    assert main(argv) == 2
    assert 'has no "model_type"' in _error(capsys)
    assert not db.exists()

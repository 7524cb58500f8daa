from __future__ import annotations

import csv
import re

from pimp_tui.cli import main
from pimp_tui.store.db import open_store
from pimp_tui.store.samples import list_samples


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_sample_writes_csv_and_stores_it(shop_path, tmp_path, capsys):
    out = tmp_path / "s.csv"
    db = tmp_path / "p.db"
    code = main(
        [
            "sample",
            str(shop_path),
            "--algorithm",
            "twise",
            "--t",
            "2",
            "--seed",
            "3",
            "--iterations",
            "5",
            "--out",
            str(out),
            "--db",
            str(db),
            "--name",
            "pairs",
        ]
    )
    assert code == 0
    rows = _rows(out)
    assert rows[0] == ["Shop", "Payment", "Card", "Cash", "Voucher", "Search", "beams", "temp"]
    assert all(cell in ("true", "false") for row in rows[1:] for cell in row[:6])
    assert {row[6] for row in rows[1:]} <= {"", "1", "2", "4"}
    err = capsys.readouterr().err
    assert "2-wise coverage" in err and "100.00%" in err
    result = re.search(r"pimp: (\d+) configurations, lower bound (\d+) \(twise", err)
    assert result is not None
    size, bound = int(result[1]), int(result[2])
    assert size == len(rows) - 1 and 2 <= bound <= size
    stored = list_samples(open_store(db))
    assert stored[0]["name"] == "pairs" and stored[0]["size"] == size
    assert stored[0]["lower_bound"] == bound

    assert main(["sample", "coverage", str(shop_path), str(out), "--t", "2"]) == 0
    assert "100.00%" in capsys.readouterr().out
    assert main(["sample", "list", "--db", str(db)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["id", "model", "name", "algorithm", "size", "coverage"]
    assert row.split("\t")[2:5] == ["pairs", "twise", str(size)]


def test_coverage_lists_missing_interactions(shop_path, tmp_path, capsys):
    out = tmp_path / "one.csv"
    assert main(["sample", str(shop_path), "-a", "uniform", "-n", "1", "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["sample", "coverage", str(shop_path), str(out), "--t", "1"]) == 0
    text = capsys.readouterr().out
    assert "missing:" in text


def test_csv_algorithm_reports_invalid_rows(shop_path, tmp_path, capsys):
    given = tmp_path / "in.csv"
    given.write_text(
        "Shop,Payment,Card,Cash,Voucher,Search,beams,temp\n1,1,1,0,0,0,,\n1,1,0,0,1,0,,\n"
    )
    code = main(
        ["sample", str(shop_path), "-a", "csv", "--csv", str(given), "-o", str(tmp_path / "o.csv")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "configuration 2" in err and "Voucher => Search" in err


def test_all_refused_above_limit_is_one_line(shop_path, capsys):
    assert main(["sample", str(shop_path), "-a", "all", "--limit", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--limit" in err[0]


def test_twise_size_is_honoured(shop_path, tmp_path, capsys):
    out = tmp_path / "three.csv"
    args = ["sample", str(shop_path), "-a", "twise", "--size", "3", "-o", str(out)]
    assert main(args + ["--iterations", "5"]) == 0
    assert len(_rows(out)) == 1 + 3
    err = capsys.readouterr().err
    assert "keeping 3" in err and "2-wise coverage" in err and "100.00%" not in err

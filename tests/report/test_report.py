"""`pimp report` on a campaign of the tiny model: one self-contained HTML file under 5 MB that
headless Chromium renders with no console message and every section present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pimp_tui import paths
from pimp_tui.cli import main
from pimp_tui.report.content import SECTIONS
from tests.report import chromium

LIMIT = 5 * 2**20


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    db = tmp_path_factory.mktemp("report") / "pimp.db"
    args = ["--db", str(db), "measure", str(paths.HF_GENERATION_MODEL), "--llm",
            str(paths.TINY_LLM), "--algorithm", "uniform", "--size", "6", "--seed", "1",
            "--task", "arith", "--prompts", "1", "--sensor", "estimate", "--idle", "0.1",
            "--max-new-tokens", "2", "--repetitions", "1", "--cooldown", "0",
            "--cpu-watts", "20"]  # fmt: skip
    assert main(args) == 0
    return db, 1


def artefact_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $PIMP_TEST_ARTEFACTS when set, else the test's own folder."""
    folder = Path(os.environ.get("PIMP_TEST_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_report_of_a_tiny_model_campaign_renders_every_section(campaign, tmp_path, capsys):
    db, campaign_id = campaign
    out = tmp_path / "report.html"
    assert main(["--db", str(db), "report", str(campaign_id), "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert printed.strip() == str(out.resolve())
    assert "KiB" in err
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # one file, nothing beside
    size = out.stat().st_size
    assert 0 < size < LIMIT, f"{size} bytes"

    html = out.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html and "<script" not in html and "<link" not in html

    dom, console = chromium.dump_dom(out)
    assert console == []
    for key, title in SECTIONS:
        assert f'<section id="{key}"><h2>{title}</h2>' in dom
    assert dom.count("<svg") >= 4  # traces, effects, learning curves, importances, Pareto
    assert "CPU time × 20 W per busy core" in dom  # the estimate says what it assumed
    assert "R²" in dom and "inside 68% interval" in dom

    png = artefact_dir(tmp_path) / "report-first-screen.png"
    chromium.screenshot(out, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_console_check_sees_a_page_that_loads_from_the_network(tmp_path):
    """The report's policy forbids loading anything: a page that tries is logged."""
    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body>"
        '<img src="http://127.0.0.1:9/x.png"></body></html>'
    )
    _, console = chromium.dump_dom(page)
    assert console and "Content Security Policy" in console[0]


def test_report_of_a_campaign_that_does_not_exist_is_one_line(tmp_path, capsys):
    db = tmp_path / "pimp.db"
    assert main(["--db", str(db), "campaigns"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "report", "7", "--out", str(tmp_path / "r.html")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pimp: no campaign 7"]
    assert not (tmp_path / "r.html").exists()


def test_without_matplotlib_the_report_says_so_before_any_work(
    campaign, tmp_path, capsys, monkeypatch
):  # type: ignore[no-untyped-def]
    import sys

    from pimp_tui.services import report

    db, campaign_id = campaign
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # not installed
    monkeypatch.setattr(report, "campaign_report", lambda *a, **k: pytest.fail("worked first"))
    out = tmp_path / "r.html"
    assert main(["--db", str(db), "report", str(campaign_id), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "pimp: the report's plots need matplotlib: pip install 'pimp-tui[report]'"
    ]
    assert not out.exists()

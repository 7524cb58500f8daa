"""`--db` / PIMP_DB: an unusable path, another program's SQLite file, a damaged or read-only
store each give one line and leave the file byte-for-byte as it was."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from pimp_tui.cli import main
from tests.cli.conftest import digest


def _error(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_an_empty_db_path_is_an_error_not_a_memory_store(
    model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    store = ["sample", str(model_file), "-q", "--name", "s"]
    assert main(["--db", "", *store]) == 2
    assert "store path is empty" in _error(capsys)
    monkeypatch.setenv("PIMP_DB", "")
    assert main(store) == 2
    assert "store path is empty" in _error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == [model_file.name]


def test_a_folder_as_db_is_an_error(tmp_path: Path, capsys) -> None:
    assert main(["--db", str(tmp_path), "campaigns"]) == 2
    assert "is a folder" in _error(capsys)


def _foreign(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path


FOREIGN = {
    "conflicting table": ("CREATE TABLE samples (x TEXT)", "INSERT INTO samples VALUES ('mine')"),
    "known version, other tables": ("CREATE TABLE notes (t TEXT)", "PRAGMA user_version = 1"),
    "other tables": ("CREATE TABLE notes (t TEXT)", "INSERT INTO notes VALUES ('keep')"),
    "altered table of ours": (
        "CREATE TABLE feature_models (id INTEGER PRIMARY KEY, name TEXT)",
        "PRAGMA user_version = 1",
    ),
}


@pytest.mark.parametrize("case", sorted(FOREIGN))
def test_another_programs_sqlite_file_is_refused_untouched(
    case: str, model_file: Path, tmp_path: Path, capsys
) -> None:
    path = _foreign(tmp_path / "theirs.db", *FOREIGN[case])
    before = digest(path)
    assert main(["--db", str(path), "sample", str(model_file), "-q", "--name", "s"]) == 2
    assert "not a pimp store" in _error(capsys)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([model_file.name, path.name])


@pytest.mark.parametrize("argv", [["campaigns"], ["sample", "list"], ["export", "runs"]])
def test_a_refused_store_prints_no_data(argv: list[str], tmp_path: Path, capsys) -> None:
    path = _foreign(tmp_path / "theirs.db", *FOREIGN["conflicting table"])
    assert main(["--db", str(path), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "not a pimp store" in err


def test_a_newer_schema_is_refused_untouched(tmp_path: Path, capsys) -> None:
    path = _foreign(tmp_path / "newer.db", "CREATE TABLE t (x)", "PRAGMA user_version = 999")
    before = digest(path)
    assert main(["--db", str(path), "campaigns"]) == 2
    assert "newer than this pimp" in _error(capsys)
    assert digest(path) == before


@pytest.mark.parametrize("text", ["x", "my notes\n" * 100])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path, capsys, text) -> None:
    path = tmp_path / "notes.db"
    path.write_text(text)
    assert main(["--db", str(path), "campaigns"]) == 2
    assert "not a SQLite file" in _error(capsys)
    assert path.read_text() == text


def _damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    page = 4096 * 3  # a b-tree page's header: an impossible cell count and content offset
    return data[:page] + b"\x0d\x00\x00\xff\xff\x00\x00\x00" + data[page + 8 :]


@pytest.mark.parametrize("how", ["truncated", "damaged page"])
def test_a_damaged_store_is_reported_never_replaced(measured_store: Path, how: str, capsys) -> None:
    measured_store.write_bytes(_damage(measured_store.read_bytes(), how))
    before = digest(measured_store)
    assert main(["--db", str(measured_store), "export", "runs"]) == 1
    assert "the store is damaged" in _error(capsys)
    assert digest(measured_store) == before


def test_a_read_only_store_reads_and_refuses_writes_in_one_line(
    measured_store: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    os.chmod(measured_store, 0o444)
    real_access = os.access
    # root may write any file: answer as the system does for an ordinary user
    monkeypatch.setattr(
        os, "access", lambda p, mode: real_access(p, mode) and Path(p) != measured_store
    )
    before = digest(measured_store)
    assert main(["--db", str(measured_store), "export", "runs"]) == 0
    assert len(capsys.readouterr().out.splitlines()) > 1
    argv = ["--db", str(measured_store), "sample", str(model_file), "-q", "--name", "s"]
    assert main(argv) == 1
    assert "the store is read-only" in _error(capsys)
    assert digest(measured_store) == before

"""Reading user text files and writing outputs: BOMs, bad bytes, refusals, atomic replacement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.files import check_output, read_text, replaced_atomically, write_text


def test_read_text_drops_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b\n1,2\n")
    assert read_text(path) == "a,b\n1,2\n"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_read_text_locates_the_first_byte_that_is_not_utf8(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(bom + b"a,b\n1,caf\xe9\n")
    with pytest.raises(PimpError) as caught:
        read_text(path)
    assert str(caught.value) == f"{path}:2:6: not UTF-8 text (byte 0xE9): save it as UTF-8"


def test_an_output_may_not_be_an_input_under_any_spelling(tmp_path: Path) -> None:
    store = tmp_path / "w.db"
    store.write_bytes(b"data")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.db").symlink_to(store)
    for spelling in (store, tmp_path / "sub" / ".." / "w.db", tmp_path / "link.db"):
        with pytest.raises(PimpError, match="which this command reads"):
            check_output(spelling, "--out", protect=[None, store])
    assert check_output(tmp_path / "other.csv", "--out", protect=[store]) == tmp_path / "other.csv"


def test_an_output_needs_an_existing_folder_and_is_no_folder(tmp_path: Path) -> None:
    with pytest.raises(PimpError, match="no folder .*: create it first"):
        check_output(tmp_path / "missing" / "out.csv", "--out")
    with pytest.raises(PimpError, match="is a folder"):
        check_output(tmp_path, "--out")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), replaced_atomically(out) as temp:
        temp.write_text("half")
        raise RuntimeError("writer failed")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_replacing_keeps_the_mode_and_a_symlink_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.uvl"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.uvl"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.uvl", "real.uvl"]

"""`pimp model check|count|show|convert`: exit codes and output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pimp_tui.cli import main
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner

MODELS = Path(__file__).resolve().parents[1] / "models"
CASES = MODELS / "uvl-cases"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["model", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_a_satisfiable_model(capsys) -> None:
    code, out, err = _run(capsys, "check", str(MODELS / "shell.uvl"))
    assert code == 0
    assert "ok: 16 features, 13 constraints, satisfiable" in out
    assert err == ""


@pytest.mark.parametrize("name", ["shell.uvl", "shell.xml", "storage.uvl"])
def test_count_prints_the_exact_integer_last(capsys, name: str) -> None:
    code, out, _ = _run(capsys, "count", str(MODELS / name))
    assert code == 0
    assert out.splitlines()[-1] == str(Reasoner(load_model(MODELS / name)).count())


def test_count_given_a_partial_configuration(capsys, tmp_path: Path) -> None:
    path = tmp_path / "m.uvl"
    path.write_text(
        "features\n    R\n        optional\n            A\n            B\n"
        "            Integer N {values [1, 2, 4]}\n"
    )
    assert _run(capsys, "count", str(path))[1].splitlines()[-1] == str(4 * 4)
    code, out, _ = _run(capsys, "count", str(path), "--given", "A=true", "--given", "N=4")
    assert (code, out.splitlines()[-1]) == (0, "2")
    assert _run(capsys, "count", str(path), "--given", "N=none")[1].splitlines()[-1] == "4"
    code, _, err = _run(capsys, "count", str(path), "--given", "Z=true")
    assert code == 2 and "unknown feature 'Z'" in err
    code, _, err = _run(capsys, "count", str(path), "--given", "N=3")
    assert code == 2 and "not in the domain of N" in err


def test_unsatisfiable_model_exits_1_naming_the_conflict(capsys, tmp_path: Path) -> None:
    path = tmp_path / "void.uvl"
    path.write_text(
        "features\n    R\n        alternative\n            A\n            B\n"
        "constraints\n    A => B\n    !B\n"
    )
    code, out, err = _run(capsys, "check", str(path))
    assert code == 1 and out == ""
    assert "unsatisfiable" in err and "A => B" in err and "!B" in err
    assert len(err.strip().splitlines()) == 1


def test_unsupported_construct_exits_1_saying_so(capsys) -> None:
    path = CASES / "arithmetic_level" / "aggregate_functions" / "string-length.uvl"
    code, _, err = _run(capsys, "check", str(path))
    assert code == 1
    assert "not supported by the reasoner" in err and "no finite domain" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("path", sorted((CASES / "faulty").glob("*.uvl")), ids=lambda p: p.name)
def test_faulty_conformance_files_exit_2_with_a_location(capsys, path: Path) -> None:
    code, out, err = _run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: \S", err)
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for level in ("boolean_level", "arithmetic_level", "syntax")
        for p in (CASES / level).rglob("*.uvl")
    ),
    ids=lambda p: p.name,
)
def test_valid_conformance_files_are_never_malformed(capsys, path: Path) -> None:
    code, _, err = _run(capsys, "check", str(path))
    assert code in (0, 1), err
    if path.parent.name == "boolean_level":
        assert code == 0


def test_malformed_model_exits_2_with_file_line_col(capsys, tmp_path: Path) -> None:
    path = tmp_path / "bad.uvl"
    path.write_text("features\n    R\n        optional\n            A\nconstraints\n    A => \n")
    code, _, err = _run(capsys, "count", str(path))
    assert code == 2
    assert re.match(rf"{re.escape(str(path))}:6:\d+: ", err)


def test_show_prints_tree_sizes_count_core_and_dead(capsys, tmp_path: Path) -> None:
    path = tmp_path / "m.uvl"
    path.write_text(
        "features\n    Root {abstract}\n        mandatory\n            Base\n"
        "        alternative\n            NIO\n            IO\n"
        "        optional\n            Real T {min 0.5, max 1.5, step 0.5}\n"
        "constraints\n    !NIO\n"
    )
    code, out, _ = _run(capsys, "show", str(path))
    assert code == 0
    for text in ("Root", "abstract", "alternative", "NIO", "Real {0.5, 1.0, 1.5}"):
        assert text in out
    assert "features: 5 (1 abstract, 1 typed); constraints: 1" in out
    assert "valid configurations: 4" in out
    assert "core features: 3: Root, Base, IO" in out
    assert "dead features: 1: NIO" in out


def test_convert_between_formats_keeps_the_count(capsys, tmp_path: Path) -> None:
    count = str(Reasoner(load_model(MODELS / "storage.uvl")).count())
    xml = tmp_path / "storage.xml"
    code, _, err = _run(capsys, "convert", str(MODELS / "storage.uvl"), str(xml))
    assert code == 0 and xml.exists() and "wrote" in err
    assert _run(capsys, "count", str(xml))[1].splitlines()[-1] == count
    back = tmp_path / "back.uvl"
    assert _run(capsys, "convert", str(xml), str(back))[0] == 0
    assert _run(capsys, "count", str(back))[1].splitlines()[-1] == count
    code, _, err = _run(capsys, "convert", str(xml), str(tmp_path / "m.json"))
    assert code == 2 and "unknown model format" in err


def test_check_given_a_partial_configuration(capsys) -> None:
    shell = str(MODELS / "shell.uvl")
    code, out, _ = _run(capsys, "check", shell, "--given", "SHELL_EMACS=true")
    assert code == 0 and "completable as given" in out
    given = ["--given", "SHELL_EMACS=true", "--given", "SHELL=false"]
    code, out, err = _run(capsys, "check", shell, *given)
    assert code == 1 and out == ""
    assert "no valid configuration has SHELL_EMACS=true, SHELL=false" in err
    for link in (
        "(!SHELL_HISTORY | SHELL)",
        "(SHELL_HISTORY | !SHELL_EDIT)",
        "(SHELL_EDIT | !SHELL_EMACS)",
    ):
        assert link in err

"""Fuzzing the command line: random and adversarial arguments give exit status 0, 1 or 2 with
one line on stderr for a failure, never a traceback, quickly."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pimp_tui.cli import build_parser, main

FUZZ = settings(
    max_examples=100,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

MODEL = (
    "features\n\tR\n\t\tmandatory\n\t\t\tA\n\t\toptional\n\t\t\tB\n"
    "\t\t\tInteger n {values [1, 2, 4]}\n\t\t\tString s {values ['x', 'y']}\n"
    "constraints\n\tB => n > 1\n"
)


def _run(argv: list[str]) -> tuple[int, str]:
    """main(argv) as the shell sees it: its exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: usage errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, err.getvalue()


def _one_line_failure(code: int, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 1 or (code == 2 and not err.startswith("usage:")):
        assert err.count("\n") == 1, err


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "m.uvl"
    path.write_text(MODEL, encoding="utf-8")
    return path


_WORDS = [
    "model", "check", "count", "show", "convert", "sample", "coverage", "measure", "campaigns",
    "export", "runs", "predict", "train", "score", "query", "bench", "workload", "sweetspot",
    "--db", "--out", "--seed", "--t", "-t", "--size", "--algorithm", "twise", "uniform", "all",
    "csv", "--given", "--limit", "--format", "--resume", "--help", "-h", "--name", "--json",
    "--time-budget", "--repetitions", "--prompts", "-1", "0", "3", "nan", "inf", "1e309",
    str(2**64), "9" * 5000, "", "=", "A=true", "n=9", "--", "-", "é", "\u202e",
]  # fmt: skip


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=12)), max_size=8))
def test_random_arguments_parse_or_exit_2(argv: list[str]) -> None:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exit_:
            assert exit_.code in (0, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()


@FUZZ
@given(
    st.sampled_from(["check", "count"]),
    st.lists(
        st.one_of(
            st.sampled_from(["A=true", "B=1", "n=4", "n=3", "s=x", "n=none", "R=false", "Z=1"]),
            st.text(max_size=10),
        ),
        max_size=3,
    ),
)
@example("check", ["n=" + "9" * 5000])
@example("count", ["n=1e309"])
def test_model_commands_with_random_givens(model_file: Path, action: str, given_: list[str]):
    argv = ["model", action, str(model_file)]
    for item in given_:
        argv += ["--given", item]
    _one_line_failure(*_run(argv))


@FUZZ
@given(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.sampled_from([".uvl", ".xml", ".csv", ""]),
    st.booleans(),
)
def test_convert_to_random_targets(model_file: Path, tmp_path: Path, stem, suffix, missing):
    folder = tmp_path / "missing" if missing else tmp_path
    target = folder / f"t{stem.replace('/', '_')}{suffix}"
    before = model_file.read_bytes()
    _one_line_failure(*_run(["model", "convert", str(model_file), str(target)]))
    assert model_file.read_bytes() == before

"""Fuzzing the command line: random and adversarial arguments, and CSV samples (random cells,
headers, byte-order marks, encodings, stray bytes), give exit status 0, 1 or 2 with one line on
stderr for a failure, never a traceback, quickly."""

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


_CELLS = st.one_of(
    st.sampled_from(["0", "1", "true", "no", "", "2", "4", "x", "y", "1e999", "nan", '"', "\x00"]),
    st.text(max_size=6),
)


@st.composite
def _csv_bytes(draw: st.DrawFn) -> bytes:
    header = draw(
        st.one_of(
            st.just(["R", "A", "B", "n", "s"]),
            st.lists(st.sampled_from(["R", "A", "B", "n", "s", "extra", ""]), max_size=7),
        )
    )
    rows = draw(st.lists(st.lists(_CELLS, max_size=7), max_size=5))
    text = "\n".join(",".join(row) for row in [header, *rows]) + "\n"
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]))
    codec = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    junk = draw(st.binary(max_size=8))
    cut = draw(st.integers(0, len(data)))
    return prefix + data[:cut] + junk + data[cut:]


@FUZZ
@given(_csv_bytes())
@example(b"\xef\xbb\xbfR,A,B,n,s\n1,1,0,,\n")
@example(b"R,A,B,n,s\n1,1,0,\xe9,\n")
def test_random_csv_samples(model_file: Path, tmp_path: Path, data: bytes) -> None:
    sample = tmp_path / "s.csv"
    sample.write_bytes(data)
    _one_line_failure(*_run(["sample", "coverage", str(model_file), str(sample), "--t", "1"]))
    _one_line_failure(
        *_run(["sample", str(model_file), "--algorithm", "csv", "--csv", str(sample), "-q"])
    )

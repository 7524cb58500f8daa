"""Request traces: CSV or JSONL files of input and output token counts per request, with
optional timestamps, read into one normalised frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from pimp_tui.errors import PimpError

INPUT_NAMES = ("input_tokens", "input_length", "n_in", "prompt_tokens", "contexttokens")
OUTPUT_NAMES = ("output_tokens", "output_length", "n_out", "completion_tokens", "generatedtokens")
TIME_NAMES = ("timestamp", "time", "arrival", "arrival_time", "created")


def read_trace(path: str | Path) -> pl.DataFrame:
    """A trace as columns input_tokens, output_tokens (integers) and timestamp (seconds, or
    null). Column names are matched case-insensitively (Azure's ContextTokens and
    GeneratedTokens included); ISO timestamps are read as seconds."""
    path = Path(path)
    if not path.is_file():
        raise PimpError(f"{path}: no such trace file")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            frame = pl.read_ndjson(path, infer_schema_length=None)
        else:
            frame = pl.read_csv(path, infer_schema_length=10_000, try_parse_dates=True)
    except Exception as exc:  # polars raises several error types for malformed files
        raise PimpError(f"{path}: cannot read the trace ({exc})") from exc
    return normalise_trace(frame, str(path))


def normalise_trace(frame: pl.DataFrame, source: str = "trace") -> pl.DataFrame:
    """Pick and check the token-count and timestamp columns of a raw trace frame."""
    lower = {name.lower(): name for name in frame.columns}
    n_in = _column(lower, INPUT_NAMES, source, "input token counts")
    n_out = _column(lower, OUTPUT_NAMES, source, "output token counts")
    stamp = next((lower[n] for n in TIME_NAMES if n in lower), None)
    try:
        out = frame.select(
            pl.col(n_in).cast(pl.Int64).alias("input_tokens"),
            pl.col(n_out).cast(pl.Int64).alias("output_tokens"),
        )
    except Exception as exc:
        raise PimpError(f"{source}: token counts must be whole numbers ({exc})") from exc
    if out.null_count().sum_horizontal().item():
        raise PimpError(f"{source}: some requests have no input or output token count")
    if len(out) == 0:
        raise PimpError(f"{source}: the trace has no requests")
    if out.select(pl.min_horizontal(pl.col("input_tokens", "output_tokens").min()) < 1).item():
        raise PimpError(f"{source}: token counts must be at least 1")
    times = pl.Series("timestamp", [None] * len(out), dtype=pl.Float64)
    if stamp is not None:
        times = _seconds(frame[stamp], source).alias("timestamp")
    return out.with_columns(times)


def _column(lower: Mapping[str, str], names: Sequence[str], source: str, what: str) -> str:
    for name in names:
        if name in lower:
            return lower[name]
    raise PimpError(f"{source}: no column of {what} (one of {', '.join(names)})")


def _seconds(column: pl.Series, source: str) -> pl.Series:
    if column.dtype == pl.Datetime or column.dtype == pl.Date:
        return column.cast(pl.Datetime("us")).dt.epoch("us").cast(pl.Float64) / 1e6
    if column.dtype == pl.String:
        parsed = column.str.to_datetime(strict=False, time_unit="us")
        if parsed.null_count() > column.null_count():
            raise PimpError(f"{source}: timestamps must be numbers or ISO dates")
        return parsed.dt.epoch("us").cast(pl.Float64) / 1e6
    try:
        return column.cast(pl.Float64)
    except Exception as exc:
        raise PimpError(f"{source}: timestamps must be numbers or ISO dates") from exc


def span_seconds(trace: pl.DataFrame) -> float | None:
    """Time between the first and last request, when the trace has timestamps."""
    stamps = trace["timestamp"].drop_nulls()
    if len(stamps) < 2:
        return None
    span = float(stamps.max() - stamps.min())  # type: ignore[operator, arg-type]
    return span if span > 0 else None

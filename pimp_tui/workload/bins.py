"""Binning a trace by input and output length. Binning follows Fernandez et al. 2025, who
approximate real workloads by binning the input/output token distributions; the default here,
power-of-two bins of both lengths, is a practical reading of that: lengths spread over orders
of magnitude, and energy changes smoothly within an octave."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from pimp_tui.errors import PimpError


@dataclass(frozen=True)
class Bins:
    """How one length is binned: 'log2' (per_octave bins per doubling), 'linear' (width) or
    'edges' (explicit left edges, the last bin open)."""

    kind: str = "log2"
    per_octave: int = 1
    width: int = 0
    edges: tuple[int, ...] = ()

    def index(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (values >= 1)."""
        if self.kind == "log2":
            return np.floor(np.log2(values) * self.per_octave + 1e-9).astype(np.int64)
        if self.kind == "linear":
            return (values - 1) // self.width
        return np.searchsorted(np.asarray(self.edges), values, side="right") - 1

    def bounds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[low, high) token bounds of bins (high is inf for the last explicit bin)."""
        if self.kind == "log2":
            low = np.ceil(2.0 ** (index / self.per_octave) - 1e-9)
            high = np.ceil(2.0 ** ((index + 1) / self.per_octave) - 1e-9)
            return low, high
        if self.kind == "linear":
            return index * self.width + 1, (index + 1) * self.width + 1
        edges = np.asarray((*self.edges, math.inf), dtype=float)
        return edges[index], edges[index + 1]

    def __str__(self) -> str:
        if self.kind == "log2":
            return "log2" if self.per_octave == 1 else f"log2:{self.per_octave}"
        if self.kind == "linear":
            return f"linear:{self.width}"
        return ",".join(str(e) for e in self.edges)


def parse_bins(text: str) -> Bins:
    """'log2' (default), 'log2:K' (K bins per doubling), 'linear:W', or left edges '1,128,512'."""
    text = text.strip()
    try:
        if text == "log2":
            return Bins()
        if text.startswith("log2:"):
            per = int(text[5:])
            if per >= 1:
                return Bins("log2", per_octave=per)
        elif text.startswith("linear:"):
            width = int(text[7:])
            if width >= 1:
                return Bins("linear", width=width)
        else:
            edges = tuple(int(v) for v in text.split(","))
            if edges and edges[0] == 1 and list(edges) == sorted(set(edges)):
                return Bins("edges", edges=edges)
    except ValueError:
        pass
    raise PimpError(
        f"bins {text!r}: use log2, log2:K, linear:WIDTH or increasing left edges from 1 "
        "(e.g. 1,128,512,2048)"
    )


LOG2 = Bins()
"""Power-of-two bins (the default)."""


def bin_trace(trace: pl.DataFrame, inputs: Bins = LOG2, outputs: Bins = LOG2) -> pl.DataFrame:
    """One row per non-empty (input bin, output bin): bounds, request count and the mean
    input and output lengths of its requests (where the bin is priced)."""
    n_in = trace["input_tokens"].to_numpy()
    n_out = trace["output_tokens"].to_numpy()
    keyed = pl.DataFrame(
        {
            "in_bin": inputs.index(n_in),
            "out_bin": outputs.index(n_out),
            "input_tokens": n_in,
            "output_tokens": n_out,
        }
    )
    grouped = (
        keyed.group_by("in_bin", "out_bin")
        .agg(
            pl.len().alias("requests"),
            pl.col("input_tokens").mean().alias("input_length"),
            pl.col("output_tokens").mean().alias("output_length"),
        )
        .sort("in_bin", "out_bin")
    )
    in_low, in_high = inputs.bounds(grouped["in_bin"].to_numpy())
    out_low, out_high = outputs.bounds(grouped["out_bin"].to_numpy())
    return grouped.with_columns(
        pl.Series("in_low", in_low),
        pl.Series("in_high", in_high),
        pl.Series("out_low", out_low),
        pl.Series("out_high", out_high),
    )

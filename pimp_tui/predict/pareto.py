"""Pareto fronts over two or three targets: the configurations no other one beats on every
target at once (each target minimised or maximised as asked)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pareto_mask(points, maximise: Sequence[bool] | None = None) -> np.ndarray:
    """True for each row of `points` (n x k) that no other row dominates. Exact duplicates of a
    front point are all kept."""
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[0] == 0:
        return np.zeros(len(p), dtype=bool)
    signs = np.array([-1.0 if m else 1.0 for m in (maximise or [False] * p.shape[1])])
    q = p * signs  # everything minimised from here on
    keep = np.ones(len(q), dtype=bool)
    for i in range(len(q)):
        no_worse = np.all(q <= q[i], axis=1)
        better = np.any(q < q[i], axis=1)
        if np.any(no_worse & better):
            keep[i] = False
    return keep & np.all(np.isfinite(p), axis=1)


def pareto_front(points, maximise: Sequence[bool] | None = None) -> list[int]:
    """Indices of the front, sorted by the first target."""
    p = np.asarray(points, dtype=float)
    idx = np.flatnonzero(pareto_mask(p, maximise))
    return [int(i) for i in idx[np.argsort(p[idx, 0], kind="stable")]]

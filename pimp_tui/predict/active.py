"""Which configurations to measure next: the candidates where the predictor is least sure
(uncertainty) or where a better value than the best measured one is most likely worth it
(expected improvement, computed in the learner's fitted space)."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

STRATEGIES = ("uncertainty", "ei")


def acquisition(
    learner, x_candidates, best: float, strategy: str = "ei", maximise: bool = False
) -> np.ndarray:
    """One score per candidate row, higher = measure sooner."""
    x = np.asarray(x_candidates, dtype=float)
    std = np.maximum(learner.uncertainty(x), 1e-12)
    if strategy == "uncertainty":
        return std
    mean = learner.predict(x)
    if getattr(learner, "log_", False):  # EI where the learner's errors are Gaussian
        mean, best = np.log(mean), np.log(best)
    gain = (mean - best) if maximise else (best - mean)
    z = gain / std
    return gain * norm.cdf(z) + std * norm.pdf(z)


def next_batch(
    learner, x_candidates, best: float, k: int, strategy: str = "ei", maximise: bool = False
) -> list[int]:
    """Indices of the k best candidates; duplicate rows are proposed once."""
    x = np.asarray(x_candidates, dtype=float)
    score = acquisition(learner, x, best, strategy, maximise)
    chosen: list[int] = []
    seen: set[bytes] = set()
    for i in np.argsort(-score, kind="stable"):
        key = x[i].tobytes()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(i))
        if len(chosen) == k:
            break
    return chosen

"""One entry point for every sampler: `draw(model, algorithm, ...)` -> valid configurations and,
for t-wise, a lower bound on any full-coverage sample's size; `sample` -> the configurations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.sampling.distance import distance_sample
from pimp_tui.sampling.exhaustive import all_configurations
from pimp_tui.sampling.literals import cover_problem
from pimp_tui.sampling.twise import twise_sample
from pimp_tui.sampling.uniform import uniform_sample
from pimp_tui.variability.model import Configuration, FeatureModel
from pimp_tui.variability.reasoning import Reasoner

ALGORITHMS = ("twise", "uniform", "distance", "diversified-distance", "all", "csv")
DEFAULT_SIZE = 50
"""Sample size of the random samplers when none is given."""

Progress = Callable[[str], None]


@dataclass
class Drawn:
    configs: list[Configuration]
    lower_bound: int | None = None
    """t-wise: no sample covering every valid interaction has fewer configurations (None for
    the other algorithms)."""


def sample(model: FeatureModel, algorithm: str, **params: Any) -> list[Configuration]:
    """The configurations `draw` returns (same parameters)."""
    return draw(model, algorithm, **params).configs


def draw(
    model: FeatureModel,
    algorithm: str,
    *,
    t: int = 2,
    size: int | None = None,
    seed: int = 0,
    time_budget: float | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    replacement: bool = False,
    configs: Sequence[Configuration] | None = None,
    iterations: int | None = None,
) -> Drawn:
    """Valid configurations of `model` drawn by `algorithm`, deterministic for `seed`.

    twise: covers every valid t-wise interaction (t = 1, 2 or 3); its local search is bounded by
    counted work (deterministic) or by `iterations`, or runs for `time_budget` seconds (then
    the result depends on the machine's speed); `size` caps the sample: when full coverage
    needs more configurations, the `size` that keep the most interactions covered.
    uniform / distance / diversified-distance: `size` configurations (uniform: with or without
    `replacement`). all: every configuration, if at most `limit`. csv: the given `configs`,
    each checked; PimpError lists the invalid ones and why.
    """
    if algorithm not in ALGORITHMS:
        raise PimpError(f"unknown algorithm {algorithm!r} (choose from {', '.join(ALGORITHMS)})")
    reasoner = Reasoner(model)
    if not reasoner.is_satisfiable():
        raise PimpError("the feature model has no valid configuration")
    encoding = reasoner.encoding
    if algorithm == "twise":
        if t not in (1, 2, 3):
            raise PimpError(f"t must be 1, 2 or 3, not {t}")
        result = twise_sample(
            cover_problem(encoding),
            t,
            seed,
            iterations=_iterations(t, iterations, time_budget),
            time_budget=time_budget,
            progress=progress,
            size=None if size is None else _size(size),
        )
        return Drawn([encoding.decode(m) for m in result.models], result.lower_bound)
    if algorithm == "uniform":
        out = uniform_sample(encoding, _size(size), seed, replacement, progress)
    elif algorithm in ("distance", "diversified-distance"):
        diversified = algorithm == "diversified-distance"
        out = distance_sample(encoding, _size(size), seed, diversified, progress)
    elif algorithm == "all":
        out = all_configurations(encoding, limit)
    else:
        out = validated(reasoner, configs or [])
    if size is not None and algorithm in ("all", "csv"):
        out = out[:size]
    return Drawn(out)


def _iterations(t: int, given: int | None, time_budget: float | None) -> int:
    """Local-search steps: as given; else as many as a time budget allows; else 300 (60 for
    3-wise, whose steps cost far more: cubic interaction tables)."""
    if given is not None:
        return given
    if time_budget is not None:
        return 10**9
    return 300 if t < 3 else 60


def _size(size: int | None) -> int:
    if size is not None and size < 1:
        raise PimpError(f"sample size must be positive, not {size}")
    return DEFAULT_SIZE if size is None else size


def validated(reasoner: Reasoner, configs: Sequence[Configuration]) -> list[Configuration]:
    """The configurations, if all are valid; otherwise PimpError naming each invalid row."""
    problems = []
    for position, config in enumerate(configs, start=1):
        broken = reasoner.violations(config)
        if broken:
            problems.append(f"configuration {position} breaks {'; '.join(broken)}")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PimpError(
            f"{len(problems)} invalid configuration(s): " + " | ".join(problems[:5]) + more
        )
    return [dict(c) for c in configs]

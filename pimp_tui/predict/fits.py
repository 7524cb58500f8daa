"""Independent fits side by side.

A cross-validation's folds and a learning curve's splits are separate fits of one learner. On a
machine with several cores, where the fits are not trivial, they run in worker processes
(joblib's loky pool, which stays up between actions, so only the first action pays for the
workers' start). Each fit draws from its own seed, so the answers are the same, to the bit, as
one fit after the other; results come back in the order the fits were given, and each one
finished moves the tracker (which stops the rest once the user cancels).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np

from pimp_tui.predict.learners import make_learner
from pimp_tui.predict.progress import Tracker

PARALLEL_CELLS = 500
"""Training rows times options from which a fit is worth a worker process: below, sending the
work costs more than doing it."""
MAX_WORKERS = 8


@dataclass(frozen=True)
class Fit:
    """One fit: `learner` from `seed` on rows `train`, predicting rows `test`."""

    learner: str
    seed: int
    bounds: tuple[float, float] | None
    train: np.ndarray
    test: np.ndarray
    steps: int = 1
    """Progress steps the fit counts for (its share of the action's work)."""


@dataclass(frozen=True)
class Fitted:
    predicted: np.ndarray
    intervals: dict[float, tuple[np.ndarray, np.ndarray]]
    """Central interval (low, high) of each test row's prediction, by level."""


def fit_all(
    x: np.ndarray,
    y: np.ndarray,
    fits: Sequence[Fit],
    levels: Sequence[float] = (),
    tracker: Tracker | None = None,
    workers: int | None = None,
) -> list[Fitted]:
    """Every fit's predictions (and intervals at `levels`) on its test rows, in order. `workers`:
    processes to use (None: the machine's cores, where the fits are large enough)."""
    tracker = tracker or Tracker()
    if workers is None:
        workers = worker_count(fits, x.shape[1])
    outputs: Generator[Fitted, None, None]
    if workers <= 1:
        outputs = (_fit_one(x, y, fit, levels) for fit in fits)
    else:
        from joblib import Parallel, delayed

        _start_trackers()
        outputs = Parallel(n_jobs=workers, return_as="generator")(
            delayed(_fit_one)(x, y, fit, levels) for fit in fits
        )
    results = []
    try:
        for fit, fitted in zip(fits, outputs, strict=True):
            results.append(fitted)
            tracker.step(fit.steps)
    finally:
        # Cancelled: the fits not yet started are dropped (joblib's note that some were
        # computed for nothing would only add noise to the user's terminal).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            outputs.close()
    return results


def worker_count(fits: Sequence[Fit], options: int) -> int:
    """Processes worth using for `fits`: one where there is one fit or the largest is too small
    to be worth sending, else the pool's size (always the same, so the pool is reused as it is,
    never resized)."""
    if len(fits) < 2 or max(len(f.train) for f in fits) * options < PARALLEL_CELLS:
        return 1
    return pool_size()


def pool_size() -> int:
    """The worker pool's size: the cores this process may use, at most `MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_WORKERS))


def start_workers() -> None:
    """Starts the worker processes, each fitting a tiny table (which loads every library a fit
    uses), and returns once they are ready: called ahead of the first learning action (the
    Predict pane does when shown), it spares that action the workers' start."""
    workers = pool_size()
    if workers <= 1:
        return
    from joblib import Parallel, delayed

    _start_trackers()
    Parallel(n_jobs=workers)(delayed(_warm)() for _ in range(workers))


def _start_trackers() -> None:
    """Starts the pool's resource trackers with the process's own stderr. Each tracker hands
    its child the descriptor of `sys.stderr` when it starts; in the workbench that is the UI's
    capture, whose descriptor is not one, and every worker then fails to start ("bad value(s)
    in fds_to_keep"). Started once, they serve every later worker."""
    from multiprocessing import resource_tracker as multiprocessing_tracker

    from joblib.externals.loky.backend import resource_tracker as loky_tracker

    captured = sys.stderr
    if sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__
    try:
        multiprocessing_tracker.ensure_running()
        loky_tracker.ensure_running()
    finally:
        sys.stderr = captured


def _warm() -> None:
    x = np.arange(12.0).reshape(6, 2) % 3
    make_learner("auto").fit(x, x.sum(axis=1) + 1.0)


def _fit_one(x: np.ndarray, y: np.ndarray, fit: Fit, levels: Sequence[float]) -> Fitted:
    model = make_learner(fit.learner, fit.seed, fit.bounds).fit(x[fit.train], y[fit.train])
    test = x[fit.test]
    intervals = {level: model.predict_interval(test, level) for level in levels}
    return Fitted(model.predict(test), intervals)

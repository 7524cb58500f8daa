"""Fits side by side in worker processes: the same answers as one after the other, progress per
finished fit, and a cancel that stops them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pimp_tui.predict.evaluation import cross_validate, learning_curve
from pimp_tui.predict.fits import MAX_WORKERS, PARALLEL_CELLS, Fit, start_workers, worker_count
from pimp_tui.predict.progress import Cancelled, Tracker


def _data(rows: int = 36, options: int = 5):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, (rows, options)).astype(float)
    return x, 3 + 2 * x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(0, 0.1, rows)


def test_folds_fitted_in_workers_give_the_answers_of_one_fit_after_the_other() -> None:
    x, y = _data()
    start_workers()  # as the Predict pane does when shown: the fits below reuse the pool
    alone = cross_validate(x, y, "auto", folds=4, seed=3, workers=1)
    side_by_side = cross_validate(x, y, "auto", folds=4, seed=3, workers=2)
    assert np.array_equal(alone.pop("oof"), side_by_side.pop("oof"))
    assert alone == side_by_side
    curve = [learning_curve(x, y, [8, 16], "gbm", 3, 5, workers=w) for w in (1, 2)]
    assert curve[0] == curve[1]


def test_each_fit_finished_in_a_worker_moves_the_progress() -> None:
    x, y = _data()
    seen: list[float] = []
    tracker = Tracker({"cross-validating": 1.0}, lambda p: seen.append(p.fraction))
    tracker.stage("cross-validating")
    cross_validate(x, y, "cart", folds=4, seed=0, tracker=tracker, workers=2)
    assert seen[-4:] == [0.25, 0.5, 0.75, 1.0]


@pytest.mark.filterwarnings("error")
def test_a_cancel_stops_the_fits_in_workers() -> None:
    x, y = _data()
    steps: list[float] = []
    tracker = Tracker({"curve": 1.0}, lambda p: steps.append(p.fraction), lambda: len(steps) > 2)
    tracker.stage("curve")
    with pytest.raises(Cancelled):
        learning_curve(x, y, [8, 16, 24], "gbm", 4, 0, tracker=tracker, workers=2)
    assert len(steps) == 3  # the stage's start, then two fits: the third check stopped it


def test_small_fits_or_a_single_fit_stay_in_this_process() -> None:
    train, test = np.arange(30), np.arange(30, 40)
    small = [Fit("auto", s, None, train, test) for s in range(5)]
    assert worker_count(small, options=PARALLEL_CELLS // 30 - 1) == 1
    assert worker_count(small[:1], options=PARALLEL_CELLS) == 1
    cores = len(os.sched_getaffinity(0))
    assert worker_count(small, options=PARALLEL_CELLS) == min(cores, MAX_WORKERS)


def test_workers_start_where_stderr_is_a_capture_without_a_descriptor() -> None:
    """As in the workbench, whose UI captures sys.stderr: the workers must still start (they
    failed with "bad value(s) in fds_to_keep"). A fresh process, so no tracker runs yet."""
    program = textwrap.dedent(
        """
        import io, sys
        import numpy as np
        from pimp_tui.predict.evaluation import cross_validate
        from pimp_tui.predict.fits import start_workers

        class Capture(io.TextIOBase):
            def fileno(self):
                return -1

        sys.stderr = Capture()
        start_workers()
        rng = np.random.default_rng(0)
        x = rng.integers(0, 2, (40, 20)).astype(float)
        cv = cross_validate(x, 1 + x[:, 0] + rng.uniform(0, 0.1, 40), "cart", 4, workers=2)
        print(cv["folds"])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "4"

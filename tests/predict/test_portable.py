"""Fitted predictors are stored as data: every learner comes back predicting exactly as it did,
and a hostile or damaged store is refused with one line, never executed."""

from __future__ import annotations

import json
import pickle
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pimp_tui.cli import main
from pimp_tui.errors import UnreadableData
from pimp_tui.predict import portable
from pimp_tui.predict.encoding import Encoder
from pimp_tui.predict.learners import LEARNERS, make_learner
from pimp_tui.predict.saved import load_predictor, save_predictor
from pimp_tui.store.db import open_store

ENCODER = Encoder(
    ["cache", "threads", "mode"],
    {"cache": "boolean", "threads": "numeric", "mode": "categorical"},
    {"mode": ["fast", "slow", "safe"]},
)


def _table(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    configs = [
        {"cache": bool(rng.integers(2)), "threads": int(rng.choice([1, 2, 4, 8])),
         "mode": str(rng.choice(["fast", "slow", "safe"]))}
        for _ in range(rows)
    ]  # fmt: skip
    x = ENCODER.encode(configs)
    y = 5.0 * (1.4 if x[0, 0] else 1.0) + 3.0 / x[:, 1] + 2.0 * x[:, 3] + x[:, 2] * x[:, 1]
    return x, y * rng.lognormal(0.0, 0.05, rows)


def _store(path: Path, learner: str = "gbm") -> tuple[str, object, np.ndarray]:
    x, y = _table(30, 0)
    fitted = make_learner(learner, 0).fit(x, y)
    db = open_store(path)
    save_predictor(
        db, name="energy", target="energy_j", learner=learner, seed=0, source="campaign:1",
        encoder=ENCODER, fitted=fitted, n_train=len(y),
    )  # fmt: skip
    db.close()
    return str(path), fitted, x


@pytest.mark.parametrize("learner", list(LEARNERS))
def test_every_learner_predicts_identically_after_the_store(tmp_path: Path, learner: str) -> None:
    path, fitted, _ = _store(tmp_path / "p.db", learner)
    _, loaded, encoder = load_predictor(open_store(path), "energy")
    queries, _ = _table(17, 1)
    assert encoder.columns == ENCODER.columns
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.predict(queries), fitted.predict(queries))
    for level in (0.68, 0.95):
        for got, want in zip(loaded.predict_interval(queries, level),
                             fitted.predict_interval(queries, level), strict=True):  # fmt: skip
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(loaded.uncertainty(queries), fitted.uncertainty(queries))


def _estimators() -> dict[str, object]:
    from sklearn.ensemble import (
        GradientBoostingRegressor,
        HistGradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.linear_model import (
        Lasso,
        LassoCV,
        OrthogonalMatchingPursuit,
        OrthogonalMatchingPursuitCV,
    )
    from sklearn.tree import DecisionTreeRegressor

    return {
        "tree": DecisionTreeRegressor(random_state=0),
        "forest": RandomForestRegressor(25, random_state=0),
        "boosting": GradientBoostingRegressor(n_estimators=40, subsample=0.8, random_state=0),
        "histogram boosting": HistGradientBoostingRegressor(
            max_iter=40, max_depth=3, min_samples_leaf=5, early_stopping=False, random_state=0
        ),
        "lasso": Lasso(alpha=0.01),
        "lasso path": LassoCV(cv=3),
        "matching pursuit": OrthogonalMatchingPursuit(n_nonzero_coefs=3),
        "matching pursuit path": OrthogonalMatchingPursuitCV(cv=3),
    }


@pytest.mark.parametrize("name", list(_estimators()))
def test_each_stand_in_predicts_exactly_as_scikit_learn(name: str) -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.integers(0, 2, 400), rng.choice([1, 2, 4, 8], 400),
                         rng.uniform(0.1, 1.7, 400), rng.normal(size=400)])  # fmt: skip
    y = 3 * x[:, 0] + np.log(x[:, 1]) * x[:, 2] + 0.1 * rng.normal(size=400)
    estimator = _estimators()[name].fit(x, y)
    queries = np.vstack([rng.permutation(x)[:50], x[:5] + 1e-9, x[:5] * 1.0000001])
    stand_in = portable.frozen.freeze(estimator)
    np.testing.assert_array_equal(stand_in.predict(queries), estimator.predict(queries))
    trees = getattr(stand_in, "stages", getattr(stand_in, "estimators_", []))
    for tree in [stand_in] if isinstance(stand_in, portable.frozen.Tree) else trees:
        tree.validate()  # what loading checks: every child numbered after its parent


def test_a_stored_learner_is_bytes_of_data_not_a_pickle(tmp_path: Path) -> None:
    x, y = _table(20, 2)
    blob = portable.dumps(make_learner("rf", 0).fit(x, y))
    assert blob.startswith(portable.MAGIC) and b"sklearn" not in blob
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(blob)


def _raw_header(header: bytes, body: bytes = b"") -> bytes:
    """Bytes in the stored layout: magic, header length, header, arrays."""
    return portable.MAGIC + struct.pack("<I", len(header)) + header + body


def _blob(root: object, arrays: list[np.ndarray] = (), specs: list | None = None) -> bytes:
    """A hand-written description with its arrays (`specs`: a different array table)."""
    table = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]
    header = {"format": portable.FORMAT, "root": root, "arrays": table if specs is None else specs}
    return _raw_header(json.dumps(header).encode(), b"".join(a.tobytes() for a in arrays))


def _cart(without: str = "", **changes: object) -> bytes:
    """A one-split regression tree (option 0 <= 0.5: 1.0, else 2.0) as a stored `cart`, its
    tree's attributes changed or one left out."""
    nodes = {
        "left": np.array([1, -1, -1]), "right": np.array([2, -1, -1]),
        "feature": np.array([0, -2, -2]), "threshold": np.array([0.5, -2.0, -2.0]),
        "missing_left": np.array([True, False, False]), "value": np.array([0.0, 1.0, 2.0]),
        "float32": True, **changes,
    }  # fmt: skip
    nodes.pop(without, None)
    arrays: list[np.ndarray] = []
    state = {}
    for key, value in nodes.items():
        if isinstance(value, np.ndarray):
            arrays.append(value)
            value = {"array": len(arrays) - 1}
        state[key] = value
    learner = {
        "seed": 0, "log_target": "auto", "min_samples_leaf": 1, "log_": False,
        "n_features_in_": 5, "scale_": 0.1, "model_": {"object": "Tree", "state": state},
    }  # fmt: skip
    return _blob({"object": "Cart", "state": learner}, arrays)


def test_a_hand_written_description_of_trusted_types_loads() -> None:
    learner = portable.loads(_cart(), 5)
    assert learner.predict(np.array([[0.0] * 5, [1.0] * 5])).tolist() == [1.0, 2.0]


class _CreatesFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def _hostile(marker: Path) -> dict[str, tuple[bytes, str]]:
    """Case -> (stored bytes, what the refusal says)."""
    nested = b"[" * 100_000 + b"]" * 100_000
    return {
        "pickle": (pickle.dumps(_CreatesFile(marker)), "stored as a pickle"),
        "old pickle protocol": (
            b"cbuiltins\nopen\n(S'" + str(marker).encode() + b"'\nS'w'\ntR.",
            "not a stored predictor",
        ),
        "untrusted type": (_blob({"object": "system", "state": {}}), "untrusted type 'system'"),
        "garbage": (b"\x00\x01garbage" * 5, "not a stored predictor"),
        "empty": (b"", "not a stored predictor"),
        "truncated": (_cart()[:-3], "truncated"),
        "trailing bytes": (_cart() + b"\x00", "bytes after the arrays"),
        "bad json": (_raw_header(b"{{{"), "JSONDecodeError"),
        "deep nesting": (
            _raw_header(b'{"format": 1, "arrays": [], "root": ' + nested + b"}"),
            "RecursionError",
        ),
        "object arrays": (
            _blob({"array": 0}, specs=[{"dtype": "|O", "shape": [1]}]),
            "array of an unknown kind",
        ),
        "huge shape": (
            _blob({"array": 0}, specs=[{"dtype": "<f8", "shape": [2**40 - 1] * 2}]),
            "truncated",
        ),
        "method hidden": (_cart(predict=3), "sets 'predict' on Tree"),
        "cyclic tree": (_cart(left=np.array([0, -1, -1])), "not after its parent"),
        "child out of range": (_cart(right=np.array([7, -1, -1])), "not after its parent"),
        "broken attribute": (_cart(value=np.array([1.0, 2.0])), "different lengths"),
        "not a learner": (_blob({"tuple": [1, 2]}), "not a predictor"),
        "older learner state": (
            _cart(without="float32"),
            "stored by another version of pimp ('Tree' object has no attribute 'float32')",
        ),
    }


@pytest.mark.parametrize("case", list(_hostile(Path("x"))))
def test_hostile_or_damaged_blobs_are_refused_without_running_anything(
    tmp_path: Path, case: str
) -> None:
    marker = tmp_path / "ran"
    blob, reason = _hostile(marker)[case]
    with pytest.raises(UnreadableData, match=re.escape(reason)) as error:
        portable.loads(blob, 5)
    assert "\n" not in str(error.value)
    assert not marker.exists()


def test_a_learner_that_fails_to_predict_is_refused_at_load() -> None:
    with pytest.raises(UnreadableData, match="damaged stored predictor"):
        portable.loads(_cart(), 0)  # the tree splits on option 0: rows of no option fail


def test_a_value_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    for value in (10**12, "text", None):
        with pytest.raises(UnreadableData, match="not a stored predictor"):
            portable.loads(value, 5)


def _replace_blob(path: str, blob: object) -> None:
    db = open_store(path)
    with db.conn:
        db.conn.execute("UPDATE predictors SET fitted = ? WHERE name = 'energy'", [blob])
    db.close()


def test_a_store_holding_a_pickle_is_refused_with_the_command_to_retrain(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path, _, _ = _store(tmp_path / "p.db")
    marker = tmp_path / "ran"
    _replace_blob(path, pickle.dumps(_CreatesFile(marker)))
    before = Path(path).read_bytes()
    for command in (["query", "energy", "cache=true"], ["score", "energy"]):
        assert main(["--db", path, "predict", *command]) == 1
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "pickle" in err
        assert err.endswith("train it again: pimp predict train --target energy_j "
                            "--campaign 1 --learner gbm --name energy")  # fmt: skip
        assert not marker.exists()
    assert Path(path).read_bytes() == before


def test_a_store_naming_an_untrusted_type_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path, _, _ = _store(tmp_path / "p.db")
    _replace_blob(path, _blob({"object": "Popen", "state": {"args": ["touch", "x"]}}))
    assert main(["--db", path, "predict", "query", "energy", "cache=true"]) == 1
    assert "untrusted type 'Popen'" in capsys.readouterr().err


def test_a_pickle_beside_metadata_of_odd_types_is_still_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path, _, _ = _store(tmp_path / "p.db")
    db = open_store(path)
    with db.conn:
        db.conn.execute("UPDATE predictors SET fitted = ?, source = ?", [pickle.dumps(1), b"\xff"])
    db.close()
    assert main(["--db", path, "predict", "query", "energy", "cache=true"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


UNNEEDED = (
    "sklearn",
    "scipy.optimize",
    "scipy.spatial",
    "scipy.stats",
    "torch",
    "transformers",
    "textual",
)


@pytest.mark.parametrize("learner", ["rf", "auto"])
def test_a_query_imports_only_what_the_predictor_needs(tmp_path: Path, learner: str) -> None:
    """No fitting library, no UI: a forest, and a blend with a Gaussian process on a few
    hundred rows, answer with numpy alone."""
    unneeded = ("scipy", *UNNEEDED)
    path, fitted, _ = _store(tmp_path / "p.db", learner)
    script = (
        "import json, sys\nfrom pimp_tui.cli import main\n"
        f"code = main(['--db', {path!r}, 'predict', 'query', 'energy', 'threads=2', 'mode=slow'])\n"
        f"print(json.dumps([code, [m for m in {unneeded!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)  # fmt: skip
    lines = done.stdout.splitlines()
    answer, (code, loaded) = json.loads(lines[0]), json.loads(lines[-1])
    assert code == 0 and loaded == []
    config = {"cache": False, "threads": 2, "mode": "slow"}
    assert answer["prediction"] == float(fitted.predict(ENCODER.encode([config]))[0])

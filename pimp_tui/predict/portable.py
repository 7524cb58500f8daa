"""A fitted learner as plain data and back: what a store keeps instead of a pickle.

Loading a pickle runs whatever code its author chose, so a store handed over by someone else
could run commands. Here a fitted learner becomes a JSON description (numbers, strings, lists,
and objects named by class) plus raw numeric arrays; loading builds only the classes listed in
`TRUSTED`, fills in their attributes and calls nothing else. Fitted scikit-learn estimators are
replaced by their numpy stand-ins (`frozen`), which predict identically, so loading imports
neither scikit-learn nor anything it would run.

Layout: MAGIC, the header's length (4 bytes, little-endian), the header (UTF-8 JSON: format,
root, and each array's dtype and shape), then the arrays' bytes one after the other.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from pimp_tui.errors import PimpError, UnreadableData
from pimp_tui.predict import frozen, gp, learners

MAGIC = b"pimp-fitted\x00"
FORMAT = 1
PICKLE_PREFIX = b"\x80"
"""Pickles of protocol 2 and later start with this byte (what earlier versions stored)."""

TRUSTED: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        learners.Auto, learners.RandomForest, learners.Cart, learners.GradientBoosting,
        learners.LinearInteractions, learners.GaussianProcessLearner, learners.Lasso,
        learners._ForwardSelection, learners._PairwiseLasso, learners._UnitRange,
        learners._Boosting,
        gp.LikeliestKernelGP, gp.GaussianProcess, *frozen.FROZEN_TYPES,
    )
}  # fmt: skip
"""The only classes a stored predictor may name."""

_DTYPES = ("<f8", "<f4", "<i8", "<i4", "|b1", "|u1")
_MAX_DEPTH = 64


def dumps(learner: learners.Learner) -> bytes:
    """The fitted learner as bytes (PimpError if it holds something that cannot be stored)."""
    arrays: list[np.ndarray] = []
    root = _encode(learner, arrays, 0)
    header = json.dumps({
        "format": FORMAT, "root": root,
        "arrays": [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays],
    }).encode()  # fmt: skip
    body = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    return MAGIC + struct.pack("<I", len(header)) + header + body


def loads(blob: Any, n_features: int) -> learners.Learner:
    """The learner again, checked to predict a row of `n_features` options; UnreadableData if
    the bytes are anything else (a pickle is recognised and refused, never loaded)."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise UnreadableData("not a stored predictor (not bytes)")
    blob = bytes(blob)
    if blob.startswith(PICKLE_PREFIX):
        raise UnreadableData("stored as a pickle by an earlier pimp, which is no longer read")
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise UnreadableData("not a stored predictor (damaged or foreign data)")
    (size,) = struct.unpack_from("<I", blob, len(MAGIC))
    start = len(MAGIC) + 4
    try:
        header = json.loads(blob[start : start + size].decode())
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise UnreadableData("a stored predictor of an unknown format")
        arrays = _arrays(header.get("arrays"), memoryview(blob)[start + size :])
        learner = _decode(header.get("root"), arrays, 0)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UnreadableData(f"damaged stored predictor ({type(exc).__name__})") from None
    if not isinstance(learner, learners.Learner):
        raise UnreadableData("the stored object is not a predictor")
    _check(learner, n_features)
    return learner


def _encode(value: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise PimpError("a fitted learner nested too deeply to store")
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.str not in _DTYPES:
            raise PimpError(f"cannot store an array of {array.dtype}")
        arrays.append(array)
        kind = "array" if isinstance(value, np.ndarray) else "scalar"
        return {kind: len(arrays) - 1}
    if isinstance(value, float):
        return value
    if isinstance(value, list):
        return [_encode(v, arrays, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, arrays, depth + 1) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise PimpError("cannot store a mapping whose keys are not strings")
        return {"dict": {k: _encode(v, arrays, depth + 1) for k, v in value.items()}}
    stand_in = frozen.freeze(value)
    if stand_in is not None:
        value = stand_in
    if TRUSTED.get(type(value).__name__) is not type(value):
        raise PimpError(f"cannot store a fitted {type(value).__qualname__}")
    state = {k: _encode(v, arrays, depth + 1) for k, v in vars(value).items()}
    return {"object": type(value).__name__, "state": state}


def _arrays(specs: Any, body: memoryview) -> list[np.ndarray]:
    """The arrays the header describes, each copied out of `body`, which they must fill."""
    if not isinstance(specs, list):
        raise UnreadableData("damaged stored predictor (no array table)")
    out, offset = [], 0
    for spec in specs:
        dtype, shape = (spec.get("dtype"), spec.get("shape")) if isinstance(spec, dict) else (0, 0)
        if dtype not in _DTYPES or not isinstance(shape, list) or len(shape) > 8:
            raise UnreadableData("damaged stored predictor (array of an unknown kind)")
        if not all(isinstance(n, int) and 0 <= n < 2**40 for n in shape):
            raise UnreadableData("damaged stored predictor (array of an impossible shape)")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        nbytes = count * np.dtype(dtype).itemsize  # type: ignore[arg-type]
        if offset + nbytes > len(body):
            raise UnreadableData("damaged stored predictor (truncated arrays)")
        chunk = body[offset : offset + nbytes]
        out.append(np.frombuffer(chunk, dtype=dtype).reshape(shape).copy())  # type: ignore[arg-type]
        offset += nbytes
    if offset != len(body):
        raise UnreadableData("damaged stored predictor (bytes after the arrays)")
    return out


def _decode(value: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise UnreadableData("damaged stored predictor (nested too deeply)")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v, arrays, depth + 1) for v in value]
    if isinstance(value, dict) and set(value) == {"object", "state"}:
        return _instance(value["object"], value["state"], arrays, depth)
    if not isinstance(value, dict) or len(value) != 1:
        raise UnreadableData("damaged stored predictor (unknown value)")
    ((kind, content),) = value.items()
    if kind in ("array", "scalar"):
        if not isinstance(content, int) or isinstance(content, bool):
            raise UnreadableData("damaged stored predictor (bad array reference)")
        if not 0 <= content < len(arrays):
            raise UnreadableData("damaged stored predictor (bad array reference)")
        array = arrays[content]
        return array if kind == "array" else array[()]
    if kind == "tuple" and isinstance(content, list):
        return tuple(_decode(v, arrays, depth + 1) for v in content)
    if kind == "dict" and isinstance(content, dict):
        return {k: _decode(v, arrays, depth + 1) for k, v in content.items()}
    raise UnreadableData("damaged stored predictor (unknown value)")


def _instance(name: Any, state: Any, arrays: list[np.ndarray], depth: int) -> Any:
    """An instance of a trusted class with the given attributes, built without calling its
    constructor; an attribute may not hide one of the class's methods."""
    cls = TRUSTED.get(name) if isinstance(name, str) else None
    if cls is None:
        raise UnreadableData(f"the stored predictor names an untrusted type {str(name)[:60]!r}")
    if not isinstance(state, dict):
        raise UnreadableData("damaged stored predictor (object without attributes)")
    for key in state:
        if not key.isidentifier() or key.startswith("__") or _is_behaviour(cls, key):
            raise UnreadableData(f"the stored predictor sets {key[:60]!r} on {name}")
    instance = cls.__new__(cls)  # type: ignore[call-overload]
    vars(instance).update({k: _decode(v, arrays, depth + 1) for k, v in state.items()})
    if hasattr(cls, "validate"):  # the stand-ins check their own arrays
        try:
            instance.validate()
        except (ValueError, TypeError, AttributeError) as exc:
            raise UnreadableData(f"damaged stored predictor ({name}: {exc})") from None
    return instance


def _is_behaviour(cls: type, name: str) -> bool:
    attribute = getattr(cls, name, None)
    return callable(attribute) or isinstance(attribute, property)


def _check(learner: learners.Learner, n_features: int) -> None:
    """Predict one row: damaged attributes fail here, with a message, not in the middle of an
    answer. A missing attribute means the learner was stored by a version of pimp whose
    learners held other state."""
    try:
        with np.errstate(all="ignore"):
            learner.predict_interval(np.zeros((1, n_features)))
    except AttributeError as exc:
        detail = " ".join(str(exc).split())[:120]
        raise UnreadableData(f"stored by another version of pimp ({detail})") from None
    except Exception as exc:  # any failure of untrusted data is the data's, not a bug
        raise UnreadableData(f"damaged stored predictor ({type(exc).__name__})") from None

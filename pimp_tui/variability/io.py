"""Reading and writing feature models by file extension: `.uvl` (UVL) or `.xml` (FeatureIDE)."""

from __future__ import annotations

from pathlib import Path

from pimp_tui.errors import ModelSyntaxError, PimpError
from pimp_tui.variability.featureide import parse_featureide, write_featureide
from pimp_tui.variability.model import FeatureModel
from pimp_tui.variability.uvl_parser import parse_uvl
from pimp_tui.variability.uvl_writer import write_uvl

__all__ = [
    "load_model",
    "parse_featureide",
    "parse_uvl",
    "save_model",
    "write_featureide",
    "write_uvl",
]

_FORMATS = (".uvl", ".xml")


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise PimpError(f"{path}: unknown model format '{suffix}' (use .uvl or .xml)")
    return suffix


def load_model(path: str | Path) -> FeatureModel:
    """Read a model file; `model.source` is set to the path it came from."""
    path = Path(path)
    suffix = _format(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PimpError(f"{path}: {e.strerror}") from None
    if suffix == ".xml":
        model = parse_featureide(data, str(path))
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
            raise ModelSyntaxError("not UTF-8 text", str(path), line, col) from None
        model = parse_uvl(text, str(path))
    model.source = str(path)
    return model


def save_model(model: FeatureModel, path: str | Path) -> None:
    """Write a model file in the format its extension names."""
    path = Path(path)
    text = write_uvl(model) if _format(path) == ".uvl" else write_featureide(model)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise PimpError(f"{path}: {e.strerror}") from None

"""Reading and writing feature models by file extension: `.uvl` (UVL) or `.xml` (FeatureIDE)."""

from __future__ import annotations

from pathlib import Path

from pimp_tui.errors import ModelSyntaxError, PimpError
from pimp_tui.files import write_text
from pimp_tui.variability.featureide import parse_featureide, write_featureide
from pimp_tui.variability.limits import MAX_IMPORT_DEPTH
from pimp_tui.variability.model import FeatureModel
from pimp_tui.variability.uvl_parser import ImportProblem, parse_uvl
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
    """Read a model file; `model.source` is set to the path it came from. A UVL file's
    imports are read from files next to it."""
    path = Path(path)
    suffix = _format(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PimpError(f"{path}: {e.strerror}") from None
    if suffix == ".xml":
        model = parse_featureide(data, str(path))
    else:
        model = _Imports().parse(path, data)
    model.source = str(path)
    return model


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ModelSyntaxError("not UTF-8 text", str(path), line, col) from None


class _Imports:
    """UVL files and the files they import: `imports a.b` is `a/b.uvl` next to the importing
    file. Each file is read once; a file that imports itself, directly or not, is refused."""

    def __init__(self) -> None:
        self.read: dict[Path, FeatureModel] = {}
        self.open: list[Path] = []
        """The files being read, the first importing the second and so on."""

    def parse(self, path: Path, data: bytes) -> FeatureModel:
        self.open.append(path.resolve())
        try:
            return parse_uvl(_text(path, data), str(path), lambda name: self.load(path, name))
        finally:
            self.open.pop()

    def load(self, importing: Path, name: str) -> FeatureModel:
        parts = name.split(".")
        if any(not p or p in (".", "..") or "/" in p or "\\" in p for p in parts):
            raise ImportProblem(f"cannot import '{name}': name a model file by its path's words")
        path = importing.parent.joinpath(*parts[:-1], parts[-1] + ".uvl")
        resolved = path.resolve()
        if resolved in self.open:
            cycle = self.open[self.open.index(resolved) :] + [resolved]
            shown = " imports ".join(p.name for p in cycle)
            raise ImportProblem(f"import cycle: {shown}")
        if resolved not in self.read:
            if len(self.open) > MAX_IMPORT_DEPTH:
                raise ImportProblem(f"imports nested more than {MAX_IMPORT_DEPTH} files deep")
            try:
                data = path.read_bytes()
            except OSError as e:
                raise ImportProblem(f"cannot import '{name}': {path}: {e.strerror}") from None
            self.read[resolved] = self.parse(path, data)
        return self.read[resolved]


def save_model(model: FeatureModel, path: str | Path) -> None:
    """Write a model file in the format its extension names, replacing it atomically."""
    path = Path(path)
    write_text(path, write_uvl(model) if _format(path) == ".uvl" else write_featureide(model))

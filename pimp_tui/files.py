"""User files in and out without surprises: text inputs read as UTF-8 (a byte-order mark
allowed) with a located error otherwise; outputs that never clobber what the command reads and
that replace an existing file only once the new content is complete."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pimp_tui.errors import PimpError

StrPath = str | os.PathLike[str]


def read_text(path: StrPath) -> str:
    """The file as text; PimpError `FILE:LINE:COL: not UTF-8 text` names the first bad byte."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PimpError(f"{path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise PimpError(
            f"{path}:{line}:{col}: not UTF-8 text (byte 0x{data[start]:02X}): save it as UTF-8"
        ) from None


def check_output(path: StrPath, option: str, protect: Iterable[StrPath | None] = ()) -> Path:
    """Refuse an output that is one of the files the command reads (`protect`: its inputs, the
    store) under any spelling, a folder, or a file in a folder that does not exist."""
    out = Path(path)
    if str(path).strip() == "":
        raise PimpError(f"{option}: empty file name")
    if out.is_dir():
        raise PimpError(f"{option} {path}: is a folder: give a file name")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise PimpError(f"{option} {path}: no folder {parent}: create it first")
    for source in protect:
        if source is not None and str(source) != "" and _same_file(out, Path(source)):
            raise PimpError(
                f"{option} {path}: is {source}, which this command reads: "
                "choose another output file"
            )
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


@contextmanager
def replaced_atomically(path: StrPath) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write the whole output to; on success it
    replaces `path` in one rename, on failure it is removed and `path` is left as it was."""
    target = Path(os.path.realpath(path))  # through a symlink: the link stays a link
    temp = _new_temp(target)
    try:
        yield temp
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise PimpError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _new_temp(target: Path) -> Path:
    """An empty file in the target's folder with the mode the target has (or would get)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = None
    while True:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise PimpError(f"{target}: cannot write: {exc.strerror or exc}") from None
        if mode is not None:
            os.fchmod(fd, mode)
        os.close(fd)
        return temp


def write_text(path: StrPath, text: str) -> None:
    """Write `text` (UTF-8) to `path`, replacing it atomically."""
    with replaced_atomically(path) as temp:
        temp.write_text(text, encoding="utf-8")

"""The core packages never import Textual: each is imported in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pimp_tui

CORE = ("variability", "sampling", "measure", "predict", "workload", "store", "services")
ROOT = Path(pimp_tui.__file__).parent


def modules(package: str) -> list[str]:
    base = ROOT / package
    return sorted(
        "pimp_tui."
        + ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in base.rglob("*.py")
    )


@pytest.mark.parametrize("package", CORE)
def test_core_package_does_not_import_textual(package: str) -> None:
    names = modules(package)
    assert names, f"no modules found under pimp_tui/{package}"
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'textual' in sys.modules:\n"
        "        print(name)\n"
        "        break\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{result.stdout.strip()} imports textual"


def test_tui_start_up_does_not_import_heavy_libraries() -> None:
    """What `pimp` imports before the first frame (the CLI hub with every command module, then
    the app) leaves torch, transformers, scikit-learn and the SAT solver to the workers and
    commands that need them."""
    script = (
        "import sys\n"
        "from pimp_tui.cli import build_parser\n"
        "build_parser()\n"
        "import pimp_tui.app\n"
        "heavy = ('torch', 'transformers', 'sklearn', 'pysat', 'polars')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported before the first frame: {result.stdout}"

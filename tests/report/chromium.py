"""Headless Chromium (Debian's `chromium`) for the report tests: the DOM after rendering, the
page's console messages, and a screenshot. Started with a fresh profile and nothing that
reaches the network."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
)  # fmt: skip


def executable() -> str:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(found).exists(), "chromium is needed: apt-get install -y chromium (.ci/run does)"
    return found


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="pimp-chromium-") as profile:
        return subprocess.run(
            [executable(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip


def console_messages(stderr: str) -> list[str]:
    """Lines Chromium logs for the page's console (errors, blocked loads, policy violations)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def dump_dom(page: Path) -> tuple[str, list[str]]:
    """(the DOM once the page has loaded, its console messages)."""
    done = _run(page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, console_messages(done.stderr)


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 900) -> None:
    done = _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")
    assert done.returncode == 0, done.stderr[-2000:]

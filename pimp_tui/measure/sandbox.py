"""Running generated code without letting it harm the campaign: a separate Python process with
a wall-clock timeout, address-space, CPU-time, file-size and open-file limits, an empty
environment (no inherited secrets), a scratch directory as its home and working directory, and
its output in bounded files.

Where the OS allows it (Linux with `unshare`, as root or with user namespaces), the process runs
in new PID and network namespaces: it has no network, and when it ends (or is killed) the kernel
kills everything it started, even children that left its session. Elsewhere it runs in a new
session whose process group is killed as a whole, and its `socket` module is disabled: code
that calls `setsid()` can then outlive it, and a determined program can still reach the network.
Process-count limits are not relied on (they do not bind root).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_BYTES = 1 << 30
OUTPUT_BYTES = 1 << 20
"""Largest file (stdout, stderr, anything it writes) the code may produce."""
DETAIL_CHARS = 500
UNSHARE = ("unshare", "--pid", "--net", "--fork", "--kill-child")

_BOOTSTRAP = """\
import resource, sys
memory, cpu, fsize, isolated = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu),
                     (resource.RLIMIT_FSIZE, fsize), (resource.RLIMIT_CORE, 0),
                     (resource.RLIMIT_NOFILE, 64)):
    resource.setrlimit(limit, (value, value))
if isolated != "1":
    import socket
    def _refused(*args, **kwargs):
        raise OSError("network disabled in the sandbox")
    socket.socket = socket.create_connection = _refused
path = sys.argv[5]
sys.argv = [path]
with open(path, encoding="utf-8") as handle:
    code = compile(handle.read(), path, "exec")
del resource, memory, cpu, fsize, isolated, limit, value, handle
exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__})
"""


@dataclass(frozen=True)
class Limits:
    """What one program may use."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_bytes: int = DEFAULT_MEMORY_BYTES


@dataclass(frozen=True)
class Outcome:
    """`status`: 'passed' (exit 0), 'failed' (non-zero exit or killed by a limit) or
    'timeout'; `detail`: the end of its stderr, or what stopped it."""

    status: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@functools.cache
def namespaces_available() -> bool:
    """Whether new PID and network namespaces can be made here (probed once)."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        probe = subprocess.run([*UNSHARE, "true"], capture_output=True, timeout=10, env={})
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def run_python(source: str, limits: Limits | None = None) -> Outcome:
    """Run `source` as a Python program under `limits`; never raises for what the code does,
    and leaves no process of it behind."""
    limits = limits or Limits()
    scratch = Path(tempfile.mkdtemp(prefix="pimp-sandbox-"))
    try:
        program = scratch / "program.py"
        program.write_text(source, encoding="utf-8")
        isolated = namespaces_available()
        cpu = max(1, int(limits.timeout_s + 1))
        command = [sys.executable, "-I", "-S", "-B", "-c", _BOOTSTRAP,
                   str(limits.memory_bytes), str(cpu), str(OUTPUT_BYTES),
                   "1" if isolated else "0", str(program)]  # fmt: skip
        if isolated:
            command = [*UNSHARE, *command]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch),
               "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}  # fmt: skip
        with (scratch / "stdout").open("wb") as out, (scratch / "stderr").open("wb") as err:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=scratch,
                env=env, start_new_session=True, close_fds=True,
            )  # fmt: skip
            try:
                code = process.wait(timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                code = None
            finally:
                _kill_group(process)
        if code is None:
            return Outcome("timeout", f"still running after {limits.timeout_s:g} s")
        if code == 0:
            return Outcome("passed")
        return Outcome("failed", _detail(code, scratch / "stderr"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the program's whole process group (its session), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _detail(code: int, stderr: Path) -> str:
    try:
        with stderr.open("rb") as handle:
            handle.seek(max(0, stderr.stat().st_size - DETAIL_CHARS))
            tail = handle.read().decode("utf-8", "replace").strip()
    except OSError:
        tail = ""
    if code < 0:
        try:
            reason = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            reason = f"killed by signal {-code}"
    else:
        reason = f"exit status {code}"
    return f"{reason}: {tail}" if tail else reason

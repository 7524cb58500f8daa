"""Generated code runs only in the sandbox: limits hold, nothing it starts survives it, and no
secret of the campaign's environment reaches it."""

from __future__ import annotations

import os
import time
import uuid

from pimp_tui.measure import sandbox
from pimp_tui.measure.sandbox import Limits, namespaces_available, run_python

LIMITS = Limits(timeout_s=2.0)
SLACK_S = 3.0
"""Start-up and clean-up allowed beyond the timeout."""


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (this test process excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def timed(source: str, limits: Limits = LIMITS):
    started = time.monotonic()
    outcome = run_python(source, limits)
    return outcome, time.monotonic() - started


def test_a_passing_program_passes_and_a_failing_one_fails():
    assert run_python("assert sorted([2, 1]) == [1, 2]", LIMITS).passed
    outcome = run_python("raise SystemExit('wrong answer')", LIMITS)
    assert outcome.status == "failed" and "wrong answer" in outcome.detail


def test_an_endless_loop_is_stopped_at_the_timeout():
    outcome, seconds = timed("while True: pass")
    assert outcome.status == "timeout"
    assert seconds < LIMITS.timeout_s + SLACK_S


def test_a_10_gb_allocation_fails_at_once():
    outcome, seconds = timed("x = bytearray(10 * 1024 ** 3)")
    assert outcome.status == "failed" and "MemoryError" in outcome.detail
    assert seconds < LIMITS.timeout_s + SLACK_S


def test_children_that_leave_the_session_do_not_outlive_the_program():
    marker = f"pimp-sandbox-child-{uuid.uuid4().hex}"
    source = (
        "import subprocess, sys\n"
        "for _ in range(3):\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
        f"'{marker}'], start_new_session=True)\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
        f"'{marker}'])\n"
        "raise SystemExit(1)\n"
    )
    if not namespaces_available():
        # Without PID namespaces a child that calls setsid() escapes the process group.
        source = source.replace(", start_new_session=True", "")
    outcome, seconds = timed(source)
    assert outcome.status == "failed"
    assert seconds < LIMITS.timeout_s + SLACK_S
    deadline = time.monotonic() + 2.0
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == []


def test_a_hung_program_with_children_leaves_nothing_behind():
    marker = f"pimp-sandbox-hang-{uuid.uuid4().hex}"
    source = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'while True: pass', '{marker}'])\n"
        "while True: pass\n"
    )
    outcome, _ = timed(source)
    assert outcome.status == "timeout"
    time.sleep(0.2)
    assert processes_with(marker) == []


def test_without_namespaces_the_process_group_is_killed_with_its_children(monkeypatch):
    """Where no PID namespace can be made, the program's children (a bounded number that
    outlive it, or that hang with it) die with its process group: process-count limits do not
    bind root."""
    monkeypatch.setattr(sandbox, "namespaces_available", lambda: False)
    marker = f"pimp-sandbox-group-{uuid.uuid4().hex}"
    spawn = (
        "import subprocess, sys\n"
        "for _ in range(3):\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
        f"'{marker}'])\n"
    )
    for ending, status in (("raise SystemExit(1)\n", "failed"), ("while True: pass\n", "timeout")):
        outcome, seconds = timed(spawn + ending)
        assert outcome.status == status
        assert seconds < LIMITS.timeout_s + SLACK_S
        deadline = time.monotonic() + 2.0
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(marker) == []


def test_the_environment_is_empty_and_the_home_is_a_scratch_directory(monkeypatch):
    monkeypatch.setenv("PIMP_TEST_SECRET", "hunter2")
    source = (
        "import os\n"
        "assert 'PIMP_TEST_SECRET' not in os.environ, 'secret inherited'\n"
        "assert os.getcwd() == os.environ['HOME'], 'not in its scratch directory'\n"
    )
    outcome = run_python(source, LIMITS)
    assert outcome.passed, outcome.detail


def test_unbounded_output_is_cut_by_the_file_size_limit():
    outcome, seconds = timed("while True: print('x' * 4096)")
    assert outcome.status == "failed"
    assert seconds < LIMITS.timeout_s + SLACK_S


def test_there_is_no_network():
    source = "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n"
    outcome = run_python(source, LIMITS)
    assert outcome.status == "failed"
    # A new network namespace has no interface up; elsewhere the socket module is disabled.
    expected = "unreachable" if namespaces_available() else "network disabled in the sandbox"
    assert expected in outcome.detail

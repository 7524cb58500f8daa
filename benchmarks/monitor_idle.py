"""Idle Monitor pane benchmark: the CPU the workbench costs while it shows the Monitor pane and
no campaign runs (target < 1 % of a core).

The real `pimp` runs in a pseudo-terminal of 80x24 on a fresh store holding one finished
campaign (written straight into the store); the pane is opened with key 3, left to settle,
then the process's CPU time (user + system, from /proc) is read over --seconds. The terminal
output is drained all along, as a terminal would.

    python benchmarks/monitor_idle.py [--seconds 30] [--settle 10]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pimp_tui.store import campaigns  # noqa: E402
from pimp_tui.store.db import open_store  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def finished_campaign(db_path: Path) -> None:
    db = open_store(db_path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features\n\tGen\n')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'uniform')")
    for position in range(4):
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps({"Gen": True, "max_new_tokens": 32})],
        )
    db.conn.commit()
    cid = campaigns.create_campaign(db, sample_id=1, task="arith", prompts=1, repetitions=1,
                                    llm="x", sensor="estimate")  # fmt: skip
    for run in campaigns.pending_runs(db, cid):
        campaigns.start_run(db, cid, run["id"])
        campaigns.finish_run(db, run["id"], "done", {"energy_j": 1.0, "latency_s": 0.1})
    campaigns.set_status(db, cid, "done")
    db.conn.close()


def drain(fd: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "pimp.db"
        finished_campaign(db_path)
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "pimp_tui", "--db", str(db_path), "tui", "--sensor",
             "estimate"],
            stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True,
        )  # fmt: skip
        os.close(follower)
        try:
            drain(leader, args.settle)
            os.write(leader, b"3")
            drain(leader, args.settle)
            before, t0 = cpu_seconds(proc.pid), time.monotonic()
            drain(leader, args.seconds)
            used, spent = cpu_seconds(proc.pid) - before, time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(10)
            os.close(leader)
    print(f"idle Monitor pane, 80x24, no campaign running: {used:.2f} s CPU in {spent:.1f} s = "
          f"{used / spent * 100:.2f} % of a core (target < 1 %)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

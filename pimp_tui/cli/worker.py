"""The process a detached campaign runs in: `python -m pimp_tui.cli.worker STORE CAMPAIGN_ID`.

Started by `services.campaigns.start_detached` in a session of its own, its output appended to
the campaign's log file. SIGTERM pauses the campaign cleanly (the run in flight is redone on
resume); a hang-up is ignored, in case a terminal ever reaches it.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Sequence
from datetime import datetime, timezone


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    from pimp_tui.cli.progress import run_with_progress
    from pimp_tui.errors import PimpError

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m pimp_tui.cli.worker STORE CAMPAIGN_ID", file=sys.stderr)
        return 2
    db_path, campaign_id = args[0], int(args[1])
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    print(
        f"{stamp} campaign {campaign_id}: worker {os.getpid()} on {socket.gethostname()}, "
        f"store {db_path}",
        file=sys.stderr, flush=True,
    )  # fmt: skip
    try:
        return run_with_progress(db_path, campaign_id)
    except PimpError as exc:
        print(f"pimp: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

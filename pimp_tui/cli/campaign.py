"""`pimp campaign pause|resume|cancel|stop ID`: control any campaign of the store from any
shell; the campaign's worker acts on it between runs (stop: at once)."""

from __future__ import annotations

import argparse
import sys

from pimp_tui.cli import add_db_option

ACTIONS = {
    "pause": "pause after the run in flight",
    "resume": "carry on (starts a worker for the pending runs if none runs)",
    "cancel": "cancel after the run in flight",
    "stop": "stop now; the run in flight goes back to the plan (resume redoes it)",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "campaign",
        help="pause, resume, cancel or stop a campaign",
        description="Control a campaign of the store, whichever process or window runs it.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in ACTIONS.items():
        sub = actions.add_parser(action, help=text, description=text)
        add_db_option(sub)
        sub.add_argument("campaign_id", type=int, metavar="ID")
        sub.set_defaults(func=campaign_command)


def campaign_command(args: argparse.Namespace) -> int:
    from pimp_tui.services import campaigns

    if args.action == "resume":
        message, started = campaigns.resume(args.db, args.campaign_id)
        print(message, file=sys.stderr)
        if started is not None:
            print(started.how_to_watch(args.db), file=sys.stderr)
        return 0
    print(campaigns.control(args.db, args.campaign_id, args.action), file=sys.stderr)
    return 0

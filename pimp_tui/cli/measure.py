"""`pimp measure`, `pimp campaigns`, `pimp export runs`: measurement campaigns from the shell.

Progress goes to stderr (one line per finished run, and a bar on a terminal: `cli.progress`),
data to stdout (the campaign id, the campaign table, the exported runs). `--detach` hands the
campaign to a process of its own and returns at once.
"""

from __future__ import annotations

import argparse
import sys

from pimp_tui.cli import add_db_option, seed_value
from pimp_tui.errors import PimpError

EXPORT_FORMATS = ("csv", "parquet")


def register(subparsers: argparse._SubParsersAction) -> None:
    measure = subparsers.add_parser(
        "measure",
        help="sample a feature model and measure every configuration on an LLM",
        description="Create a sample (or take a stored one with --sample) and a campaign "
        "(sample x task x repetitions) and run it, or resume a campaign with --resume ID. "
        "Prints the campaign id on stdout.",
    )
    add_db_option(measure)
    measure.add_argument("feature_model", nargs="?", metavar="FEATURE_MODEL",
                         help="generation-settings feature model (.uvl / .xml)")  # fmt: skip
    measure.add_argument("--resume", type=int, metavar="ID", help="resume campaign ID")
    measure.add_argument("--sample", metavar="ID|NAME",
                         help="measure this stored sample instead of sampling again")  # fmt: skip
    measure.add_argument("--detach", action="store_true",
                         help="run in a process of its own that outlives this terminal; "
                         "prints the campaign id and how to watch it")  # fmt: skip
    measure.add_argument("--llm", default="smollm2",
                         help="smollm2 (default), a local path, a cached Hugging Face id, "
                         "or config:PATH/config.json (random weights, cost only)")  # fmt: skip
    measure.add_argument("--algorithm", default="twise", help="sampling algorithm (twise)")
    measure.add_argument("--t", type=int, default=2, help="interaction strength for twise")
    measure.add_argument("--size", type=int, help="sample size for size-based samplers")
    measure.add_argument("--task", default="arith",
                         help="arith, gsm8k, humaneval[:n=N:k=K], jsonl:PATH, "
                         "lengths[:in=..:out=..] or serving[:TASK] (a request stream)")  # fmt: skip
    measure.add_argument("--prompts", type=int, default=10, help="prompts per run")
    measure.add_argument("--requests", type=int, metavar="N",
                         help="serving: requests per run (instead of --prompts)")  # fmt: skip
    measure.add_argument("--duration", type=float, metavar="S",
                         help="serving: drop the requests arriving after S seconds")  # fmt: skip
    measure.add_argument("--max-new-tokens", type=int,
                         help="override every configuration's max_new_tokens")  # fmt: skip
    measure.add_argument("--repetitions", type=int, default=3, help="runs per configuration")
    measure.add_argument("--seed", type=seed_value, default=0,
                         help="sampling, prompts and run order")  # fmt: skip
    measure.add_argument("--sensor", choices=("nvml", "rapl", "estimate"),
                         help="energy sensor (default: best available)")  # fmt: skip
    measure.add_argument("--cooldown", type=float, default=None, metavar="SEC",
                         help="pause between runs (default 0.5 s)")  # fmt: skip
    measure.add_argument("--idle", type=float, default=None, metavar="SEC",
                         help="idle-baseline duration (default 2 s)")  # fmt: skip
    measure.add_argument("--hz", type=float, default=None, help="power sampling rate (10)")
    measure.add_argument("--cpu-watts", type=float, default=None, metavar="W",
                         help="the estimate sensor's watts per busy core (default 15)")  # fmt: skip
    measure.add_argument("--no-warmup", action="store_true", help="skip the warm-up")
    measure.add_argument("--prefill-split", action="store_true",
                         help="also measure prefill energy (one-token generations) and report "
                         "decode as the rest (always on for the lengths task)")  # fmt: skip
    measure.add_argument("--name", help="campaign name")
    measure.add_argument("--executor", choices=("local", "ray"),
                         help="run here (local, the default) or on the slots of a Ray cluster "
                         "(needs pimp-tui[ray]); a resume keeps the campaign's own")  # fmt: skip
    measure.add_argument("--address", metavar="ADDR",
                         help="Ray cluster to join: HOST:PORT or auto (default: $RAY_ADDRESS, "
                         "else a cluster of this machine alone)")  # fmt: skip
    measure.add_argument("--gpus-per-run", type=int, metavar="K",
                         help="whole GPUs per slot (default 1 on a cluster with GPUs; 0: CPU "
                         "slots)")  # fmt: skip
    measure.add_argument("--cpus-per-run", type=int, metavar="N",
                         help="CPUs per slot (default 1)")  # fmt: skip
    measure.add_argument("--slots", type=int, metavar="N", help="use at most N slots")
    measure.set_defaults(func=measure_command)

    campaigns = subparsers.add_parser("campaigns", help="list measurement campaigns")
    add_db_option(campaigns)
    campaigns.set_defaults(func=campaigns_command)

    export = subparsers.add_parser(
        "export", help="export measured runs, or the requests of serving runs (csv or parquet)"
    )
    add_db_option(export)
    export.add_argument("what", choices=("runs", "requests"),
                        help="runs: one row per run; requests: one per request of a "
                        "serving run")  # fmt: skip
    export.add_argument("--campaign", type=int, metavar="ID", help="only this campaign")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="csv")
    export.add_argument("--out", metavar="FILE", help="output file (default: stdout)")
    export.set_defaults(func=export_command)


def measure_command(args: argparse.Namespace) -> int:
    from pimp_tui.services import campaigns
    from pimp_tui.services.cluster import executor_spec, set_campaign_executor

    asked = any(v is not None for v in (args.executor, args.address, args.gpus_per_run,
                                        args.cpus_per_run, args.slots))  # fmt: skip
    spec = executor_spec(args.executor, args.address, args.gpus_per_run, args.cpus_per_run,
                         args.slots)  # fmt: skip
    if args.resume is not None:
        if args.feature_model or args.sample:
            raise PimpError("measure: --resume ID takes no FEATURE_MODEL or --sample")
        campaign_id = args.resume
        if asked:
            set_campaign_executor(args.db, campaign_id, spec)
    else:
        planned = campaigns.plan_campaign(campaigns.CampaignRequest(
            args.db, sample=args.sample, feature_model=args.feature_model,
            algorithm=args.algorithm, t=args.t, size=args.size, task=args.task,
            prompts=args.prompts, requests=args.requests, duration_s=args.duration,
            repetitions=args.repetitions, llm=args.llm,
            sensor=args.sensor, seed=args.seed, max_new_tokens=args.max_new_tokens,
            warmup=not args.no_warmup, prefill_split=args.prefill_split, name=args.name,
            cooldown_s=args.cooldown, idle_s=args.idle, hz=args.hz, cpu_watts=args.cpu_watts,
            executor=spec,
        ))  # fmt: skip
        for fix in planned.host_fixes:
            print(f"pimp: fixed by the host: {fix}", file=sys.stderr)
        if planned.drawn:
            print(f"pimp: sample #{planned.sample_id} {planned.drawn} stored "
                  f"(--sample {planned.sample_id} measures it again)", file=sys.stderr)  # fmt: skip
        campaign_id = planned.campaign_id
        print(campaign_id, flush=True)
    if args.detach:
        started = None
        if args.resume is None:
            started = campaigns.start_detached(args.db, campaign_id)
        else:
            message, started = campaigns.resume(args.db, campaign_id)
            print(message, file=sys.stderr)
        if started is not None:
            print(started.how_to_watch(args.db), file=sys.stderr)
        return 0
    from pimp_tui.cli.progress import run_with_progress

    return run_with_progress(args.db, campaign_id, withdraw=args.resume is not None)


def campaigns_command(args: argparse.Namespace) -> int:
    from pimp_tui.services.campaigns import campaigns

    header = ("id", "status", "done", "failed", "total", "sample", "task", "prompts", "reps",
              "llm", "sensor", "heartbeat", "name")  # fmt: skip
    rows = campaigns(args.db)  # read first: a store refused prints no header
    print("\t".join(header))
    for row in rows:
        values = (row["id"], row["shown_status"], row["done"], row["failed"], row["total"],
                  row["sample_id"], row["task"], row["prompts"], row["repetitions"], row["llm"],
                  row["sensor"] or "auto", row["heartbeat_at"] or "-",
                  row["name"] or "-")  # fmt: skip
        print("\t".join(str(v) for v in values))
    return 0


def export_command(args: argparse.Namespace) -> int:
    from pimp_tui.files import check_output, replaced_atomically
    from pimp_tui.services.campaigns import requests_frame, runs_frame

    out = args.out
    if out is not None:
        check_output(out, "--out", protect=[args.db])
    frames = {"runs": runs_frame, "requests": requests_frame}
    frame = frames[args.what](args.db, args.campaign)
    if out is None:
        if args.format == "csv":
            sys.stdout.write(frame.write_csv())
        else:
            frame.write_parquet(sys.stdout.buffer)
    else:
        with replaced_atomically(out) as temp:
            if args.format == "csv":
                frame.write_csv(temp)
            else:
                frame.write_parquet(temp)
    if out:
        print(f"{len(frame)} {args.what} written to {out}", file=sys.stderr)
    return 0

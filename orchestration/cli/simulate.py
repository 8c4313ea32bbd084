"""`binesh simulate`: a synthetic business written into a landing zone."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from orchestration.cli.common import resolve_locations


def add_command(commands) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="write a synthetic business into a landing zone",
        description="Write a believable synthetic business into a landing zone, as daily files "
        "of every landing table, with ground truth in <out>/_truth/.",
    )
    simulate.add_argument("--customers", type=int, default=5000)
    simulate.add_argument("--days", type=int, default=365)
    simulate.add_argument("--seed", type=int, default=42)
    simulate.add_argument("--start-date", type=date.fromisoformat, default=date(2025, 1, 1))
    simulate.add_argument(
        "--noise-rate",
        type=float,
        default=0.02,
        help="share of rows with a data-quality defect (default 0.02)",
    )
    simulate.add_argument(
        "--append-days",
        type=int,
        metavar="N",
        help="continue the simulation already in --out by N more days",
    )
    simulate.add_argument("--out", type=Path, help="landing zone (default: BINESH_LANDING_DIR)")
    simulate.set_defaults(command=simulate_command, command_name="simulate")


def simulate_command(args: argparse.Namespace) -> int:
    from sources.simulator import append_days, simulate

    landing, _ = resolve_locations(args)
    started = time.perf_counter()
    if args.append_days is not None:
        summary = append_days(landing, days=args.append_days)
    else:
        summary = simulate(
            landing,
            customers=args.customers,
            days=args.days,
            seed=args.seed,
            start_date=args.start_date,
            noise_rate=args.noise_rate,
        )
    rows = sum(summary.rows.values())
    print(
        f"simulated {rows:,} rows in {summary.files:,} files into {landing} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    for table, count in sorted(summary.rows.items()):
        print(f"  {table:<24} {count:>12,}")
    return 0

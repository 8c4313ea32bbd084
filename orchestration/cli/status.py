"""`binesh status`: the last runs and how they ended, then where the warehouse stands."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import duckdb

from orchestration.cli.common import add_location_flags, require_warehouse, resolve_locations
from reports.status import warehouse_state


def add_command(commands) -> None:
    status = commands.add_parser(
        "status", help="the last runs and how they ended, rows per layer, loads, quarantine counts"
    )
    status.add_argument("--runs", type=int, default=5, help="how many runs to show (default 5)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    add_location_flags(status)
    status.set_defaults(command=status_command, command_name="status")


def status_command(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.status import recent_runs, runs_as_dicts

    landing, warehouse = resolve_locations(args)
    with DagsterInstance.get() as instance:
        runs = recent_runs(instance, warehouse, limit=args.runs)
    if args.json:
        state = {"warehouse": str(warehouse), "landing": str(landing), "runs": runs_as_dicts(runs)}
        if warehouse.exists():
            with duckdb.connect(str(warehouse), read_only=True) as con:
                state |= warehouse_state(con)
        print(json.dumps(state, indent=2, default=str, ensure_ascii=False))
        return 0
    print_runs(runs)  # worth seeing even before there is a warehouse
    require_warehouse(args)
    print_status(warehouse, landing)
    return 0


def print_runs(runs) -> None:
    """The last runs, newest first; a blocked run with what blocked it and how to go on."""
    print(f"Last runs ({os.environ['DAGSTER_HOME']})")
    if not runs:
        print("  none yet: `binesh run` builds the warehouse")
    for run in runs:
        took = f"{run.seconds:7.1f} s" if run.seconds is not None else "      — "
        print(
            f"  {run.started_at or '—':<19}  {took}  {run.outcome:<8} {run.job} ({run.run_id[:8]})"
        )
        if run.outcome == "failed":
            print(f"      failed in {', '.join(run.failed_steps) or 'an unknown step'}")
        for blocker in run.blockers:
            where = f" in {blocker.file}" if blocker.file else ""
            print(f"      blocked by {blocker.asset} {blocker.check}{where}")
            print(f"      to go on: {blocker.clear_with}")


def print_status(warehouse: Path, landing: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        state = warehouse_state(con)
    print(f"\nWarehouse  {warehouse}")
    print(f"Landing    {landing}\n")
    print("Rows per layer")
    for layer in state["layers"]:
        print(f"  {layer['schema']:<13} {layer['tables']:>3} tables {layer['rows']:>14,} rows")

    print("\nLoads per landing table (current file versions)")
    header = f"{'table':<24} {'files':>6} {'landed':>12} {'loaded':>12} {'quarantined':>12}"
    print(f"  {header}  last load")
    for load in state["loads"]:
        print(
            f"  {load['table']:<24} {load['files']:>6,} {load['rows_landed']:>12,} "
            f"{load['rows_loaded']:>12,} {load['rows_quarantined']:>12,}  {load['last_load'][:16]}"
        )
    unbalanced = state["files_unbalanced"]
    balance = f"{unbalanced} files do not balance" if unbalanced else "holds for every file"
    print(f"  accounting: {balance} (landed = loaded + quarantined)")
    if state["files_without_rows"]:
        print(f"  {len(state['files_without_rows'])} current files loaded no rows:")
        for entry in state["files_without_rows"]:
            why = {
                "empty": "no rows",
                "unreadable": entry["message"][:120],
            }.get(entry["status"], f"{entry['rows_landed']:,} rows quarantined")
            print(f"    {entry['file']}  {entry['status']}: {why}")
    if state["set_aside_values"]:
        print(
            f"  {state['set_aside_values']:,} details that did not type were set aside, their "
            "rows loaded without them (audit.set_aside_values)"
        )
    if state["headlines"]:
        print_headlines(state["headlines"])


HEADLINES = (  # (key of reports.status.headline_figures, name, format)
    ("unified_customers", "unified customers", "{:,}"),
    ("orders", "orders", "{:,}"),
    ("revenue", "revenue", "{:,.2f}"),
    ("average_order_value", "average order value", "{:,.2f}"),
    ("repeat_purchase_rate", "repeat purchase rate", "{:.1%}"),
    ("nps", "NPS", "{:.1f}"),
    ("csat", "CSAT (% satisfied)", "{:.1f}"),
)


def print_headlines(figures: dict) -> None:
    print("\nHeadline figures (marts.kpi_monthly, marts.dim_customers)")
    print(f"  months                {figures['first_month']:%Y-%m} … {figures['last_month']:%Y-%m}")
    for key, name, style in HEADLINES:  # a young business may have no surveys yet
        value = figures[key]
        print(f"  {name:<21} {style.format(value) if value is not None else 'n/a':>14}")

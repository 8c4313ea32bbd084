"""`binesh quarantine`: the rows the loader or a row-level quality rule set aside, summarised."""

from __future__ import annotations

import argparse
import json

import duckdb

from orchestration.cli.common import add_location_flags, require_warehouse


def add_command(commands) -> None:
    quarantine = commands.add_parser(
        "quarantine",
        help="list and summarise quarantined rows by table, file and rule",
        description="Summarise audit.quarantine (rows the loader or a row-level quality rule "
        "rejected, with reason and original values), reading the warehouse read-only.",
    )
    quarantine.add_argument("--table", help="only this raw table, e.g. ecommerce__orders")
    quarantine.add_argument(
        "--samples", type=int, default=3, help="sample rows shown per table (default 3)"
    )
    quarantine.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_location_flags(quarantine)
    quarantine.set_defaults(command=quarantine_command, command_name="quarantine")


def quarantine_command(args: argparse.Namespace) -> int:
    from data_quality.quarantine import summarise_quarantine

    _, warehouse = require_warehouse(args)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summary = summarise_quarantine(con, table=args.table, sample_rows=args.samples)
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str, ensure_ascii=False))
        return 0
    scope = f"raw.{args.table}" if args.table else "all tables"
    print(
        f"{summary.rows:,} quarantined rows from {summary.files:,} files ({scope}; the "
        "current version of each file, as `binesh status` counts them)"
    )
    if summary.unreadable_files:
        print(f"{len(summary.unreadable_files)} files could not be read at all (no rows):")
        for entry in summary.unreadable_files:
            print(f"  {entry['file']}: {entry['reason']}")
    if not summary.rows:
        return 0
    print(f"\n  {'table':<26} {'rows':>8} {'files':>6}")
    for entry in summary.by_table:
        print(f"  {entry['table']:<26} {entry['rows']:>8,} {entry['files']:>6,}")
    print(f"\n  {'rows':>8}  rule (table)")
    for entry in summary.by_rule[:25]:
        print(f"  {entry['rows']:>8,}  {entry['rule']} ({entry['table']})")
    print(f"\n  {'rows':>8}  file (first row): reasons")
    for entry in summary.by_file:
        print(f"  {entry['rows']:>8,}  {entry['file']} ({entry['first_row']}): {entry['reasons']}")
    if summary.samples:
        print("\nSample rows")
        for sample in summary.samples:
            print(f"  {sample['file']} row {sample['row']}: {sample['reason']}")
            print(f"      {sample['original_row']}")
    return 0

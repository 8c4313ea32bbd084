"""`binesh sync-postgres`: the warehouse's inputs copied into PostgreSQL for its dbt target."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.cli.common import require_warehouse


def add_command(commands) -> None:
    sync = commands.add_parser(
        "sync-postgres",
        help="copy the raw layer (and Python assets' tables) into PostgreSQL for its dbt target",
        description="Copy raw, audit and the tables Python assets write from the DuckDB "
        "warehouse into PostgreSQL (BINESH_PG_* or --dsn), in one transaction; then run "
        "`dbt build --target postgres`.",
    )
    sync.add_argument("--warehouse", type=Path, help="DuckDB warehouse file")
    sync.add_argument("--dsn", help="libpq connection string or URL (default: BINESH_PG_*)")
    sync.set_defaults(command=sync_postgres_command, command_name="sync-postgres")


def sync_postgres_command(args: argparse.Namespace) -> int:
    from targets.postgres.sync import sync_raw_to_postgres

    _, warehouse = require_warehouse(args)
    copied = sync_raw_to_postgres(warehouse, args.dsn)
    for table, rows in copied.items():
        print(f"  {table:<45} {rows:>12,}")
    print(f"copied {sum(copied.values()):,} rows in {len(copied)} tables to PostgreSQL")
    return 0

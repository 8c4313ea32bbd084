"""`binesh erase`: people erased everywhere and kept erased, then proof of it (docs/privacy.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from orchestration.cli.common import add_location_flags, require_warehouse
from orchestration.cli.run import full_rebuild
from reports.locations import bi_directory, models_directory


def add_command(commands) -> None:
    erase = commands.add_parser(
        "erase",
        help="erase people everywhere (landing files, every table, BI snapshot, reports) and "
        "keep them erased (docs/privacy.md)",
    )
    add_location_flags(erase)
    erase.add_argument(
        "identifiers",
        nargs="*",
        metavar="IDENTIFIER",
        help="an email, a phone, a customer id (cus_...) or a source key "
        "(<source>__<table>:<key>, e.g. crm__contacts:CRM-0100001)",
    )
    erase.add_argument("--file", type=Path, help="a file of identifiers, one per line")
    erase.add_argument(
        "--verify",
        action="store_true",
        help="change nothing: look for any trace of these identifiers, and of everyone erased, "
        "in every table and every file under the data folder",
    )
    erase.set_defaults(command=erase_command, command_name="erase")


def erase_command(args: argparse.Namespace) -> int:
    """Resolve, suppress, erase at the source and everywhere else, rebuild, then verify."""
    from ml.moved_tables import move_tables_of_older_warehouses
    from orchestration.runs import one_run_at_a_time
    from privacy import erase
    from privacy import postgres as privacy_postgres
    from privacy.artefacts import (
        compact_warehouse,
        drop_earlier_model_versions,
        redact_text_files,
    )
    from privacy.resolve import NotFound, parse_identifier, resolve
    from privacy.suppression import matching_form_sql
    from privacy.verify import traces_of, verify
    from reports.bi_snapshot import drop_previous_version
    from targets.postgres.connection import PostgresSyncError

    landing, warehouse = require_warehouse(args)
    requested = list(args.identifiers)
    if args.file:
        lines = args.file.read_text(encoding="utf-8").splitlines()
        requested += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not requested:
        raise ValueError("name at least one identifier, or a --file of them")
    # the data folder (BI snapshot, reports, model artifacts, logs) and the landing zone
    folders = [warehouse.parent] + ([] if landing.is_relative_to(warehouse.parent) else [landing])
    if args.verify:
        identifiers: dict[str, set[str]] = {}
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for text in requested:
                kind, value = parse_identifier(text)
                [(form,)] = con.execute(
                    f"select {matching_form_sql('$kind', '$value')}",
                    {"kind": kind, "value": value},
                ).fetchall()
                identifiers.setdefault(kind, set()).add(form)
            traces = verify(con, traces_of(identifiers, set()), folders, warehouse)
            if privacy_postgres.configured():
                privacy_postgres.scan_postgres(con, traces)
        return print_traces(traces)
    with one_run_at_a_time(warehouse, say=lambda line: print(line, file=sys.stderr)):
        with duckdb.connect(str(warehouse)) as con:  # erasure reads identity.clusters
            for change in move_tables_of_older_warehouses(con):
                print(f"Older warehouse layout: {change}")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            try:
                resolution = resolve(con, requested)
            except NotFound as error:
                print(f"binesh erase: {error}", file=sys.stderr)
                return 1
        with duckdb.connect(str(warehouse)) as con:
            erasure_id = erase.suppress(con, resolution)
            print(
                f"Erasure {erasure_id}: {len(requested)} identifier(s) led to "
                f"{len(resolution.customers)} customer(s) and {resolution.count} identifiers, "
                "all now on the suppression list."
            )
            traces = traces_of(resolution.identifiers, resolution.names)
            at_source = erase.erase_at_source(con, landing)
            swept = erase.sweep(con, traces.texts)
            print(
                f"Took out {sum(at_source.raw_rows.values()):,} raw rows and "
                f"{at_source.quarantine_rows:,} quarantined ones; rewrote "
                f"{len(at_source.files_rewritten)} landing files; deleted "
                f"{sum(swept.values()):,} rows from {len(swept)} other tables."
            )
        print("Rebuilding everything built from them (binesh run --full):")
        if full_rebuild(landing, warehouse) != 0:
            print(
                f"binesh erase: the rebuild failed; the people are suppressed and out of the "
                f"landing zone and raw. Fix the cause, then `binesh erase` the same identifiers "
                f"again to finish erasure {erasure_id}.",
                file=sys.stderr,
            )
            return 1
        # history the rebuild does not rewrite: the previous BI Parquet version, earlier
        # model versions, report pages and run logs
        drop_previous_version(bi_directory(warehouse))
        drop_earlier_model_versions(models_directory(warehouse))
        redact_text_files(
            folders,
            traces.spans,
            skip=(landing, bi_directory(warehouse), models_directory(warehouse)),
        )
        before, after = compact_warehouse(warehouse)
        print(
            f"Rewrote the warehouse into a new file ({before / 2**20:,.0f} MB -> "
            f"{after / 2**20:,.0f} MB), so no freed block keeps their rows."
        )
        postgres = None
        if privacy_postgres.configured():
            try:
                postgres = privacy_postgres.erase_postgres_copy(warehouse)
            except PostgresSyncError as error:
                print(
                    f"binesh erase: the PostgreSQL copy could not be erased: {error}\nEverything "
                    f"else is erased. `binesh erase` the same identifiers again to finish "
                    f"erasure {erasure_id}.",
                    file=sys.stderr,
                )
                return 1
            print(describe_postgres_erasure(postgres))
        with duckdb.connect(str(warehouse)) as con:
            verify(con, traces, folders, warehouse)
            if postgres is not None:
                privacy_postgres.scan_postgres(con, traces)
            erase.close_receipt(
                con, erasure_id, at_source, swept, traces.found, postgres and postgres.as_receipt()
            )
    print(f"\nReceipt: audit.erasures, erasure_id = '{erasure_id}'.")
    if postgres is not None and postgres.copy_found and not postgres.rebuilt:
        print_traces(traces)
        return 1
    return print_traces(traces)


def describe_postgres_erasure(outcome) -> str:
    """What erasure did to the PostgreSQL copy, in a line or two (dbt's output if it failed)."""
    if not outcome.copy_found:
        return f"PostgreSQL at {outcome.server}: no copy of the warehouse (no raw tables) to erase."
    swept = sum(outcome.swept.values())
    line = (
        f"PostgreSQL at {outcome.server}: replaced {outcome.tables_synced} synced tables, "
        f"deleted {swept:,} rows from {len(outcome.swept)} others"
    )
    if outcome.rebuilt:
        return line + "; dbt rebuilt every model (dbt build --target postgres --full-refresh)."
    return (
        line + "; but `dbt build --target postgres --full-refresh` failed, so its models may "
        f"still count the erased people in their aggregates. dbt said:\n{outcome.build_output}"
    )


def print_traces(traces) -> int:
    """Say what verify found; 0 when nothing."""
    scanned = f"{traces.scanned_tables:,} tables and {traces.scanned_files:,} files scanned"
    if traces.clean:
        print(f"Verified: no trace ({scanned}).")
        return 0
    print(f"Traces remain ({scanned}):")
    for place, hits in sorted(traces.found.items()):
        print(f"  {place}: {hits:,}")
    return 1

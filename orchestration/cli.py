"""The `binesh` command line: simulate a business, build the warehouse, see where it stands.

Settings come from flags, else the environment (BINESH_LANDING_DIR, BINESH_WAREHOUSE), else the
defaults under the project's data/ folder. They are resolved here, once, into absolute paths and
handed to Dagster and dbt through the environment that their resources read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import duckdb

from orchestration.project import DEFAULT_LANDING_DIR, DEFAULT_WAREHOUSE, PROJECT_ROOT
from reports.audiences import MANIFEST
from reports.bi_snapshot import DATABASE_FILE
from reports.dbt_docs import PAGE
from reports.locations import (
    audiences_directory,
    bi_directory,
    dbt_docs_directory,
    insight_report_directory,
    logs_directory,
    models_directory,
    quality_report_directory,
)
from sources.readers import table_exists

QUIET_ENVIRONMENT = {
    "DAGSTER_HOME": str(PROJECT_ROOT / "dagster_home"),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
}


# Step events at INFO; Dagster's DEBUG event stream is in the UI for whoever needs it.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # dbt from this environment, also when it is not activated (dagster-dbt looks on PATH)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        return args.command(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:  # RuntimeError: sync errors
        print(f"binesh {args.command_name}: {error}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="binesh", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"binesh {version('binesh')}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

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

    run = commands.add_parser(
        "run",
        help="load new landing files, then build what they (or changed code) put out of date",
    )
    add_location_flags(run)
    add_ml_cutoff_flags(run)
    run.add_argument(
        "--select",
        metavar="SELECTION",
        help="only these assets, in Dagster's selection syntax, e.g. "
        "'+key:\"marts/customer_identity_map\"' (the map and everything it needs)",
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="materialize every asset, also those already up to date with the landing zone "
        "and the code (by default a run loads new files, then builds what they changed)",
    )
    run.add_argument(
        "--full-identity",
        action="store_true",
        help="re-link every identity record, not only new and changed ones (customer ids stay "
        "as they were), and rebuild what reads identity; the weekly_identity_re_resolution "
        "schedule does this every Sunday",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="stream Dagster's and dbt's output too (it always goes to the run's log file)",
    )
    run.set_defaults(command=run_command, command_name="run")

    evaluate = commands.add_parser(
        "evaluate",
        help="measure the warehouse against the simulator's ground truth",
        description="Score the warehouse against <landing>/_truth/ written by `binesh simulate`.",
    )
    evaluate.add_argument(
        "subject",
        choices=["identity", "ml"],
        help="identity: pairwise precision, recall and F1; ml: every model on time-based "
        "holdouts beside its baseline, segments against the true personas",
    )
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument(
        "--shared-data",
        type=Path,
        default=None,
        help="identity: where the labelled public datasets are (default: ../shared/data "
        "beside the project); their pairwise scores are reported beside the simulation's",
    )
    evaluate.add_argument(
        "--no-shared-data",
        action="store_true",
        help="identity: score the simulation only, not the labelled public datasets",
    )
    add_location_flags(evaluate)
    evaluate.set_defaults(command=evaluate_command, command_name="evaluate")

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

    status = commands.add_parser(
        "status", help="the last runs and how they ended, rows per layer, loads, quarantine counts"
    )
    status.add_argument("--runs", type=int, default=5, help="how many runs to show (default 5)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    add_location_flags(status)
    status.set_defaults(command=status_command, command_name="status")

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

    accept = commands.add_parser(
        "accept",
        help="let a blocking quality failure through, for the rows loaded so far, with a reason",
        description="Accept the latest blocking failure of a raw or staging check for the rows "
        "loaded so far: the next `binesh run` judges it a warning and goes on. Who, when and why "
        "are kept in audit.quality_acceptances and shown in the quality report; rows loaded "
        "later are judged as usual.",
    )
    accept.add_argument("asset", help="the checked table, e.g. raw.ecommerce__orders")
    accept.add_argument("check", help="the failed check, e.g. volume_collapse")
    accept.add_argument("--reason", required=True, help="why the failure is acceptable")
    accept.add_argument("--by", help="who accepts it (default: the login name)")
    add_location_flags(accept)
    accept.set_defaults(command=accept_command, command_name="accept")
    return parser


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", type=Path, help="landing zone (default: BINESH_LANDING_DIR)")
    parser.add_argument(
        "--warehouse", type=Path, help="DuckDB warehouse file (default: BINESH_WAREHOUSE)"
    )


DEFAULT_CHURN_HORIZON_DAYS = 90
DEFAULT_CLV_HORIZON_DAYS = 365


def add_ml_cutoff_flags(parser: argparse.ArgumentParser) -> None:
    """When the ML features are taken (run config of the ml_feature_models dbt step)."""
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="ML scoring cutoff YYYY-MM-DD: features use data up to that day "
        "(default: the day of the latest order or web event)",
    )
    parser.add_argument(
        "--churn-horizon-days", type=int, default=DEFAULT_CHURN_HORIZON_DAYS, metavar="DAYS"
    )
    parser.add_argument(
        "--clv-horizon-days", type=int, default=DEFAULT_CLV_HORIZON_DAYS, metavar="DAYS"
    )


def ml_cutoff_run_config(args: argparse.Namespace) -> dict:
    for flag in ("churn_horizon_days", "clv_horizon_days"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be a positive number of days")
    config = {
        "as_of": args.as_of.isoformat() if args.as_of else None,
        "churn_horizon_days": args.churn_horizon_days,
        "clv_horizon_days": args.clv_horizon_days,
    }
    return {"ops": {"ml_feature_models": {"config": config}}}


def resolve_locations(args: argparse.Namespace) -> tuple[Path, Path]:
    """Flags win over the environment, which wins over the defaults; all made absolute and
    exported so that Dagster resources and dbt's profile see the same paths."""
    landing = (
        getattr(args, "landing", None)
        or getattr(args, "out", None)
        or os.environ.get("BINESH_LANDING_DIR")
        or DEFAULT_LANDING_DIR
    )
    warehouse = (
        getattr(args, "warehouse", None) or os.environ.get("BINESH_WAREHOUSE") or DEFAULT_WAREHOUSE
    )
    landing, warehouse = Path(landing).resolve(), Path(warehouse).resolve()
    os.environ["BINESH_LANDING_DIR"] = str(landing)
    os.environ["BINESH_WAREHOUSE"] = str(warehouse)
    return landing, warehouse


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


def run_command(args: argparse.Namespace) -> int:
    landing, warehouse = resolve_locations(args)
    if not landing.is_dir():
        raise FileNotFoundError(
            f"landing zone {landing} does not exist; create it with `binesh simulate --out "
            f"{landing}` or point --landing / BINESH_LANDING_DIR at your exports"
        )
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    prepare_dbt_manifest()

    from orchestration.runs import one_run_at_a_time

    with one_run_at_a_time(warehouse, say=lambda line: print(line, file=sys.stderr)):
        return build_warehouse(args, landing, warehouse)


def build_warehouse(args: argparse.Namespace, landing: Path, warehouse: Path) -> int:
    """Load, then build what is out of date (or what --select/--full say), in Dagster."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.automation import buildable_assets, out_of_date_assets, retrain_tags
    from orchestration.defs.identity import FULL_RESOLUTION_TAGS, RE_RESOLUTION
    from orchestration.progress import StepProgress, output_to_log
    from orchestration.runs import cli_run_tags, recover_killed_runs

    started = time.perf_counter()
    job = defs.resolve_job_def("build_warehouse")
    run_config = QUIET_LOGS | ml_cutoff_run_config(args)
    selection = None
    if args.select:
        selection = selected_assets(defs, args.select)
        # dbt then skips the tests of models outside the selection (a relationship from an
        # unbuilt fact to a selected dimension), which would fail on a fresh warehouse
        os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
    log = run_log_path(warehouse)
    print(
        f"Log of this run (Dagster and dbt output): {log}"
        + (" (also below)" if args.verbose else "")
    )
    with DagsterInstance.get() as instance:
        for recovered in recover_killed_runs(instance):
            print(f"Recovered: {recovered}")
        full_identity = args.full or args.full_identity

        def run_job(job, **options):
            """One Dagster run in this process: a line per step here, its output in the log."""
            run_id = str(uuid.uuid4())
            with output_to_log(log, verbose=args.verbose) as terminal:
                with StepProgress(instance, run_id, say=lambda line: print(line, file=terminal)):
                    return job.execute_in_process(
                        instance=instance, raise_on_error=False, run_id=run_id, **options
                    )

        def execute(keys):
            graph = defs.resolve_asset_graph()
            tags = retrain_tags(graph, instance, keys or graph.materializable_asset_keys)
            print(f"\nBuilding {assets_phrase(keys)}")
            return run_job(
                job,
                run_config=run_config,
                asset_selection=keys,
                tags=tags | cli_run_tags() | (FULL_RESOLUTION_TAGS if full_identity else {}),
            )

        if selection is None and not (args.full or explicit_ml_cutoff(args)):
            # Load first; then build only what the loaded files (or changed code) put out of
            # date: what the schedule and build_after_load do in the UI.
            print("\nLoading the landing zone")
            load = defs.resolve_job_def("load_landing_zone")
            result = run_job(load, run_config=QUIET_LOGS, tags=cli_run_tags())
            print_load_summary(result)
            if result.success:
                graph = defs.resolve_asset_graph()
                selection = out_of_date_assets(graph, instance)
                if args.full_identity:
                    selection = sorted(set(selection) | RE_RESOLUTION.resolve(graph))
                if not selection:
                    print(
                        f"\nNothing new: no file loaded, and all {len(buildable_assets(graph))} "
                        "assets built from the landing zone are up to date with it and with the "
                        f"code ({time.perf_counter() - started:.1f} s, Dagster run "
                        f"{result.run_id}; `binesh run --full` rebuilds them anyway)."
                    )
                    print_status(warehouse, landing)
                    return 0
                print_quality_summary(warehouse, result.run_id)
                os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
                result = execute(selection)
        else:
            result = execute(selection)
    elapsed = time.perf_counter() - started
    if not result.success:
        failed = [event.step_key for event in result.get_step_failure_events()]
        blocked = print_quality_summary(warehouse, result.run_id)
        if blocked:
            happened = f"blocked by {blocked} quality check(s) above"
            next_step = "clear each block as its message says, then `binesh run`"
        else:
            happened = f"failed in {', '.join(failed) or 'a step'}"
            next_step = (
                "fix the cause the log shows, then `binesh run` (it redoes only what did not "
                "finish)"
            )
        print(
            f"\nbinesh run: {happened}. Log: {log} (Dagster run {result.run_id}, also in the "
            f"UI: make ui). Next: {next_step}.",
            file=sys.stderr,
        )
        return 1
    built = assets_phrase(selection)
    print(
        f"\nBuilt the warehouse in {elapsed:.1f} s: {built} (Dagster run {result.run_id}; "
        f"log {log})."
    )
    print_status(warehouse, landing)
    print_quality_summary(warehouse, result.run_id)
    print_skipped_models(result)
    print_outputs(warehouse)
    return 0


def assets_phrase(keys: list | None) -> str:
    if keys is None:
        return "every asset"
    return f"{len(keys)} asset{'' if len(keys) == 1 else 's'}"


def run_log_path(warehouse: Path) -> Path:
    """data/logs/<UTC time>.log next to the warehouse: one file per `binesh run`."""
    return logs_directory(warehouse) / f"{datetime.now(UTC):%Y-%m-%dT%H%M%S}-run.log"


def explicit_ml_cutoff(args: argparse.Namespace) -> bool:
    """An ML cutoff other than the default: the models are rebuilt as of it."""
    return args.as_of is not None or (args.churn_horizon_days, args.clv_horizon_days) != (
        DEFAULT_CHURN_HORIZON_DAYS,
        DEFAULT_CLV_HORIZON_DAYS,
    )


def selected_assets(defs, text: str) -> list:
    """The asset keys a Dagster selection string names; an error when it names none."""
    from dagster import AssetSelection

    try:
        selection = AssetSelection.from_string(text).required_multi_asset_neighbors()
        keys = selection.resolve(defs.resolve_asset_graph())
    except Exception as error:  # Dagster raises several kinds for a malformed selection
        raise ValueError(f"--select {text!r} is not a valid asset selection: {error}") from error
    if not keys:
        raise ValueError(f"--select {text!r} selects no asset; the Dagster UI (make ui) lists them")
    return sorted(keys)


def print_skipped_models(result) -> None:
    """The ml.* tables this run left empty because their model had too little data, and why
    (the why_no_model its scoring asset recorded)."""
    from ml.pipeline.tables import SCHEMA, TABLE_COLUMNS

    skipped = {}
    for event in result.get_asset_materialization_events():
        schema, *table = event.asset_key.path
        reason = event.materialization.metadata.get("why_no_model")
        if schema == SCHEMA and table and table[0] in TABLE_COLUMNS and reason is not None:
            skipped[f"{SCHEMA}.{table[0]}"] = reason.value
    if skipped:
        print("\nModels skipped (their tables are empty)")
        for table, reason in sorted(skipped.items()):
            print(f"  {table:<22} {reason}")


def print_outputs(warehouse: Path) -> None:
    """Where a run left what people open (what it built: a selection may leave some out)."""
    outputs = {
        "Insight report": insight_report_directory(warehouse) / "latest.html",
        "Quality report": quality_report_directory(warehouse) / "latest.html",
        "BI snapshot": bi_directory(warehouse) / DATABASE_FILE,
        "dbt docs": dbt_docs_directory(warehouse) / PAGE,
        "Audiences": audiences_directory(warehouse) / MANIFEST,
    }
    print("\nOpen")
    for name, path in outputs.items():
        if path.exists():
            beside = " (and parquet/ beside it)" if name == "BI snapshot" else ""
            print(f"  {name:<16} {path}{beside}")
    print(f"  {'Dagster UI':<16} `make ui`, then http://127.0.0.1:3000")


def print_load_summary(result) -> None:
    """What the load run's raw assets did, from their materializations: the loader's own
    counts, the same as its audit.load_log rows."""
    totals = dict.fromkeys(("files_loaded", "files_removed", "rows_loaded", "rows_quarantined"), 0)
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        for name in totals:
            totals[name] += metadata[name].value if name in metadata else 0
    print(
        f"\nLoaded {totals['files_loaded']:,} new or re-delivered files: "
        f"{totals['rows_loaded']:,} rows loaded, {totals['rows_quarantined']:,} quarantined by the "
        f"loader; {totals['files_removed']:,} removed files retracted"
    )


def print_quality_summary(warehouse: Path, run_id: str) -> int:
    """The run's quality checks in one line, every blocking failure in full, the report path.
    Returns how many checks blocked."""
    from data_quality.report import run_totals

    if not warehouse.exists():
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        totals = run_totals(con, run_id)
        if not totals["checks"]:
            return 0
        failures = con.execute(
            "select message from audit.quality_results "
            "where run_id = ? and severity = 'error' order by layer desc, asset, check_name",
            [run_id],
        ).fetchall()
    print(
        f"\nQuality checks: {totals['passed']} passed, {totals['warned']} warned, "
        f"{totals['failed']} failed; {totals['quarantined']:,} rows quarantined by row-level "
        "checks this run"
    )
    for (message,) in failures:
        print(f"  BLOCKING  {message}", file=sys.stderr)
    if failures:
        print(
            "  Downstream assets were skipped; failed increments are checked again next run. "
            "Each message above says how to go on (re-deliver, remove or accept).",
            file=sys.stderr,
        )
        print(f"Quality report  {quality_report_directory(warehouse) / 'latest.html'}")
    return len(failures)


def erase_command(args: argparse.Namespace) -> int:
    """Resolve, suppress, erase at the source and everywhere else, rebuild, then verify."""
    from orchestration.runs import one_run_at_a_time
    from privacy import erase
    from privacy import postgres as privacy_postgres
    from privacy.artefacts import (
        compact_warehouse,
        drop_earlier_model_versions,
        redact_text_files,
    )
    from privacy.verify import traces_of, verify
    from reports.bi_snapshot import drop_previous_version
    from sources.postgres import PostgresSyncError

    landing, warehouse = resolve_locations(args)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
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
                kind, value = erase.parse_identifier(text)
                [(form,)] = con.execute(
                    f"select {erase.matching_form_sql('$kind', '$value')}",
                    {"kind": kind, "value": value},
                ).fetchall()
                identifiers.setdefault(kind, set()).add(form)
            traces = verify(con, traces_of(identifiers, set()), folders, warehouse)
            if privacy_postgres.configured():
                privacy_postgres.scan_postgres(con, traces)
        return print_traces(traces)
    with one_run_at_a_time(warehouse, say=lambda line: print(line, file=sys.stderr)):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            try:
                resolution = erase.resolve(con, requested)
            except erase.NotFound as error:
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
        rebuild = build_parser().parse_args(["run", "--full"])
        if build_warehouse(rebuild, landing, warehouse) != 0:
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


def quarantine_command(args: argparse.Namespace) -> int:
    from data_quality.quarantine import summarise_quarantine

    _, warehouse = resolve_locations(args)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
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


def accept_command(args: argparse.Namespace) -> int:
    import getpass

    from data_quality.suites import LAYERS, quality_suites
    from data_quality.validation import accept_failure

    _, warehouse = resolve_locations(args)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
    relation = args.asset.replace("/", ".")
    suites = {suite.relation: suite for layer in LAYERS for suite in quality_suites(layer)}
    if relation not in suites:
        raise ValueError(f"{args.asset} has no quality checks; e.g. raw.ecommerce__orders")
    by = args.by or getpass.getuser()
    with duckdb.connect(str(warehouse)) as con:
        through = accept_failure(con, suites[relation], args.check, args.reason, by)
    print(
        f"Accepted {relation} {args.check} for the rows loaded up to {through:%Y-%m-%d %H:%M:%S} "
        f"UTC ({by}: {args.reason}). The next `binesh run` lets them through with a warning."
    )
    return 0


def prepare_dbt_manifest() -> None:
    """The dbt assets are defined from dbt's manifest, so it must exist, and be newer than every
    model, macro and YAML file, before they load (`make manifest` does the same).

    It is also re-parsed for another warehouse file than the last parse's: dbt keeps its parse
    (target/partial_parse.msgpack) only for the profile it was made with, and the profile names
    the warehouse file, so every dbt step of a run would otherwise parse the project anew."""
    from orchestration.project import dbt_code_files, dbt_project

    manifest = dbt_project.manifest_path
    parsed_for = manifest.with_name("parsed_for_warehouse.txt")
    warehouse = os.environ["BINESH_WAREHOUSE"]
    if (
        not manifest.exists()
        or manifest.stat().st_mtime < max(path.stat().st_mtime for path in dbt_code_files())
        or not parsed_for.exists()
        or parsed_for.read_text() != warehouse
    ):
        dbt_project.preparer.prepare(dbt_project)
        parsed_for.write_text(warehouse)


def evaluate_command(args: argparse.Namespace) -> int:
    if args.subject == "ml":
        return evaluate_ml_command(args)
    from ml.identity import evaluate_identity

    landing, warehouse = resolve_locations(args)
    truth = landing / "_truth" / "identity.csv"
    if not truth.exists():
        raise FileNotFoundError(
            f"no ground truth at {truth}: evaluation needs a landing zone written by "
            "`binesh simulate`"
        )
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evaluation = evaluate_identity(con, truth)
    shared = None
    if not args.no_shared_data:
        from ml.identity.benchmarks import DEFAULT_SHARED_DATA, evaluate_shared_datasets

        shared = evaluate_shared_datasets(args.shared_data or DEFAULT_SHARED_DATA)
    if args.json:
        figures = evaluation.as_dict() | {"shared_datasets": shared.as_dict() if shared else None}
        print(json.dumps(figures, indent=2))
    else:
        print("\n".join([evaluation.format(), *([shared.format()] if shared else [])]))
    return 0


def evaluate_ml_command(args: argparse.Namespace) -> int:
    from ml.pipeline.evaluation import evaluate_ml, to_json

    landing, warehouse = resolve_locations(args)
    truth = landing / "_truth"
    if not (truth / "persons.csv").exists():
        raise FileNotFoundError(
            f"no ground truth at {truth}: evaluation needs a landing zone written by "
            "`binesh simulate`"
        )
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evaluation = evaluate_ml(con, truth)
    print(to_json(evaluation) if args.json else evaluation.format())
    return 0


def sync_postgres_command(args: argparse.Namespace) -> int:
    from sources.postgres import sync_raw_to_postgres

    _, warehouse = resolve_locations(args)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
    copied = sync_raw_to_postgres(warehouse, args.dsn)
    for table, rows in copied.items():
        print(f"  {table:<45} {rows:>12,}")
    print(f"copied {sum(copied.values()):,} rows in {len(copied)} tables to PostgreSQL")
    return 0


def status_command(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.status import recent_runs, runs_as_dicts, warehouse_state

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
    print_runs(runs)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
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
    from orchestration.status import warehouse_state

    with duckdb.connect(str(warehouse), read_only=True) as con:
        state = warehouse_state(con)
        print(f"\nWarehouse  {warehouse}")
        print(f"Landing    {landing}\n")
        print("Rows per layer")
        for layer in state["layers"]:
            print(f"  {layer['schema']:<13} {layer['tables']:>3} tables {layer['rows']:>14,} rows")

        print("\nLoads per landing table (current file versions)")
        print(
            f"  {'table':<24} {'files':>6} {'landed':>12} {'loaded':>12} {'quarantined':>12}"
            f"  last load"
        )
        for load in state["loads"]:
            print(
                f"  {load['table']:<24} {load['files']:>6,} {load['rows_landed']:>12,} "
                f"{load['rows_loaded']:>12,} {load['rows_quarantined']:>12,}  "
                f"{load['last_load'][:16]}"
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
        set_aside = current_set_aside_values(con)
        if set_aside:
            print(
                f"  {set_aside:,} details that did not type were set aside, their rows loaded "
                "without them (audit.set_aside_values)"
            )

        print_headline_kpis(con)


def current_set_aside_values(con: duckdb.DuckDBPyConnection) -> int:
    """Values set aside from the current file versions (0 for a warehouse loaded before
    audit.set_aside_values existed)."""
    if not table_exists(con, "audit", "set_aside_values"):
        return 0
    [(values,)] = con.execute(
        "select count(*) from audit.set_aside_values join audit.load_log using (load_id) "
        "where superseded_at is null"
    ).fetchall()
    return values


def print_headline_kpis(con: duckdb.DuckDBPyConnection) -> None:
    """A few figures from the KPI marts, once they are built."""
    built = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' "
        "and table_name in ('kpi_monthly', 'dim_customers')"
    ).fetchone()[0]
    if built < 2:
        return
    row = con.execute(
        """
        select
            min(kpi_month), max(kpi_month), sum(orders), sum(revenue),
            sum(revenue) / nullif(sum(orders), 0),
            100.0 * (sum(nps_promoters) - sum(nps_detractors)) / nullif(sum(nps_responses), 0),
            100.0 * sum(csat_satisfied) / nullif(sum(csat_responses), 0),
            arg_max(repeat_purchase_rate, kpi_month),
            (select count(*) from marts.dim_customers)
        from marts.kpi_monthly
        """
    ).fetchone()
    first, last, orders, revenue, aov, nps, csat, repeat_rate, customers = row
    if not orders:
        return
    print("\nHeadline figures (marts.kpi_monthly, marts.dim_customers)")
    print(f"  months                {first:%Y-%m} … {last:%Y-%m}")
    figures = [
        ("unified customers", customers, "{:,}"),
        ("orders", orders, "{:,}"),
        ("revenue", revenue, "{:,.2f}"),
        ("average order value", aov, "{:,.2f}"),
        ("repeat purchase rate", repeat_rate, "{:.1%}"),
        ("NPS", nps, "{:.1f}"),
        ("CSAT (% satisfied)", csat, "{:.1f}"),
    ]
    for name, value, style in figures:  # a young business may have no surveys yet
        print(f"  {name:<21} {style.format(value) if value is not None else 'n/a':>14}")


if __name__ == "__main__":
    sys.exit(main())

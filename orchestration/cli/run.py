"""`binesh run`: load the landing zone, then build what is out of date, in Dagster, in this
process; a line per step here, the whole output in the run's log file."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.cli.common import add_location_flags, resolve_locations
from orchestration.cli.status import print_status
from reports.audiences import MANIFEST
from reports.bi_snapshot import DATABASE_FILE
from reports.dbt_docs import PAGE
from reports.locations import (
    audiences_directory,
    bi_directory,
    dbt_docs_directory,
    insight_report_directory,
    logs_directory,
    quality_report_directory,
)
from targets.memory_budget import (
    BUDGET_VARIABLE,
    DBT_MEMORY_LIMIT_VARIABLE,
    memory_budget,
    out_of_memory_hint,
)

# Step events at INFO; Dagster's DEBUG event stream is in the UI for whoever needs it.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def add_command(commands) -> None:
    run = commands.add_parser(
        "run",
        help="load new landing files, then build what they (or changed code) put out of date",
    )
    configure(run)
    run.set_defaults(command=run_command, command_name="run")


def configure(run: argparse.ArgumentParser) -> None:
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
        "--memory-limit",
        metavar="SIZE",
        help="the memory the build may use, e.g. 8GB or 40%% (default: BINESH_MEMORY_LIMIT, "
        "else half of the machine); DuckDB spills to disk past its share",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="stream Dagster's and dbt's output too (it always goes to the run's log file)",
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


def run_command(args: argparse.Namespace) -> int:
    landing, warehouse = resolve_locations(args)
    if args.memory_limit:
        os.environ[BUDGET_VARIABLE] = args.memory_limit
    memory_budget()  # a budget that cannot be read or is too small stops here, with why
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
    from orchestration.defs.identity import FULL_RESOLUTION_TAGS, RE_RESOLUTION
    from orchestration.planning import buildable_assets, out_of_date_assets, retrain_tags
    from orchestration.progress import StepProgress, output_to_log
    from orchestration.runs import cli_run_tags, recover_killed_runs

    started = time.perf_counter()
    job = defs.resolve_job_def("build_warehouse")
    run_config = QUIET_LOGS | ml_cutoff_run_config(args)
    selection = None
    if args.select:
        selection = selected_assets(defs, args.select)
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
            errors = [
                event.step_failure_data.error.to_string()
                for event in result.get_step_failure_events()
                if event.step_failure_data.error
            ]
            if hint := next(filter(None, map(out_of_memory_hint, errors)), None):
                happened += f": {hint}"
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


def full_rebuild(landing: Path, warehouse: Path) -> int:
    """`binesh run --full` on these locations (erasure rebuilds everything built from raw)."""
    parser = argparse.ArgumentParser()
    configure(parser)
    return build_warehouse(parser.parse_args(["--full"]), landing, warehouse)


def prepare_dbt_manifest() -> None:
    """The dbt assets are defined from dbt's manifest, so it must exist, and be newer than every
    model, macro and YAML file, before they load (`make manifest` does the same).

    It is also re-parsed for another warehouse file or memory limit than the last parse's: dbt
    keeps its parse (target/partial_parse.msgpack) only for the profile it was made with, and the
    profile names both, so every dbt step of a run would otherwise parse the project anew."""
    from orchestration.project import dbt_code_files, dbt_project

    manifest = dbt_project.manifest_path
    parsed_for = manifest.with_name("parsed_for_warehouse.txt")
    # what profiles.yml renders: the warehouse file and DuckDB's memory limit
    profile = f"{os.environ['BINESH_WAREHOUSE']}\n{os.environ[DBT_MEMORY_LIMIT_VARIABLE]}"
    if (
        not manifest.exists()
        or manifest.stat().st_mtime < max(path.stat().st_mtime for path in dbt_code_files())
        or not parsed_for.exists()
        or parsed_for.read_text() != profile
    ):
        dbt_project.preparer.prepare(dbt_project)
        parsed_for.write_text(profile)

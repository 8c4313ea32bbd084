"""How the warehouse gets built. Nightly and whenever files land, `load_landing_zone` loads new
files into raw and checks them; when it succeeds, `build_after_load` builds what is out of date
(`build_warehouse` with only those assets; nothing on a night with nothing new). `binesh run`
does the same two steps in one process."""

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ml.pipeline import cadence
from orchestration.resources import LandingZone
from sources.contract import LANDING_TABLES
from sources.load_log import file_changes, has_load_log

# Runs carrying this tag queue behind each other (dagster.yaml: tag_concurrency_limits), so the
# schedule, the sensor and a manual launch never fight over the DuckDB writer lock.
WRITER_TAGS = {"binesh/warehouse": "writer"}

RAW_GROUP = "raw"

build_warehouse = dg.define_asset_job(
    name="build_warehouse",
    selection=dg.AssetSelection.all(),
    description="Load new landing files, then build every dbt model and run its tests (a "
    "launch from `build_after_load` or `binesh run` selects only what is out of date).",
    # One process: DuckDB allows one writer, and dbt's manifest is parsed once.
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

load_landing_zone = dg.define_asset_job(
    name="load_landing_zone",
    selection=dg.AssetSelection.groups(RAW_GROUP),
    description="Load new and re-delivered landing files into raw and run the raw checks.",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

nightly_build = dg.ScheduleDefinition(
    name="nightly_build",
    job=load_landing_zone,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Load the landing zone every night at 02:00 UTC; build_after_load then builds "
    "what the new files put out of date.",
)


def landing_fingerprint(directory: Path) -> str:
    """A digest of every landing file's path, size and modification time.

    Cheap (no file contents read), and it changes whenever a file is added, replaced or removed.
    Hidden and `_`-prefixed entries are ignored, as the loader ignores them.
    """
    digest = hashlib.sha256()
    if directory.is_dir():
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in sorted(f for f in files if not f.startswith((".", "_"))):
                stat = (Path(root) / name).stat()
                relative = os.path.relpath(Path(root) / name, directory)
                digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class LandingChanges(NamedTuple):
    pending: int  # landing files new to the warehouse, or re-delivered with other content
    removed: int  # files the warehouse holds rows of that have left the landing zone


def landing_changes(database: str, landing_dir: Path) -> LandingChanges | None:
    """How the landing zone differs from what the warehouse has loaded (sources.load_log's
    file_changes, every landing table), or None when the warehouse has loaded nothing yet (no
    file, or no load log).

    The sensor asks this on its first tick, when it has no fingerprint to compare with, so that
    a Dagster UI opened on a built warehouse starts no load for nothing. The file is opened
    read-only and only for the comparison; raises duckdb.Error when another process holds it
    for writing.
    """
    if not Path(database).is_file():
        return None
    with duckdb.connect(database, read_only=True) as con:
        if not has_load_log(con):
            return None
        changes = [file_changes(con, landing_dir, table) for table in LANDING_TABLES]
    return LandingChanges(
        pending=sum(len(change.pending) for change in changes),
        removed=sum(len(change.removed) for change in changes),
    )


# A run tag of a load the sensor's first tick started: how the landing zone differed from
# what the warehouse had loaded.
LANDING_CHANGES_TAG = "binesh/landing_changes"


@dg.sensor(
    job=load_landing_zone,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Load the landing zone when files land in, change in, or leave it (on its first "
    "tick, when it has no fingerprint yet: when it differs from what the warehouse has loaded).",
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZone, warehouse: DuckDBResource
):
    # Taken before the comparison, so that a file landing during it changes the next tick's.
    fingerprint = landing_fingerprint(landing.directory)
    if fingerprint == context.cursor:
        return dg.SkipReason("no change in the landing zone")
    tags = {}
    if context.cursor is None:
        # Not through warehouse.get_connection(): it retries a held lock for about 100 s.
        try:
            changes = landing_changes(warehouse.database, landing.directory)
        except duckdb.Error as error:
            return dg.SkipReason(
                f"could not read the warehouse's load log ({str(error).splitlines()[0]}); "
                "will look again next tick"
            )
        if changes is not None and not any(changes):
            context.update_cursor(fingerprint)
            return dg.SkipReason("the warehouse already holds every landing file")
        if changes is not None:
            tags[LANDING_CHANGES_TAG] = (
                f"{changes.pending} file(s) new or changed, {changes.removed} removed"
            )
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint, tags=tags)


# Tags Dagster writes on every materialization (docs: "Asset versioning and caching").
CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"
INPUT_DATA_VERSION_TAG = "dagster/input_data_version/"

# An asset tag for assets that are not rebuilt whenever their inputs change:
# - on_code_change: only its code makes it (the dbt docs site: the catalog's tables and columns
#   change only with the dbt code);
# - on_cadence: a model's training; it retrains when `retrain_reason` says so, while the scores
#   made with the current model follow the data every night.
REBUILDS_TAG = "binesh/rebuilds"
ON_CODE_CHANGE = "on_code_change"
ON_CADENCE = "on_cadence"


def rebuild_rule(graph, key: dg.AssetKey) -> str | None:
    """The asset's own REBUILDS_TAG rule, or None: rebuilt whenever its inputs change."""
    return graph.get(key).tags.get(REBUILDS_TAG)


# A run tag: why each model it retrains is retrained ({asset key: reason}, JSON), decided when
# the build is planned; the training asset records it with the artifact.
RETRAIN_REASONS_TAG = "binesh/retrain_reasons"


def buildable_assets(graph) -> list[dg.AssetKey]:
    """Every asset built from raw: all but the raw group, which loading materializes."""
    return sorted(
        key for key in graph.materializable_asset_keys if graph.get(key).group_name != RAW_GROUP
    )


def out_of_date_assets(graph, instance: dg.DagsterInstance) -> list[dg.AssetKey]:
    """The buildable assets a build has to materialize, by Dagster's own record of what each
    materialization was built from: never materialized, materialized by other code (a dbt
    model's SQL changed: its code version), or from other upstream data (the data version a
    parent has now is not the one recorded as its input); and everything downstream of those.

    An asset tagged REBUILDS_TAG is also rebuilt when never materialized or its code changed,
    but otherwise goes by its own rule: dbt docs never, a model's training when tonight's new
    data reaches it (it is downstream of an out-of-date asset) and `retrain_reason` finds it
    due; never on a night with nothing new, even when it became due since.

    An asset whose quality checks have not passed on its latest materialization is built again
    too (`unchecked_assets`): a run killed before its checks, or a blocking check not cleared.

    This is what the Dagster UI shows as "unsynced". Raw assets version their data by the files
    they hold (sources.load_log.table_state), so after a night with nothing new, nothing is.
    `graph` is the asset graph (Definitions.resolve_asset_graph(), RepositoryDefinition's).
    """
    keys = buildable_assets(graph)
    events = instance.get_latest_materialization_events(list(graph.materializable_asset_keys))
    tags = {key: event.asset_materialization.tags for key, event in events.items() if event}

    def due(key: dg.AssetKey) -> bool:
        """Whether an asset is due once new data reached it: always, but by its own rule."""
        rule = rebuild_rule(graph, key)
        return rule is None or (
            rule == ON_CADENCE and retrain_reason(graph, instance, key) is not None
        )

    def out_of_date(key: dg.AssetKey) -> bool:
        if key not in tags:
            return True
        recorded = tags[key]
        node = graph.get(key)
        if node.code_version is not None and recorded.get(CODE_VERSION_TAG) != node.code_version:
            return True
        if rebuild_rule(graph, key) is not None:
            return False  # only when tonight's new data reaches it (below), and it is due
        return any(
            parent in tags
            and tags[parent].get(DATA_VERSION_TAG)
            != recorded.get(INPUT_DATA_VERSION_TAG + parent.to_user_string())
            for parent in node.parent_keys
        )

    unchecked = unchecked_assets(graph, instance, keys, events)
    roots = [key for key in keys if out_of_date(key) or key in unchecked]
    if not roots:
        return []
    downstream = dg.AssetSelection.assets(*roots).downstream().resolve(graph)
    return sorted(key for key in set(keys) & downstream if key in roots or due(key))


def unchecked_assets(graph, instance: dg.DagsterInstance, keys, latest: dict) -> set:
    """Assets whose quality checks (data_quality/suites.py) have not passed on their latest
    materialization: a run was killed between building a layer and checking it, or a blocking
    check failed and is not cleared yet. They are built again, so their checks run again (raw
    and staging checks judge the rows after their watermark: nothing is judged twice)."""
    from data_quality.suites import LAYERS, quality_suites

    quality = {
        dg.AssetCheckKey(dg.AssetKey(suite.asset_path), check.name)
        for layer in LAYERS
        for suite in quality_suites(layer)
        for check in suite.checks
    }
    checks = [check for key in keys for check in graph.get(key).check_keys if check in quality]
    executions = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    unchecked = set()
    for check in checks:
        materialization = latest.get(check.asset_key)
        if materialization is None:
            continue  # never built: out of date anyway
        record = executions.get(check)
        entry = record.event if record else None
        evaluation = (
            entry.dagster_event.event_specific_data if entry and entry.dagster_event else None
        )
        target = getattr(evaluation, "target_materialization_data", None)
        if target is None or target.run_id != materialization.run_id or failed_evaluation(record):
            unchecked.add(check.asset_key)
    return unchecked


def retrain_reason(
    graph, instance: dg.DagsterInstance, key: dg.AssetKey, now: dt.datetime | None = None
) -> str | None:
    """Why the model trained by asset `key` is due for retraining (ml/pipeline/cadence.py),
    from Dagster's record: its latest materialization (when, by which code, whether a model was
    fitted at all) and the checks on it and on the scores made with it since. A score-drift
    check counts from the first night after the training: the night a new model is trained,
    its scores differ from the old model's by design."""
    event = instance.get_latest_materialization_event(key)
    last = None
    if event is not None and event.asset_materialization is not None:
        node = graph.get(key)
        checked = [*node.check_keys]
        for child in node.child_keys:
            checked += graph.get(child).check_keys
        evaluations = instance.event_log_storage.get_latest_asset_check_execution_by_key(checked)
        failed = [
            f"{check.name} on {check.asset_key.to_user_string()}"
            for check, record in sorted(evaluations.items(), key=lambda item: item[0].name)
            if (evaluation := failed_evaluation(record)) is not None
            and evaluation.timestamp >= event.timestamp
            and (check.asset_key == key or record.run_id != event.run_id)
        ]
        materialization = event.asset_materialization
        last = cadence.LastTraining(
            trained_at=dt.datetime.fromtimestamp(event.timestamp, dt.UTC),
            code_changed=materialization.tags.get(CODE_VERSION_TAG) != node.code_version,
            skipped="why_no_model" in materialization.metadata,
            failed_checks=failed,
        )
    return cadence.retrain_reason(
        last, now or dt.datetime.now(dt.UTC), cadence.retrain_every_days()
    )


def retrain_tags(graph, instance: dg.DagsterInstance, keys) -> dict[str, str]:
    """The RETRAIN_REASONS_TAG of a build of `keys`: each due model's reason."""
    reasons = {
        key.to_user_string(): reason
        for key in keys
        if rebuild_rule(graph, key) == ON_CADENCE
        and (reason := retrain_reason(graph, instance, key)) is not None
    }
    return {RETRAIN_REASONS_TAG: json.dumps(reasons)} if reasons else {}


def failed_evaluation(record) -> dg.EventLogEntry | None:
    """The event of a check execution that ran and failed at severity ERROR, else None."""
    entry = record.event
    evaluation = entry.dagster_event.event_specific_data if entry and entry.dagster_event else None
    if isinstance(evaluation, dg.AssetCheckEvaluation) and not evaluation.passed:
        return entry if evaluation.severity == dg.AssetCheckSeverity.ERROR else None
    return None


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[load_landing_zone],
    request_job=build_warehouse,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful load, build what it (or changed code) put out of date.",
)
def build_after_load(context: dg.RunStatusSensorContext):
    pending = out_of_date_assets(context.repository_def.asset_graph, context.instance)
    if not pending:
        return dg.SkipReason("nothing new: every asset is up to date with raw and the code")
    return dg.RunRequest(
        run_key=context.dagster_run.run_id,
        asset_selection=pending,
        tags=retrain_tags(context.repository_def.asset_graph, context.instance, pending),
    )


defs = dg.Definitions(
    jobs=[build_warehouse, load_landing_zone],
    schedules=[nightly_build],
    sensors=[landing_zone_sensor, build_after_load],
)

"""How the warehouse gets built. Nightly and whenever files land, `load_landing_zone` loads new
files into raw and checks them; when it succeeds, `build_after_load` builds what is out of date
(`build_warehouse` with only those assets; nothing on a night with nothing new). `binesh run`
does the same two steps in one process."""

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from orchestration.planning import RAW_GROUP, out_of_date_assets, retrain_tags
from orchestration.resources import WRITER_TAGS, LandingZone
from sources.landing import landing_fingerprint
from sources.load_log import landing_changes

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

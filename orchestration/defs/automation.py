"""How the warehouse gets built: one job for everything, nightly and whenever files land."""

import hashlib
import os
from pathlib import Path

import dagster as dg

from orchestration.resources import LandingZone

# Runs carrying this tag queue behind each other (dagster.yaml: tag_concurrency_limits), so the
# schedule, the sensor and a manual launch never fight over the DuckDB writer lock.
WRITER_TAGS = {"binesh/warehouse": "writer"}

build_warehouse = dg.define_asset_job(
    name="build_warehouse",
    selection=dg.AssetSelection.all(),
    description="Load new landing files, then build every dbt model and run its tests.",
    # One process: DuckDB allows one writer, and dbt's manifest is parsed once.
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

nightly_build = dg.ScheduleDefinition(
    name="nightly_build",
    job=build_warehouse,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rebuild the warehouse every night at 02:00 UTC.",
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


@dg.sensor(
    job=build_warehouse,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Build the warehouse when files land in, change in, or leave the landing zone.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, landing: LandingZone):
    fingerprint = landing_fingerprint(landing.directory)
    if fingerprint == context.cursor:
        return dg.SkipReason("no change in the landing zone")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


defs = dg.Definitions(
    jobs=[build_warehouse], schedules=[nightly_build], sensors=[landing_zone_sensor]
)

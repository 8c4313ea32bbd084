"""The last runs from Dagster's instance, for `binesh status` (text or --json): when, how long,
how they ended; for a run a quality check blocked, what blocked it and how to go on. The
warehouse's own accounting is reports/status.py."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from data_quality.samples import failing_file


@dataclass(frozen=True)
class Blocker:
    """A blocking quality failure of a run, and the ways out its message names."""

    asset: str
    check: str
    file: str | None
    clear_with: str


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    job: str
    started_at: str | None  # UTC, ISO 8601
    seconds: float | None
    outcome: str  # success | failed | blocked | running | queued | canceled
    failed_steps: list[str] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)


def recent_runs(instance, warehouse: Path, limit: int = 5) -> list[RunSummary]:
    """The last `limit` runs, newest first. A failed run with a blocking quality failure is
    `blocked`; a warehouse another process is writing is not read (no blockers then)."""
    from dagster import DagsterEventType, DagsterRunStatus

    records = instance.get_run_records(limit=limit)
    failed = [
        r.dagster_run.run_id for r in records if r.dagster_run.status == DagsterRunStatus.FAILURE
    ]
    blockers = blocking_failures(warehouse, failed)
    outcomes = {
        DagsterRunStatus.SUCCESS: "success",
        DagsterRunStatus.FAILURE: "failed",
        DagsterRunStatus.STARTED: "running",
        DagsterRunStatus.STARTING: "running",
        DagsterRunStatus.QUEUED: "queued",
        DagsterRunStatus.NOT_STARTED: "queued",
        DagsterRunStatus.CANCELED: "canceled",
        DagsterRunStatus.CANCELING: "canceled",
    }
    runs = []
    for record in records:
        run = record.dagster_run
        outcome = outcomes.get(run.status, run.status.value.lower())
        failed_steps = []
        if outcome == "failed":
            failed_steps = sorted(
                {
                    event.step_key
                    for event in instance.all_logs(
                        run.run_id, of_type=DagsterEventType.STEP_FAILURE
                    )
                    if event.step_key
                }
            )
            if blockers.get(run.run_id):
                outcome = "blocked"
        started = record.start_time
        ended = record.end_time
        runs.append(
            RunSummary(
                run_id=run.run_id,
                job=run.job_name,
                started_at=iso(started),
                seconds=round(ended - started, 1) if started and ended else None,
                outcome=outcome,
                failed_steps=failed_steps,
                blockers=blockers.get(run.run_id, []),
            )
        )
    return runs


def blocking_failures(warehouse: Path, run_ids: list[str]) -> dict[str, list[Blocker]]:
    if not run_ids or not warehouse.exists():
        return {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select run_id, asset, check_name, sample_values from audit.quality_results "
                "where severity = 'error' and run_id in (select unnest(?)) "
                "order by run_id, asset, check_name",
                [run_ids],
            ).fetchall()
    except duckdb.Error:  # locked by a running build, or no checks have run yet
        return {}
    blockers: dict[str, list[Blocker]] = {}
    for run_id, asset, check, samples in rows:
        file = failing_file(json.loads(samples or "[]"))
        fix = f"re-deliver or remove {file}, or " if file else "re-deliver the file, or "
        clear_with = f"{fix}binesh accept {asset} {check} --reason '...'"
        blockers.setdefault(run_id, []).append(Blocker(asset, check, file, clear_with))
    return blockers


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def runs_as_dicts(runs: list[RunSummary]) -> list[dict]:
    return [asdict(run) for run in runs]

"""What `binesh run` shows while it works: a line per step as it starts and as it ends (k of N,
the step, seconds, rows), read from the run's own event log in Dagster's instance. Everything
Dagster and dbt print (hundreds of lines a night) goes to a log file per run instead, and
`--verbose` streams that file's lines too."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

POLL_SECONDS = 0.5


@contextmanager
def output_to_log(path: Path, verbose: bool = False) -> Iterator[TextIO]:
    """Send this process's stdout and stderr, and those of the processes it starts (dbt), to
    `path` for the block; yield a stream to where stdout went before (the terminal)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    read_end, write_end = os.pipe()
    log = path.open("ab")

    def copy() -> None:  # the pipe to the log (and the terminal): whole lines, as they come
        while chunk := os.read(read_end, 1 << 16):
            log.write(chunk)
            log.flush()
            if verbose:
                os.write(saved_out, chunk)

    copier = threading.Thread(target=copy, name="binesh-run-log", daemon=True)
    copier.start()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1)
    try:
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)  # the pipe's last writers close: the copier reads to its end
        os.dup2(saved_err, 2)
        copier.join(timeout=10)
        for descriptor in (saved_out, saved_err, read_end):
            os.close(descriptor)
        terminal.close()
        log.close()


class StepProgress:
    """Follows one Dagster run's step events from another thread and says a line for each."""

    def __init__(self, instance, run_id: str, say: Callable[[str], None]):
        self.instance, self.run_id, self.say = instance, run_id, say
        self.cursor: str | None = None
        self.total: int | None = None
        self.started: dict[str, tuple[int, float]] = {}
        self.rows: dict[str, int] = {}
        self.skipped = 0
        self.errors: list[Exception] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.follow, name="binesh-progress", daemon=True)

    def __enter__(self) -> StepProgress:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        if self.skipped:
            self.say(f"      {self.skipped} steps skipped: what they need did not succeed")
        if self.errors and not self.started:
            self.say(f"      (no progress shown: {self.errors[-1]})")
        for error in self.errors[:3]:  # into the run's log, for whoever wonders about a gap
            sys.stderr.write(f"binesh progress: could not read the event log: {error!r}\n")

    def follow(self) -> None:
        while not self.stop.wait(POLL_SECONDS):
            self.poll_quietly()
        self.poll_quietly()

    def poll_quietly(self) -> None:
        """Progress is a courtesy: a failed read of the event log (a busy SQLite file) must not
        end it, nor the run; the next poll reads on from the same cursor."""
        try:
            self.poll()
        except Exception as error:  # noqa: BLE001
            self.errors.append(error)

    def poll(self) -> None:
        from dagster import DagsterEventType

        if self.instance.get_run_by_id(self.run_id) is None:
            return  # not created yet
        connection = self.instance.get_records_for_run(
            self.run_id,
            cursor=self.cursor,
            of_type={
                DagsterEventType.STEP_START,
                DagsterEventType.STEP_SUCCESS,
                DagsterEventType.STEP_FAILURE,
                DagsterEventType.STEP_SKIPPED,
                DagsterEventType.ASSET_MATERIALIZATION,
            },
        )
        self.cursor = connection.cursor
        for record in connection.records:
            try:
                self.on_event(record.event_log_entry)
            except Exception as error:  # noqa: BLE001 - one event's line, not the others'
                self.errors.append(error)

    def on_event(self, entry) -> None:
        from dagster import DagsterEventType

        event, step = entry.dagster_event, entry.step_key
        kind = event.event_type
        if kind == DagsterEventType.STEP_SKIPPED:
            self.skipped += 1
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            rows = event.step_materialization_data.materialization.metadata.get("dagster/row_count")
            if rows is not None:
                self.rows[step] = self.rows.get(step, 0) + int(rows.value)
        elif kind == DagsterEventType.STEP_START:
            number = len(self.started) + 1
            self.started[step] = (number, entry.timestamp)
            self.say(f"[{number:>2}/{self.steps()}] {step} …")
        elif step in self.started:
            number, started = self.started[step]
            seconds = entry.timestamp - started
            rows = f", {self.rows[step]:,} rows" if step in self.rows else ""
            ended = "done" if kind == DagsterEventType.STEP_SUCCESS else "FAILED"
            self.say(f"[{number:>2}/{self.steps()}] {step} {ended} in {seconds:.1f} s{rows}")

    def steps(self) -> int | str:
        """How many steps the run's plan executes."""
        if self.total is None:
            run = self.instance.get_run_by_id(self.run_id)
            snapshot_id = run.execution_plan_snapshot_id if run else None
            if snapshot_id is None:
                return "?"
            try:
                plan = self.instance.get_execution_plan_snapshot(snapshot_id)
            except Exception as error:  # noqa: BLE001 - asked again at the next line
                self.errors.append(error)
                return "?"
            self.total = len(plan.step_keys_to_execute)
        return self.total

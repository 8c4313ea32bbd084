"""What keeps `binesh run` safe to kill and to start twice.

- `one_run_at_a_time`: a second `binesh run` on the same warehouse waits for the first (an
  exclusive `flock` next to the warehouse file; the operating system releases it when its
  process ends, however it ends, so it is never stale).
- `recover_killed_runs`: a run whose process was killed (SIGKILL, a power cut) stays STARTED in
  Dagster's instance and keeps its `duckdb_writer` pool slot, and the next run would wait for
  that slot forever. Runs the CLI starts carry their process id; before it starts a run, the CLI
  marks those whose process is gone as failed and frees their slots, with Dagster's own calls
  (`report_run_failed`, `free_concurrency_slots_for_run`). Runs launched from the UI or the
  daemon are left to Dagster's run monitoring (dagster.yaml).

What the killed run wrote is safe by construction: each landing batch, quality suite and dbt
model commits in one DuckDB transaction, so the next run redoes what was not committed.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PID_TAG = "binesh/cli_pid"
HOST_TAG = "binesh/cli_host"


def cli_run_tags() -> dict[str, str]:
    """Tags of a run this process executes: whose it is, so a later run can tell it died."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


@contextmanager
def one_run_at_a_time(warehouse: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the warehouse's run lock for the block; `say` tells the user when it waits."""
    lock_path = Path(f"{warehouse}.run-lock")
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            say(f"Waiting for the run of {holder} on {warehouse} to end…")
            started = time.perf_counter()
            fcntl.flock(lock, fcntl.LOCK_EX)
            say(f"…it ended after {time.perf_counter() - started:.0f} s.")
        lock.seek(0)
        lock.truncate()
        lock.write(f"binesh run (pid {os.getpid()})")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)


def recover_killed_runs(instance) -> list[str]:
    """Mark the CLI's runs on this machine whose process is gone as failed and free their pool
    slots; free the slots that finished runs still hold. Returns what was done, one line each."""
    from dagster import DagsterRunStatus, RunsFilter

    unfinished = instance.get_runs(
        filters=RunsFilter(
            statuses=[
                DagsterRunStatus.NOT_STARTED,
                DagsterRunStatus.STARTING,
                DagsterRunStatus.STARTED,
            ]
        )
    )
    done = []
    for run in unfinished:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid is None or host != socket.gethostname() or process_alive(int(pid)):
            continue
        message = (
            f"its process ({pid}) ended without finishing it (killed?); recovered by binesh run"
        )
        instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        done.append(f"run {run.run_id} ({run.job_name}) was killed: marked failed, its slot freed")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                done.append(f"run {run_id} had ended holding a pool slot: freed")
    return done


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True

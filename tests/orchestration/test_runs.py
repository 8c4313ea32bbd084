"""A killed run is recovered by the next one, and two runs on one warehouse queue
(orchestration/runs.py), with real processes, a real Dagster instance and real SIGKILLs."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg
import pytest

from orchestration.runs import PID_TAG, one_run_at_a_time, recover_killed_runs
from tests.tools import binesh_env

# A run that claims a slot of the duckdb_writer pool (as every warehouse step does) and hangs
# in it, started the way `binesh run` starts its runs: in-process, tagged with its process.
HANGING_RUN = textwrap.dedent(
    """
    import time
    import dagster as dg
    from orchestration.runs import cli_run_tags

    @dg.op(pool="duckdb_writer")
    def hang():
        print("in the step", flush=True)
        time.sleep(600)

    @dg.job
    def hanging():
        hang()

    with dg.DagsterInstance.get() as instance:
        hanging.execute_in_process(instance=instance, tags=cli_run_tags())
    """
)


@pytest.fixture
def env(tmp_path):
    return binesh_env(tmp_path)


def test_a_killed_run_is_marked_failed_and_its_pool_slot_freed(env, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    child = subprocess.Popen(
        [sys.executable, "-c", HANGING_RUN], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "in the step"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.STARTED  # what SIGKILL leaves behind
        assert run.tags[PID_TAG] == str(child.pid)
        pool = instance.event_log_storage.get_concurrency_info("duckdb_writer")
        assert pool.claimed_slots  # and the slot the next run would wait for forever

        done = recover_killed_runs(instance)

        assert done == [f"run {run.run_id} (hanging) was killed: marked failed, its slot freed"]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("duckdb_writer").claimed_slots
        assert recover_killed_runs(instance) == []  # nothing left to recover


def hold_run_lock(warehouse, seconds: float) -> subprocess.Popen:
    """Another process that holds the warehouse's run lock for `seconds`, once it holds it."""
    holder = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from orchestration.runs import one_run_at_a_time

        with one_run_at_a_time(Path({str(warehouse)!r}), say=print):
            print("holding", flush=True)
            time.sleep({seconds})
        """
    )
    process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "holding"
    return process


def test_a_second_run_on_the_same_warehouse_waits_for_the_first(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    first = hold_run_lock(warehouse, seconds=3)
    said = []
    started = time.perf_counter()
    with one_run_at_a_time(warehouse, say=said.append):
        waited = time.perf_counter() - started
    first.wait()
    assert waited > 2  # the first held it for 3 s after saying so
    assert said[0] == f"Waiting for the run of binesh run (pid {first.pid}) on {warehouse} to end…"


def test_a_killed_run_leaves_no_lock(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    first = hold_run_lock(warehouse, seconds=600)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    said = []
    with one_run_at_a_time(warehouse, say=said.append):
        assert said == []  # the kernel released the killed holder's lock

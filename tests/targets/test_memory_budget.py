"""The memory budget (targets/memory_budget.py): read from BINESH_MEMORY_LIMIT or the flag, taken
by every DuckDB connection of a build, and named when a step runs out of it."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.resources import Warehouse, build_resources
from targets.memory_budget import (
    DBT_MEMORY_LIMIT_VARIABLE,
    DEFAULT_SHARE,
    DUCKDB_SHARE,
    BudgetError,
    connect,
    export_dbt_memory_limit,
    machine_memory,
    memory_budget,
    out_of_memory_hint,
)
from tests.tools import binesh_env, run_binesh

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def memory_limit_of(con: duckdb.DuckDBPyConnection) -> str:
    """DuckDB's memory_limit as it shows it ("3.0 GiB")."""
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("8GB", 8 * 2**30), ("512MB", 512 * 2**20), ("1.5g", int(1.5 * 2**30)), ("2 GiB", 2 * 2**30)],
)
def test_a_budget_is_read_in_the_units_people_write(setting, expected):
    assert memory_budget(setting) == expected


def test_a_share_is_of_the_machine_and_the_default_is_half_of_it(monkeypatch):
    monkeypatch.delenv("BINESH_MEMORY_LIMIT", raising=False)
    assert memory_budget("40%") == int(machine_memory() * 0.4)
    assert memory_budget() == int(machine_memory() * DEFAULT_SHARE)


@pytest.mark.parametrize(("setting", "says"), [("lots", "not a memory size"), ("64MB", "at least")])
def test_a_budget_that_cannot_be_read_or_is_too_small_says_so(setting, says):
    with pytest.raises(BudgetError, match=says):
        memory_budget(setting)


def test_connections_of_a_build_take_duckdbs_share_of_the_budget(monkeypatch, tmp_path):
    monkeypatch.setenv("BINESH_MEMORY_LIMIT", "5GB")
    monkeypatch.setenv("BINESH_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv(DBT_MEMORY_LIMIT_VARIABLE, raising=False)  # restored after the test
    assert DUCKDB_SHARE == 0.6  # so DuckDB's share of 5 GiB is 3 GiB
    with connect() as con:  # identity's in-memory databases
        assert memory_limit_of(con) == "3.0 GiB"
    config = build_resources()["warehouse"].connection_config  # every Python step's
    export_dbt_memory_limit()  # what orchestration.project does before dbt parses
    assert os.environ[DBT_MEMORY_LIMIT_VARIABLE] == "3072MiB"  # dbt's, from profiles.yml
    with Warehouse(
        database=str(tmp_path / "w.duckdb"), connection_config=config
    ).get_connection() as con:
        assert memory_limit_of(con) == "3.0 GiB"


def test_dbt_takes_the_same_share_when_run_by_hand():
    profile = yaml.safe_load(PROFILES.read_text())["binesh"]["outputs"]["duckdb"]
    default = profile["settings"]["memory_limit"].split("'")[-2]
    assert default == f"{DEFAULT_SHARE * DUCKDB_SHARE:.0%}"


def test_duckdbs_own_out_of_memory_error_gets_the_budget_hint():
    con = duckdb.connect(config={"memory_limit": "20MB", "temp_directory": ""})
    with pytest.raises(duckdb.OutOfMemoryException) as raised:
        con.execute("select list(i) from range(20000000) t(i)").fetchall()
    hint = out_of_memory_hint(str(raised.value))
    assert hint and "--memory-limit" in hint
    assert out_of_memory_hint("Binder Error: column x not found") is None


def test_binesh_run_refuses_a_budget_too_small_before_it_starts(tmp_path):
    env = binesh_env(tmp_path)
    Path(env["BINESH_LANDING_DIR"]).mkdir()
    done = run_binesh(env, "run", "--memory-limit", "100MB")
    assert done.returncode != 0
    assert "BINESH_MEMORY_LIMIT='100mb' is 100 MB; a build needs at least 256 MB" in done.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()

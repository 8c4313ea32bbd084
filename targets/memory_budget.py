"""DuckDB, the default target, within the memory budget: how much of the machine a build may use.

    BINESH_MEMORY_LIMIT=8GB binesh run        # or `binesh run --memory-limit 8GB`; also "40%"

The budget (default: half of the machine's memory) bounds the build's processes, which run one
at a time: the Dagster process (Python steps and their DuckDB connections) and each dbt process.
DuckDB's buffer pool gets DUCKDB_SHARE of it, the rest is for what Python steps hold; past its
limit DuckDB spills to a temporary directory beside the warehouse instead of growing, and what
cannot spill fails with an out-of-memory error that `binesh run` reports with the step's name.
Every connection the build opens (the warehouse resource, dbt's profile, identity's in-memory
databases) takes `duckdb_config()`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

BUDGET_VARIABLE = "BINESH_MEMORY_LIMIT"
DBT_MEMORY_LIMIT_VARIABLE = "BINESH_DUCKDB_MEMORY_LIMIT"  # dbt_project/profiles.yml reads it
DEFAULT_SHARE = 0.5  # of the machine, when BINESH_MEMORY_LIMIT is not set
DUCKDB_SHARE = 0.6  # of the budget, for DuckDB's buffer pool; the rest for Python objects
MINIMUM_BYTES = 256 * 2**20  # below this not even the loader's first file fits
UNITS = {"b": 1, "kb": 2**10, "mb": 2**20, "gb": 2**30, "tb": 2**40}
# DuckDB's message when a query needs more memory than its limit and cannot spill
OUT_OF_MEMORY = "Out of Memory Error"


class BudgetError(ValueError):
    """The memory budget cannot be read or is too small; the message says what to set."""


def machine_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_budget(setting: str | None = None) -> int:
    """The budget in bytes: `setting` (or BINESH_MEMORY_LIMIT) as 8GB, 512MB or 40%, else
    DEFAULT_SHARE of the machine."""
    text = (setting or os.environ.get(BUDGET_VARIABLE) or "").strip().lower().replace(" ", "")
    if not text:
        return int(machine_memory() * DEFAULT_SHARE)
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)%", text):
        budget = int(machine_memory() * float(match[1]) / 100)
    elif match := re.fullmatch(r"(\d+(?:\.\d+)?)(b|kb|mb|gb|tb|k|m|g|t)?(?:i?b)?", text):
        unit = match[2] or "b"
        budget = int(float(match[1]) * UNITS[unit if unit.endswith("b") else unit + "b"])
    else:
        raise BudgetError(
            f"{BUDGET_VARIABLE}={text!r} is not a memory size: write it as 8GB, 512MB or 40% "
            "(of the machine's memory)"
        )
    if budget < MINIMUM_BYTES:
        raise BudgetError(
            f"{BUDGET_VARIABLE}={text!r} is {budget / 2**20:,.0f} MB; a build needs at least "
            f"{MINIMUM_BYTES // 2**20} MB"
        )
    return budget


def duckdb_memory_limit(budget: int | None = None) -> str:
    """DuckDB's memory_limit for the budget, in whole mebibytes ("4915MiB")."""
    budget = memory_budget() if budget is None else budget
    return f"{int(budget * DUCKDB_SHARE) // 2**20}MiB"


def export_dbt_memory_limit() -> None:
    """Give dbt's DuckDB its share: profiles.yml reads DBT_MEMORY_LIMIT_VARIABLE, and dbt runs
    with this process's environment."""
    os.environ[DBT_MEMORY_LIMIT_VARIABLE] = duckdb_memory_limit()


def duckdb_config(temp_directory: Path | str | None = None) -> dict[str, str]:
    """The settings every connection of a build opens with; `temp_directory` is where DuckDB
    spills past its limit (a file database's default is `<file>.tmp` beside it)."""
    config = {"memory_limit": duckdb_memory_limit()}
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return config


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection within the budget (an in-memory one spills beside the warehouse)."""
    spill = None
    if database == ":memory:" and os.environ.get("BINESH_WAREHOUSE"):
        spill = Path(os.environ["BINESH_WAREHOUSE"]).with_suffix(".memory.tmp")
    return duckdb.connect(database, read_only=read_only, config=duckdb_config(spill))


def out_of_memory_hint(message: str) -> str | None:
    """What to do when a step's error is DuckDB running out of its memory limit; None if not."""
    if OUT_OF_MEMORY not in message:
        return None
    return (
        f"it ran out of memory within the budget ({BUDGET_VARIABLE}: "
        f"{memory_budget() / 2**30:,.1f} GB, of which DuckDB {duckdb_memory_limit()}); raise "
        f"it with `binesh run --memory-limit` or {BUDGET_VARIABLE} if the machine has room"
    )

"""Resources, configured from environment variables (see .env.example), and the pool and run
tags that keep DuckDB to one writer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.project import dbt_project
from targets.memory_budget import duckdb_config

WAREHOUSE_POOL = "duckdb_writer"  # DuckDB takes one writing process per file
# Runs carrying this tag queue behind each other (dagster.yaml: tag_concurrency_limits), so the
# schedule, the sensor and a manual launch never fight over the DuckDB writer lock.
WRITER_TAGS = {"binesh/warehouse": "writer"}


class LandingZone(dg.ConfigurableResource):
    """The folder that source systems (or the simulator) deliver files into."""

    path: str

    @property
    def directory(self) -> Path:
        return Path(self.path)


class Warehouse(DuckDBResource):
    """The DuckDB warehouse, its connection closed also when a step fails: dagster-duckdb closes
    it only on success, and an open connection keeps DuckDB's file lock from the next step's
    dbt process (the in-process executor runs every step in one process)."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as con:
            try:
                yield con
            finally:
                con.close()


def build_resources() -> dict[str, object]:
    return {
        "warehouse": Warehouse(
            database=dg.EnvVar("BINESH_WAREHOUSE"), connection_config=duckdb_config()
        ),
        "landing": LandingZone(path=dg.EnvVar("BINESH_LANDING_DIR")),
        # dbt from the same environment as Dagster, whether or not that environment is activated
        "dbt": DbtCliResource(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))
        ),
    }

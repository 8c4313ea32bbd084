"""Resources, configured from environment variables (see .env.example)."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.project import dbt_project


class LandingZone(dg.ConfigurableResource):
    """The folder that source systems (or the simulator) deliver files into."""

    path: str

    @property
    def directory(self) -> Path:
        return Path(self.path)


def build_resources() -> dict[str, object]:
    return {
        "warehouse": DuckDBResource(database=dg.EnvVar("BINESH_WAREHOUSE")),
        "landing": LandingZone(path=dg.EnvVar("BINESH_LANDING_DIR")),
        # dbt from the same environment as Dagster, whether or not that environment is activated
        "dbt": DbtCliResource(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))
        ),
    }

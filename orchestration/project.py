"""Where the project lives on disk, and the one DbtProject every Dagster piece shares."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster_dbt import DbtProject

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LANDING_DIR = PROJECT_ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"

# The manifest is prepared ahead of time (`make manifest`, or the CLI before it loads the
# definitions); under `dagster dev`, prepare_if_dev() re-parses so model edits show up.
dbt_project = DbtProject(project_dir=PROJECT_ROOT / "dbt_project")
dbt_project.prepare_if_dev()


def dbt_code_files() -> list[Path]:
    """Every file the dbt project's code is: models, macros, tests, snapshots and the settings."""
    project = dbt_project.project_dir
    return sorted(
        path
        for folder in ("models", "macros", "tests", "snapshots")
        for path in (project / folder).rglob("*")
        if path.suffix in (".sql", ".yml", ".yaml")
    ) + [project / "dbt_project.yml", project / "profiles.yml"]


def dbt_code_version() -> str:
    """A digest of the dbt project's code (dbt_code_files), as a Dagster code version."""
    digest = hashlib.sha256()
    for path in dbt_code_files():
        digest.update(path.relative_to(dbt_project.project_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]

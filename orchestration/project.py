"""Where the project lives on disk, and the one DbtProject every Dagster piece shares."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LANDING_DIR = PROJECT_ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"

# The manifest is prepared ahead of time (`make manifest`, or the CLI before it loads the
# definitions); under `dagster dev`, prepare_if_dev() re-parses so model edits show up.
dbt_project = DbtProject(project_dir=PROJECT_ROOT / "dbt_project")
dbt_project.prepare_if_dev()

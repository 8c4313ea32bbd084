"""Where the project lives on disk, and the one DbtProject every Dagster piece shares."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster_dbt import DbtProject

from targets.memory_budget import export_dbt_memory_limit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LANDING_DIR = PROJECT_ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"

# The manifest is prepared ahead of time (`make manifest`, or the CLI before it loads the
# definitions); under `dagster dev`, prepare_if_dev() re-parses so model edits show up.
dbt_project = DbtProject(project_dir=PROJECT_ROOT / "dbt_project")
# The profile renders the memory budget's share, so it is set before any parse: dbt keeps a parse
# only for the profile it was made with, and would otherwise parse anew in every dbt step.
export_dbt_memory_limit()
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


def code_version(files) -> str:
    """A Dagster code version for what is computed by `files`: a digest of their paths and
    contents. A change to any of them makes the assets built by them out of date."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def python_files(folder: str, *, excluding: tuple[str, ...] = ()) -> list[Path]:
    """The Python files (and Jinja templates) under the project folder `folder`, but under its
    subfolders `excluding`."""
    root = PROJECT_ROOT / folder
    return [
        path
        for pattern in ("*.py", "*.j2")
        for path in root.rglob(pattern)
        if path.relative_to(root).parts[0] not in excluding
    ]

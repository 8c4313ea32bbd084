"""dbt's documentation site, published beside the warehouse after each run, and the rule that
every public mart and every one of its columns is described."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.contract import PUBLIC_SCHEMA, public_marts

PAGE = "index.html"
# `dbt docs generate --static` writes the whole site, manifest and catalog inlined, into this
# one file; manifest.json and catalog.json are published beside it for tools that read them.
STATIC_PAGE = "static_index.html"
ARTIFACTS = ("manifest.json", "catalog.json")


@dataclass(frozen=True)
class DbtDocs:
    page: Path  # <directory>/index.html
    models: int
    public_marts: int
    undocumented: list[str]  # see undocumented_columns()


def publish_dbt_docs(target: Path, directory: Path) -> DbtDocs:
    """Publish what `dbt docs generate --static` wrote into `target` as `directory`/index.html
    (with manifest.json and catalog.json beside it), each file replaced atomically."""
    missing = [name for name in (STATIC_PAGE, *ARTIFACTS) if not (target / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{target} lacks {', '.join(missing)}: run `dbt docs generate --static` there first"
        )
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    directory.mkdir(parents=True, exist_ok=True)
    for source, name in [(STATIC_PAGE, PAGE), *((name, name) for name in ARTIFACTS)]:
        staged = directory / f".{name}.tmp"
        shutil.copyfile(target / source, staged)
        os.replace(staged, directory / name)
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    return DbtDocs(
        page=directory / PAGE,
        models=len(models),
        public_marts=len(public_marts(manifest)),
        undocumented=undocumented_columns(manifest, catalog),
    )


def undocumented_columns(
    manifest: dict[str, Any], catalog: dict[str, Any] | None = None
) -> list[str]:
    """Public marts, and columns of them, without a description: "marts.table" for a model,
    "marts.table.column" for a column.

    The columns come from the model's YAML (the manifest) and, given dbt's catalog, also from the
    built table, so a column the SQL adds without a YAML entry is caught too.
    """
    catalog_nodes = (catalog or {}).get("nodes", {})
    undocumented = []
    for node in public_marts(manifest).values():
        name = f"{PUBLIC_SCHEMA}.{node['name']}"
        if not node["description"].strip():
            undocumented.append(name)
        described = {
            column.lower()
            for column, spec in node["columns"].items()
            if spec.get("description", "").strip()
        }
        columns = {column.lower(): column for column in node["columns"]}
        for column in catalog_nodes.get(node["unique_id"], {}).get("columns", {}):
            columns.setdefault(column.lower(), column)
        undocumented += [f"{name}.{c}" for key, c in columns.items() if key not in described]
    return undocumented

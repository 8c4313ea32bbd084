"""The staging layer's definitions, checked without building it: `dbt parse` of the project
needs no warehouse and names the raw sources and every relation as the loader and PostgreSQL
need, and the sources and models YAML under dbt_project/models/staging agree with
sources.contract (every contract column declared, every table's primary key tested).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sources.contract import LANDING_TABLES, LINEAGE_COLUMNS
from tests.dbt_project.raw_warehouse import STAGING_DIR
from tests.tools import run_dbt


def test_parse_needs_no_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster loads the manifest from `dbt parse`, run before any warehouse exists."""
    warehouse = tmp_path / "absent" / "warehouse.duckdb"
    monkeypatch.setenv("BINESH_WAREHOUSE", str(warehouse))
    result = run_dbt(["parse"], tmp_path)
    assert result.success, result.exception
    assert (tmp_path / "target" / "manifest.json").exists()
    assert not warehouse.parent.exists()
    # Source raw.<table> is the raw asset of the same key (asset key = [schema, table]).
    raw_sources = {
        (node.schema, node.name)
        for node in result.result.sources.values()
        if node.source_name == "raw"
    }
    assert raw_sources == {("raw", table.qualified_name) for table in LANDING_TABLES}
    # PostgreSQL (the portable target) cuts names at 63 bytes: dbt refuses longer relations
    relations = [
        node.alias for node in result.result.nodes.values() if node.resource_type == "model"
    ]
    relations += [test.name for test in result.result.unit_tests.values()]
    assert [name for name in relations if len(name.encode()) > 63] == []


def test_sources_yaml_matches_the_contract() -> None:
    """The sources YAML lists every contract column: custom attributes are the rest."""
    declared = {}
    for path in STAGING_DIR.glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            assert (source["name"], source["schema"]) == ("raw", "raw")
            for table in source["tables"]:
                declared[table["name"]] = [column["name"] for column in table["columns"]]
    assert declared == {
        table.qualified_name: [*table.column_names, *LINEAGE_COLUMNS] for table in LANDING_TABLES
    }


def test_every_staging_primary_key_is_tested() -> None:
    keys = {f"stg_{table.qualified_name}": table.key for table in LANDING_TABLES}
    for path in STAGING_DIR.glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            key = keys[model["name"]]
            tests_by_column = {
                column["name"]: column.get("data_tests", []) for column in model["columns"]
            }
            for column in key:
                assert "not_null" in tests_by_column[column], (model["name"], column)
            if len(key) == 1:
                assert "unique" in tests_by_column[key[0]], model["name"]
            else:
                combination = [
                    test["unique_combination_of_columns"]["arguments"]["combination_of_columns"]
                    for test in model.get("data_tests", [])
                    if "unique_combination_of_columns" in test
                ]
                assert combination == [list(key)], model["name"]

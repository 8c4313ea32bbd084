"""The dbt staging layer, run for real: the tiny raw warehouse of raw_warehouse.py in tmp_path,
`dbt build` (once for the module), then checks of what staging made of it (deduplication,
renames, normalised emails and phones, custom attributes, empty sources).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunnerResult

from sources.contract import LANDING_TABLES
from tests.dbt_project.raw_warehouse import (
    CUSTOM_ATTRIBUTES,
    EMAIL_CASES,
    PHONE_CASES,
    STAGING_DIR,
    create_raw_warehouse,
)
from tests.tools import run_dbt


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as connection:
        return connection.execute(sql).fetchall()


def staging_rows(warehouse: Path, model: str, columns: str, order_by: str) -> list[tuple]:
    return query(warehouse, f"select {columns} from staging.{model} order by {order_by}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dbtRunnerResult]]:
    tmp_dir = tmp_path_factory.mktemp("dbt_staging")
    warehouse = tmp_dir / "warehouse.duckdb"
    create_raw_warehouse(warehouse)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("BINESH_WAREHOUSE", str(warehouse))
        started = time.perf_counter()
        result = run_dbt(["build", "--select", "staging"], tmp_dir)
        elapsed = time.perf_counter() - started
    print(f"dbt build (staging) took {elapsed:.1f} s")
    yield warehouse, result


@pytest.fixture(scope="module")
def warehouse(built: tuple[Path, dbtRunnerResult]) -> Path:
    warehouse, result = built
    assert result.success, result.exception
    return warehouse


def test_build_succeeds_with_every_test_passing(built: tuple[Path, dbtRunnerResult]) -> None:
    _, result = built
    assert result.success, result.exception
    statuses = {node.node.unique_id: str(node.status) for node in result.result}
    assert any(unique_id.startswith("test.") for unique_id in statuses)
    assert set(statuses.values()) <= {"success", "pass"}, statuses


def test_every_contract_table_has_a_staging_table(warehouse: Path) -> None:
    tables = {
        name
        for (name,) in query(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'staging'",
        )
    }
    assert tables == {f"stg_{table.qualified_name}" for table in LANDING_TABLES}


def test_staging_columns_match_the_models_yaml(warehouse: Path) -> None:
    documented = documented_model_columns()
    for table in LANDING_TABLES:
        model = f"stg_{table.qualified_name}"
        built_columns = [
            name
            for (name,) in query(
                warehouse,
                "select column_name from information_schema.columns"
                f" where table_schema = 'staging' and table_name = '{model}'"
                " order by ordinal_position",
            )
        ]
        custom = [
            name.replace(" ", "_") for name in CUSTOM_ATTRIBUTES.get(table.qualified_name, {})
        ]
        expected = [name for name in documented[model] if not name.startswith("_")]
        assert built_columns == [*expected, *custom, "_source_file", "_loaded_at"], model


def test_empty_source_gives_an_empty_table(warehouse: Path) -> None:
    assert query(warehouse, "select count(*) from staging.stg_feedback__reviews") == [(0,)]


def test_contacts_latest_delivery_wins(warehouse: Path) -> None:
    rows = staging_rows(
        warehouse, "stg_crm__contacts", "contact_id, first_name, last_name, city", "contact_id"
    )
    assert rows == [
        ("C1", "Alicia", None, None),  # latest updated_at, not the stale later file
        ("C2", None, "Brown", None),  # exact duplicate collapsed, id trimmed, blank -> null
        ("C3", None, None, "York"),  # later file
        ("C4", None, None, "Bath"),  # known updated_at beats a missing one
        ("C5", None, None, "Ely"),  # last row of the file
    ]


def test_contacts_renames_and_lineage(warehouse: Path) -> None:
    rows = staging_rows(
        warehouse,
        "stg_crm__contacts",
        "email, email_raw, birth_date, has_email_consent, has_sms_consent, _source_file",
        "contact_id",
    )
    assert rows[0] == (
        "alicia@example.com",
        "Alicia@Example.com",
        date(1990, 5, 17),
        True,
        False,
        "crm/contacts/2025-01-02.csv",
    )


@pytest.mark.parametrize(
    ("index", "delivered", "expected"),
    [
        (index, delivered, expected)
        for index, (delivered, expected) in enumerate(PHONE_CASES, start=1)
    ],
)
def test_phone_normalised_to_e164(
    warehouse: Path, index: int, delivered: str | None, expected: str | None
) -> None:
    rows = query(
        warehouse,
        f"select phone from staging.stg_ecommerce__customers where customer_id = 'PHONE-{index}'",
    )
    assert rows == [(expected,)], delivered


@pytest.mark.parametrize(
    ("index", "delivered", "expected", "expected_raw"),
    [
        (index, delivered, expected, expected_raw)
        for index, (delivered, expected, expected_raw) in enumerate(EMAIL_CASES, start=1)
    ],
)
def test_email_normalised(
    warehouse: Path,
    index: int,
    delivered: str | None,
    expected: str | None,
    expected_raw: str | None,
) -> None:
    rows = query(
        warehouse,
        "select email, email_raw from staging.stg_ecommerce__customers"
        f" where customer_id = 'EMAIL-{index}'",
    )
    assert rows == [(expected, expected_raw)], delivered


def test_leads_keep_custom_attributes(warehouse: Path) -> None:
    rows = staging_rows(
        warehouse, "stg_crm__leads", "lead_id, email, status, loyalty_tier, lead_score", "lead_id"
    )
    assert rows == [
        ("L1", "carol@example.org", "qualified", "gold", "42"),
        ("L2", None, None, None, None),
    ]


def test_order_items_deduplicated_on_the_composite_key(warehouse: Path) -> None:
    rows = staging_rows(
        warehouse,
        "stg_ecommerce__order_items",
        "order_id, product_id, quantity",
        "order_id, product_id",
    )
    assert rows == [("O1", "P1", 2), ("O1", "P2", 3)]


def test_out_of_range_values_and_codes(warehouse: Path) -> None:
    assert staging_rows(
        warehouse, "stg_ecommerce__orders", "order_id, amount, currency, channel, status", "1"
    ) == [("O1", 25.0, "GBP", "web", "shipped")]
    assert staging_rows(warehouse, "stg_surveys__responses", "survey_type, score", "1") == [
        ("nps", 11)
    ]
    assert staging_rows(warehouse, "stg_web__events", "event_type", "1") == [("page_view",)]
    assert staging_rows(warehouse, "stg_marketing__messages", "event_type, email", "1") == [
        ("opened", "dana@example.com")
    ]


def test_ambiguous_names_are_renamed(warehouse: Path) -> None:
    assert staging_rows(warehouse, "stg_ecommerce__products", "product_name", "1") == [
        ("Trail Shoe",)
    ]
    assert staging_rows(warehouse, "stg_marketing__campaigns", "campaign_name, channel", "1") == [
        ("Spring sale", "email")
    ]
    assert staging_rows(warehouse, "stg_support__tickets", "ticket_text", "1") == [
        ("My parcel is late.",)
    ]


def documented_model_columns() -> dict[str, list[str]]:
    documented = {}
    for path in STAGING_DIR.glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            documented[model["name"]] = [column["name"] for column in model["columns"]]
    return documented

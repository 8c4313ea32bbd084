"""The dbt staging layer, run for real: a tiny raw warehouse in tmp_path, `dbt build`, then checks
of what staging made of it (deduplication, renames, normalised emails and phones, custom
attributes, empty sources).

The raw tables are created from sources.contract, exactly as the loader creates them, so the
tests follow the contract when it changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from sources.contract import LANDING_TABLES, LINEAGE_COLUMNS, LandingTable

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"

# Columns the loader would add for extra columns found in the files (custom attributes).
CUSTOM_ATTRIBUTES = {"crm__leads": {"loyalty_tier": "VARCHAR", "lead score": "VARCHAR"}}

# (delivered phone, expected E.164) with the default country code 44.
PHONE_CASES = [
    ("07700 900123", "+447700900123"),
    ("+44 7700 900124", "+447700900124"),
    ("+44 (0)20 7946 0958", "+442079460958"),
    ("0044 161 496 0000", "+441614960000"),
    ("(0161) 496-0001", "+441614960001"),
    ("7700900125", "+447700900125"),
    ("447700900126", "+447700900126"),
    ("+1 (202) 555-0143", "+12025550143"),
    ("001-202-555-0144", "+12025550144"),
    ("123", None),
    ("n/a", None),
    ("   ", None),
    (None, None),
]

# (delivered email, expected normalised email, expected email_raw)
EMAIL_CASES = [
    ("  Dana@Example.COM ", "dana@example.com", "Dana@Example.COM"),
    ("erin@example.org", "erin@example.org", "erin@example.org"),
    ("not-an-email", None, "not-an-email"),
    ("@example.com", None, "@example.com"),
    ("", None, None),
    (None, None, None),
]

T1, T2, T3 = datetime(2025, 1, 1, 9), datetime(2025, 1, 2, 9), datetime(2025, 1, 3, 9)
CONTACTS_1, CONTACTS_2, CONTACTS_3 = (f"crm/contacts/2025-01-0{day}.csv" for day in (1, 2, 3))
LEADS_1, LEADS_2 = "crm/leads/2025-01-01.csv", "crm/leads/2025-01-02.csv"


def rows(columns: str, *values: tuple) -> list[dict[str, Any]]:
    """Rows written as a table: a comma-separated header, then one tuple per row. Without a
    `_source_row` column, rows are numbered 1, 2, ... within each `_source_file`."""
    names = [name.strip() for name in columns.split(",")]
    records = [dict(zip(names, row, strict=True)) for row in values]
    if "_source_row" not in names:
        files = [record["_source_file"] for record in records]
        for index, record in enumerate(records):
            record["_source_row"] = files[: index + 1].count(record["_source_file"])
    return records


RAW_ROWS: dict[str, list[dict[str, Any]]] = {
    "crm__contacts": rows(
        "contact_id, first_name, last_name, city, updated_at, _source_file, _source_row",
        # C1: three deliveries; the latest updated_at wins though a stale copy came later.
        ("C1", "Alice", None, None, T1, CONTACTS_1, 1),
        ("C1", "Alicia", None, None, T2, CONTACTS_2, 1),
        ("C1", "Stale", None, None, T1, CONTACTS_3, 1),
        # C2: an exact duplicate within one file, with a padded id and a blank name.
        ("C2", "  ", "Brown", None, None, CONTACTS_1, 2),
        (" C2 ", "  ", "Brown", None, None, CONTACTS_1, 3),
        # C3: no updated_at anywhere: the later file wins.
        ("C3", None, None, "Leeds", None, CONTACTS_1, 4),
        ("C3", None, None, "York", None, CONTACTS_2, 2),
        # C4: a known updated_at beats a missing one (nulls last), whatever the file order.
        ("C4", None, None, "Bath", T1, CONTACTS_1, 5),
        ("C4", None, None, "Bristol", None, CONTACTS_2, 3),
        # C5: same file, the last row wins.
        ("C5", None, None, "Hull", None, CONTACTS_1, 6),
        ("C5", None, None, "Ely", None, CONTACTS_1, 7),
    ),
    "crm__leads": rows(
        "lead_id, email, created_at, status, loyalty_tier, lead score, _source_file, _source_row",
        ("L1", "  CAROL@EXAMPLE.org", T1, "new", " gold ", "17", LEADS_1, 1),
        ("L1", "  CAROL@EXAMPLE.org", T1, "qualified", " gold ", "42", LEADS_2, 1),
        ("L2", None, T2, None, "", None, LEADS_2, 2),
    ),
    "ecommerce__customers": rows(
        "customer_id, phone, email, _source_file, _source_row",
        *(
            (f"PHONE-{index}", phone, None, "ecommerce/customers/2025-01-01.csv", index)
            for index, (phone, _) in enumerate(PHONE_CASES, start=1)
        ),
        *(
            (f"EMAIL-{index}", None, email, "ecommerce/customers/2025-01-02.csv", index)
            for index, (email, _, _) in enumerate(EMAIL_CASES, start=1)
        ),
    ),
    "ecommerce__orders": rows(
        "order_id, customer_id, ordered_at, amount, currency, channel, status, _source_file",
        # The later delivery wins; out-of-range values (a negative amount) are not dropped.
        ("O1", "EMAIL-1", T1, -5.0, "gbp", " Web ", "placed", "ecommerce/orders/2025-01-01.csv"),
        ("O1", "EMAIL-1", T1, 25.0, "gbp", "Web", "shipped", "ecommerce/orders/2025-01-02.csv"),
    ),
    "ecommerce__order_items": rows(
        "order_id, product_id, quantity, unit_price, _source_file",
        ("O1", "P1", 1, 10.0, "ecommerce/order_items/2025-01-01.csv"),
        ("O1", "P2", 3, 5.0, "ecommerce/order_items/2025-01-01.csv"),
        ("O1", "P1", 2, 10.0, "ecommerce/order_items/2025-01-02.csv"),
    ),
    "ecommerce__products": rows(
        "product_id, name, category, price, _source_file",
        ("P1", " Trail Shoe ", "shoes", 10.0, "ecommerce/products/2025-01-01.csv"),
    ),
    "web__events": rows(
        "event_id, occurred_at, event_type, session_id, _source_file",
        ("E1", T1, "PAGE_VIEW", "S1", "web/events/2025-01-01.jsonl"),
    ),
    "marketing__campaigns": rows(
        "campaign_id, name, channel, _source_file",
        ("K1", "Spring sale", "Email", "marketing/campaigns/2025-01-01.csv"),
    ),
    "marketing__messages": rows(
        "message_id, campaign_id, occurred_at, event_type, email, _source_file",
        ("M1", "K1", T1, "Opened", "Dana@example.com ", "marketing/messages/2025-01-01.csv"),
    ),
    "support__tickets": rows(
        "ticket_id, created_at, channel, text, _source_file",
        ("T1", T1, "chat", "My parcel is late.", "support/tickets/2025-01-01.csv"),
    ),
    "surveys__responses": rows(
        "response_id, submitted_at, survey_type, score, _source_file",
        ("R1", T3, "NPS", 11, "surveys/responses/2025-01-03.csv"),
    ),
    # feedback__reviews stays empty: staging must still build an (empty) table.
}
# A contact's other columns, on its winning delivery (C1 from CONTACTS_2).
RAW_ROWS["crm__contacts"][1] |= {
    "email": " Alicia@Example.com",
    "consent_email": True,
    "consent_sms": False,
    "date_of_birth": date(1990, 5, 17),
}


def create_raw_warehouse(path: Path) -> None:
    """Create every raw table the way the loader does, and insert RAW_ROWS."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw")
        for table in LANDING_TABLES:
            columns = raw_columns(table)
            column_list = ", ".join(f'"{name}" {type_}' for name, type_ in columns.items())
            connection.execute(f"create table raw.{table.qualified_name} ({column_list})")
            rows = RAW_ROWS.get(table.qualified_name, [])
            if rows:
                placeholders = ", ".join("?" for _ in columns)
                connection.executemany(
                    f"insert into raw.{table.qualified_name} values ({placeholders})",
                    [[with_lineage(row).get(name) for name in columns] for row in rows],
                )


def raw_columns(table: LandingTable) -> dict[str, str]:
    return (
        {column.name: column.type.value for column in table.columns}
        | CUSTOM_ATTRIBUTES.get(table.qualified_name, {})
        | LINEAGE_COLUMNS
    )


def with_lineage(row: dict[str, Any]) -> dict[str, Any]:
    return {"_load_id": "load-1", "_loaded_at": datetime(2025, 1, 4)} | row


def run_dbt(args: list[str], tmp_dir: Path) -> dbtRunnerResult:
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_dir / "target"),
            "--log-path",
            str(tmp_dir / "logs"),
        ]
    )


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


def documented_model_columns() -> dict[str, list[str]]:
    documented = {}
    for path in STAGING_DIR.glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            documented[model["name"]] = [column["name"] for column in model["columns"]]
    return documented


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

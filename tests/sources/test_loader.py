"""The raw loader on real files: accounting, idempotency, re-delivery and quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from sources.contract import LANDING_TABLES, landing_table
from sources.load_log import ensure_warehouse
from sources.loader import load_table

ORDERS = landing_table("ecommerce__orders")
MESSAGES = landing_table("marketing__messages")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


def write(landing: Path, relative: str, text: str) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def assert_accounting_holds(con) -> None:
    unbalanced = rows(
        con,
        "select source_file from audit.load_log "
        "where rows_landed <> rows_loaded + rows_quarantined",
    )
    assert unbalanced == []


MIXED_ORDERS = (
    "order_id,customer_id,ordered_at,amount,currency,Gift Wrap\n"
    "o1,c1,2025-01-01T10:00:00Z,10.50,GBP,yes\n"
    "o2,c2,2025-01-01T11:00:00,not-a-number,GBP,no\n"
    "o3,,2025-01-01T12:00:00+02:00,5,GBP,\n"
    "o4,c4,2025-01-01T12:00:00,5,GBP,x,one field too many\n"
    "o5,c5,2025-01-02T09:30:00+01:00,7,GBP,\n"
)


def test_every_source_exists_as_an_empty_table_before_any_file_lands(con):
    ensure_warehouse(con)
    for table in LANDING_TABLES:
        count = rows(con, f"select count(*) from raw.{table.qualified_name}")[0][0]
        assert count == 0
        columns = [c[0] for c in rows(con, f"describe raw.{table.qualified_name}")]
        assert columns[: len(table.columns)] == table.column_names


def test_a_detail_that_does_not_type_is_set_aside_and_its_row_loads_without_it(con, landing):
    """A contact whose birth date is no date is still a contact: the row loads, the value is
    kept in audit.set_aside_values; a re-delivery replaces what its earlier version set aside."""
    contacts = landing_table("crm__contacts")
    write(
        landing,
        "crm/contacts/export.csv",
        "contact_id,first_name,last_name,date_of_birth\n"
        "k1,Ada,Lovelace,1815-12-10\n"
        "k2,Alan,Turing,1912-06-31\n"
        "k3,Grace,Hopper,\n",
    )
    [file] = load_table(con, landing, contacts).files
    assert (file.rows_landed, file.rows_loaded, file.rows_quarantined) == (3, 3, 0)
    loaded = rows(
        con, "select contact_id, date_of_birth::varchar from raw.crm__contacts order by 1"
    )
    assert loaded == [("k1", "1815-12-10"), ("k2", None), ("k3", None)]
    assert rows(
        con,
        "select source_table, source_file, source_row, column_name, original_value, reason "
        "from audit.set_aside_values",
    ) == [
        (
            "crm__contacts",
            "crm/contacts/export.csv",
            2,
            "date_of_birth",
            "1912-06-31",
            'date_of_birth: "1912-06-31" is not a valid date',
        )
    ]
    assert rows(con, "select count(*) from audit.quarantine") == [(0,)]

    write(
        landing,
        "crm/contacts/export.csv",
        "contact_id,first_name,last_name,date_of_birth\nk2,Alan,Turing,1912-06-23\n",
    )
    load_table(con, landing, contacts)
    assert rows(con, "select count(*) from audit.set_aside_values") == [(0,)]
    assert_accounting_holds(con)


def test_missing_source_folder_loads_nothing_and_is_not_an_error(con, landing):
    landing.mkdir()
    result = load_table(con, landing, ORDERS)
    assert result.files == [] and result.rows_loaded == 0


def test_good_rows_load_typed_and_bad_rows_are_quarantined_with_their_reason(con, landing):
    write(landing, "ecommerce/orders/2025-01-01.csv", MIXED_ORDERS)
    result = load_table(con, landing, ORDERS)

    [file] = result.files
    assert (file.rows_landed, file.rows_loaded, file.rows_quarantined) == (5, 2, 3)
    loaded = rows(
        con,
        "select order_id, amount, ordered_at::varchar, gift_wrap, _source_file, _source_row "
        "from raw.ecommerce__orders order by order_id",
    )
    assert loaded == [
        ("o1", 10.5, "2025-01-01 10:00:00", "yes", "ecommerce/orders/2025-01-01.csv", 1),
        # +01:00 is converted to UTC; the custom column survives as text; _source_row is the
        # data line, counted past the rejected line
        ("o5", 7.0, "2025-01-02 08:30:00", None, "ecommerce/orders/2025-01-01.csv", 5),
    ]
    reasons = dict(rows(con, "select source_row, reason from audit.quarantine"))
    assert reasons[2] == 'amount: "not-a-number" is not a valid number'
    assert reasons[3] == "customer_id is missing"
    assert reasons[4].startswith("could not parse the line: TOO MANY COLUMNS")
    originals = rows(con, "select original_row from audit.quarantine order by source_row")
    assert json.loads(originals[0][0])["amount"] == "not-a-number"
    assert originals[2][0] == "o4,c4,2025-01-01T12:00:00,5,GBP,x,one field too many"
    assert_accounting_holds(con)


def test_loading_the_same_files_twice_changes_nothing(con, landing):
    write(landing, "ecommerce/orders/2025-01-01.csv", MIXED_ORDERS)
    load_table(con, landing, ORDERS)
    before = rows(con, "select count(*) from raw.ecommerce__orders")
    again = load_table(con, landing, ORDERS)
    assert again.files == [] and again.files_unchanged == 1
    assert rows(con, "select count(*) from raw.ecommerce__orders") == before
    assert rows(con, "select count(*) from audit.quarantine") == [(3,)]
    assert rows(con, "select count(*) from audit.load_log") == [(1,)]


def test_a_redelivered_file_replaces_the_rows_of_its_earlier_version(con, landing):
    path = write(landing, "ecommerce/orders/2025-01-01.csv", MIXED_ORDERS)
    write(
        landing,
        "ecommerce/orders/2025-01-02.csv",
        "order_id,customer_id,ordered_at,amount\no9,c9,2025-01-02T08:00:00Z,1\n",
    )
    load_table(con, landing, ORDERS)

    corrected = "order_id,customer_id,ordered_at,amount\no2,c2,2025-01-01T11:00:00,12.00\n"
    path.write_text(corrected, encoding="utf-8")
    result = load_table(con, landing, ORDERS)

    assert [f.source_file for f in result.files] == ["ecommerce/orders/2025-01-01.csv"]
    assert result.files_unchanged == 1
    assert rows(con, "select order_id from raw.ecommerce__orders order by 1") == [("o2",), ("o9",)]
    assert rows(con, "select count(*) from audit.quarantine") == [(0,)]
    versions = rows(
        con,
        "select rows_landed, superseded_at is null from audit.load_log "
        "where source_file = 'ecommerce/orders/2025-01-01.csv' order by loaded_at",
    )
    assert versions == [(5, False), (1, True)]
    assert_accounting_holds(con)


def test_a_file_without_a_required_column_is_quarantined_whole_with_a_clear_reason(con, landing):
    write(landing, "ecommerce/orders/a.csv", "order_id,customer_id,amount\no1,c1,3\no2,c2,4\n")
    [file] = load_table(con, landing, ORDERS).files
    assert (file.rows_landed, file.rows_loaded, file.rows_quarantined) == (2, 0, 2)
    assert file.message.startswith("missing required column(s): ordered_at")


def test_a_wrong_delimiter_is_sniffed_not_fatal(con, landing):
    write(
        landing,
        "ecommerce/orders/semicolons.csv",
        "order_id;customer_id;ordered_at;amount\no1;c1;2025-03-01T00:00:00Z;3,5\n",
    )
    [file] = load_table(con, landing, ORDERS).files
    # DuckDB's sniffer finds ';'; "3,5" is not a number in the contract, so it is quarantined.
    assert (file.rows_loaded, file.rows_quarantined) == (0, 1)
    assert rows(con, "select reason from audit.quarantine") == [
        ('amount: "3,5" is not a valid number',)
    ]


def test_jsonl_broken_lines_are_quarantined_and_their_neighbours_load(con, landing):
    good = {
        "message_id": "m1",
        "campaign_id": "k1",
        "occurred_at": "2025-01-01T08:00:00Z",
        "event_type": "opened",
        "ab_bucket": 7,
    }
    second = dict(good, message_id="m2")
    write(
        landing,
        "marketing/messages/2025-01-01.jsonl",
        f"{json.dumps(good)}\n{{broken\n\n[1, 2]\n{json.dumps(second)}\n",
    )
    [file] = load_table(con, landing, MESSAGES).files
    assert (file.rows_landed, file.rows_loaded, file.rows_quarantined) == (4, 2, 2)
    assert rows(
        con, "select message_id, ab_bucket, _source_row from raw.marketing__messages order by 1"
    ) == [("m1", "7", 1), ("m2", "7", 5)]
    assert rows(con, "select source_row, original_row from audit.quarantine order by 1") == [
        (2, "{broken"),
        (4, "[1, 2]"),
    ]


def test_an_unreadable_file_is_logged_and_quarantined_not_fatal(con, landing):
    write(landing, "web/events/broken.parquet", "this is not parquet")
    [file] = load_table(con, landing, landing_table("web__events")).files
    assert file.status == "unreadable"
    assert "could not be read" in file.message
    assert rows(con, "select count(*) from audit.quarantine where source_row is null") == [(1,)]


def test_unknown_files_are_reported_and_underscore_folders_skipped(con, landing):
    write(landing, "ecommerce/orders/readme.txt", "not data")
    write(landing, "ecommerce/orders/_truth/secret.csv", "order_id\nx\n")
    write(landing, "ecommerce/orders/.partial.csv", "order_id\nx\n")
    result = load_table(con, landing, ORDERS)
    assert result.files == []
    assert result.files_ignored == ["ecommerce/orders/readme.txt"]


def test_integers_with_a_fraction_are_quarantined_not_rounded(con, landing):
    write(
        landing,
        "ecommerce/order_items/a.csv",
        "order_id,product_id,quantity\no1,p1,2\no1,p2,2.0\no1,p3,2.5\n",
    )
    load_table(con, landing, landing_table("ecommerce__order_items"))
    assert rows(con, "select product_id, quantity from raw.ecommerce__order_items order by 1") == [
        ("p1", 2),
        ("p2", 2),
    ]
    assert rows(con, "select reason from audit.quarantine") == [
        ('quantity: "2.5" is not a valid integer',)
    ]


def test_unicode_survives_intact(con, landing):
    write(
        landing,
        "crm/contacts/a.csv",
        "contact_id,first_name,last_name,city\nk1,پریسا,العربي,Tehrān 🌙\n",
    )
    load_table(con, landing, landing_table("crm__contacts"))
    assert rows(con, "select first_name, last_name, city from raw.crm__contacts") == [
        ("پریسا", "العربي", "Tehrān 🌙")
    ]


def test_real_online_retail_invoice_lines_load_completely(con, landing, shared_data):
    """525k real invoice lines from UCI Online Retail II, delivered as Parquet and CSV."""
    source = shared_data / "online_retail" / "online_retail_II_2009-2010.parquet"
    items = landing / "ecommerce" / "order_items"
    items.mkdir(parents=True)
    select = (
        f"select Invoice as order_id, StockCode as product_id, Quantity as quantity, "
        f"Price as unit_price, Description as description from read_parquet('{source}')"
    )
    duckdb.sql(f"copy ({select} where InvoiceDate < '2010-06-01') to '{items}/h1.parquet'")
    duckdb.sql(f"copy ({select} where InvoiceDate >= '2010-06-01') to '{items}/h2.csv'")
    expected = duckdb.sql(f"select count(*) from read_parquet('{source}')").fetchall()[0][0]

    result = load_table(con, landing, landing_table("ecommerce__order_items"))

    assert expected == 525_461
    assert result.rows_loaded + result.rows_quarantined == expected
    assert result.rows_quarantined == 0
    assert rows(
        con,
        "select count(distinct order_id), sum(quantity) < 6e6, "
        "count(description) > 520000 from raw.ecommerce__order_items",
    ) == [(28_816, True, True)]
    assert_accounting_holds(con)

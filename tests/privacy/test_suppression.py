"""The loader keeps erased people out (no pipeline: the loader on a landing zone of its own), and
landing files are rewritten without exactly the records named, in every format."""

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from privacy.landing import drop_records
from privacy.suppression import ensure_suppression, hash_sql
from sources.contract import landing_table
from sources.loader import SUPPRESSED, load_table

CONTACTS = landing_table("crm__contacts")
HEADER = "contact_id,first_name,last_name,email,phone\n"


def suppress(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> None:
    salt = ensure_suppression(con)
    con.execute(
        f"insert into audit.suppression select $kind, {hash_sql('$kind', '$value', salt)}, 'e1', "
        "now()::timestamp",
        {"kind": kind, "value": value},
    )


def test_a_delivery_naming_an_erased_person_is_cut_before_it_loads(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "crm" / "contacts"
    folder.mkdir(parents=True)
    export = folder / "contacts.csv"
    export.write_text(HEADER + "C1,Ann,Lee,ann@example.com,\nC2,Bob,Ray,bob@example.com,\n")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        load_table(con, landing, CONTACTS)
        suppress(con, "email", " ANN@example.com")  # as a user may type it
        suppress(con, "phone", "07700 900123")

        # the CRM delivers its export again, with Ann, her phone on a new record and a line too
        # broken to parse that names her
        export.write_text(
            HEADER
            + "C1,Ann,Lee,Ann@Example.com,\n"
            + "C2,Bob,Ray,bob@example.com,\n"
            + "C3,A.,Lee,,+44 7700 900123\n"
            + 'C4,"broken,ann@example.com\n'
        )
        [outcome] = load_table(con, landing, CONTACTS).files
        assert "ann@example.com" not in export.read_text().lower()
        assert "900123" not in export.read_text()
        assert export.read_text() == HEADER + "C2,Bob,Ray,bob@example.com,\n"
        assert con.execute("select contact_id from raw.crm__contacts").fetchall() == [("C2",)]
        [(landed, loaded, quarantined)] = con.execute(
            "select rows_landed, rows_loaded, rows_quarantined from audit.load_log "
            "where superseded_at is null"
        ).fetchall()
        assert (landed, loaded, quarantined) == (4, 1, 3)
        assert (outcome.rows_landed, outcome.rows_quarantined) == (4, 3)
        assert con.execute(
            "select count(*), count(original_row), count(source_row) from audit.quarantine "
            "where reason = ?",
            [SUPPRESSED],
        ).fetchall() == [(3, 0, 0)]

        # the same export once more: once cut it is what is loaded, so nothing reloads, and
        # its suppressed records are counted once
        export.write_text(HEADER + "C1,Ann,Lee,ann@example.com,\nC2,Bob,Ray,bob@example.com,\n")
        load_table(con, landing, CONTACTS)
        assert con.execute(
            "select rows_landed, rows_loaded, rows_quarantined from audit.load_log "
            "where superseded_at is null"
        ).fetchall() == [(2, 1, 1)]
        assert con.execute("select count(*) from audit.load_log").fetchall() == [(2,)]


def test_a_rewrite_drops_exactly_the_records_named_in_every_format(tmp_path):
    csv_file = tmp_path / "a.csv"
    csv_file.write_bytes(b'id,text\r\n1,"two\r\nlines"\r\n2,keep me\r\n3,"x"\r\n')
    drop_records(csv_file, {1, 3})
    assert csv_file.read_bytes() == b"id,text\r\n2,keep me\r\n"

    jsonl = tmp_path / "b.jsonl"
    lines = [json.dumps({"id": i}) for i in range(1, 5)]
    jsonl.write_text("\n".join(lines) + "\n")
    drop_records(jsonl, {2, 4})
    assert jsonl.read_text() == f"{lines[0]}\n{lines[2]}\n"

    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "n": [1, 2, 3]}), parquet)
    drop_records(parquet, {2})
    assert pq.read_table(parquet).to_pydict() == {"id": ["a", "c"], "n": [1, 3]}
    assert not list(Path(tmp_path).glob(".*erasing"))

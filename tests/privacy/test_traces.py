"""The scan finds an identifier standing alone, and only then, the same way in a file (and its
redaction) and in a table's text columns (Aho-Corasick over the values DuckDB streams), on the
edges where a match is easy to get wrong."""

import duckdb
import pyarrow as pa

from privacy.artefacts import REDACTED, redact_text_files
from privacy.verify import Traces, scan_relation, traces_of
from sources.contract import EMAIL

TRACES = traces_of(
    {EMAIL: {"ann@x.co", "bo.li@mail.com"}, "crm__contacts": {"CRM-0100001"}}, {("Ann", "Lee")}
)
CASES = {
    "ann@x.co": 1,
    "to: ann@x.co.": 1,  # a full stop ends the sentence
    "ann@x.co, bo.li@mail.com;": 2,
    "joann@x.co": 0,  # inside a longer email
    "ann@x.co.uk": 0,  # a longer domain
    "ann@x.co_2 ann@x.co-b": 0,
    "mr.bo.li@mail.com": 0,
    "crm-0100001": 1,
    "crm-01000012 crm-0100001x": 0,  # a longer key
    '{"name": "ann lee", "key": "crm-0100001"}': 2,
    "joann lee": 0,
    "": 0,
}


def rows_found(con: duckdb.DuckDBPyConnection, traces: Traces, values: list[str | None]) -> int:
    con.execute("create or replace table scanned (note varchar)")
    con.executemany("insert into scanned values (?)", [[value] for value in values])
    scan_relation(con, "scanned", [("note", "VARCHAR")], traces, "scanned")
    return traces.found.pop("scanned", 0)


def test_a_file_and_a_table_find_the_same_identifiers():
    with duckdb.connect() as con:
        for text, expected in CASES.items():
            assert len(TRACES.spans(text.encode())) == expected, text
            assert rows_found(con, TRACES, [text]) == (expected > 0), text
        # every case in one column: the values lie end to end in the scanned data, and a row is
        # counted once however many identifiers it holds
        assert rows_found(con, TRACES, list(CASES)) == sum(n > 0 for n in CASES.values())


def test_a_value_ends_where_the_next_begins():
    with duckdb.connect() as con:
        # "ann@x." + "co" run together as "ann@x.co" in the column's data; "xann@x.co" does not
        # hide the start of the next value "ann@x.co"
        assert rows_found(con, TRACES, ["to ann@x.", "co", None, ""]) == 0
        assert rows_found(con, TRACES, ["jo", "ann@x.co", None]) == 1
        assert rows_found(con, TRACES, [None, "ANN@X.CO", "ann@x.co.uk", "ann@x.co"]) == 2


def test_redaction_replaces_each_identifier_and_keeps_what_is_around_it(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"<td>Ann@X.co</td><td>joann@x.co</td><p>Ann Lee, CRM-0100001.</p>")
    assert redact_text_files([tmp_path], TRACES.spans, skip=()) == [str(page)]
    erased = REDACTED.decode()
    assert page.read_text() == (f"<td>{erased}</td><td>joann@x.co</td><p>{erased}, {erased}.</p>")


def test_thousands_of_identifiers_are_each_found_in_a_table():
    emails = [f"person{i}@example.com" for i in range(5_000)]
    traces = traces_of({EMAIL: set(emails)}, set())
    with duckdb.connect() as con:
        values = [f"to {email}." for email in emails[::7]] + ["person1@example.com.au", None]
        assert rows_found(con, traces, values) == len(emails[::7])


def test_every_arrow_string_layout_is_read():
    values = ["to ann@x.co.", None, "joann@x.co", "crm-0100001"]
    for kind in (pa.string(), pa.large_string(), pa.string_view()):
        assert TRACES.rows_with_texts(pa.array(values, type=kind)) == {0, 3}, kind
        assert TRACES.rows_with_texts(pa.array(values, type=kind).slice(1)) == {2}, kind

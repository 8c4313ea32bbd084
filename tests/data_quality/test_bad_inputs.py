"""The bad-input corpus: every file in tests/fixtures/bad_inputs/ landed alone, loaded, and its raw
increment validated by the quality suites, as a run does before anything reads it.

tests/fixtures/bad_inputs/cases.json says, per case, what must happen: the file's accounting
(landed = loaded + quarantined, exactly), the reason recorded for each rejected row (naming the
column, the value and the rule; the row number is where), the keys of every good row that must
arrive, and values that must arrive byte for byte (Persian, Arabic, emoji, time zones in UTC).
"""

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from data_quality.suites import quality_suites
from data_quality.validation import run_suites
from sources.contract import landing_table
from sources.loader import load_table

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bad_inputs"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))


def test_the_corpus_has_a_case_for_every_file_and_a_file_for_every_case():
    files = {path.name for path in CORPUS.iterdir() if path.name != "cases.json"}
    assert files == {case["file"] for case in CASES.values()}
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name, tmp_path):
    case = CASES[name]
    table = landing_table(case["table"])
    landing = tmp_path / "landing"
    folder = landing / table.source / table.name
    folder.mkdir(parents=True)
    shutil.copy(CORPUS / case["file"], folder / case["file"])

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        [file] = load_table(con, landing, table).files  # never raises on bad input
        [suite] = [s for s in quality_suites("raw") if s.table == table.qualified_name]
        outcomes = run_suites(con, [suite], run_id=name)

        status, landed, loaded, quarantined, message = con.execute(
            "select status, rows_landed, rows_loaded, rows_quarantined, message "
            "from audit.load_log where source_file = ?",
            [file.source_file],
        ).fetchone()
        assert status == case.get("status", "loaded")
        assert (landed, loaded, quarantined) == (
            case["landed"],
            case["loaded"],
            case["quarantined"],
        )
        assert landed == loaded + quarantined

        reasons = dict(con.execute("select source_row, reason from audit.quarantine").fetchall())
        assert len(reasons) == len(case.get("reasons", {}))
        for row, expected in case.get("reasons", {}).items():
            source_row = None if row == "null" else int(row)
            assert expected in reasons[source_row], (source_row, reasons)
            assert expected.split('"')[0] in message  # the file's log entry says it too
        original_rows = con.execute(
            "select count(*) from audit.quarantine where source_row is not null "
            "and original_row is null"
        ).fetchone()[0]
        assert original_rows == 0  # every quarantined row keeps its original values
        # a detail that does not type is set aside, its row loaded without it
        set_aside = dict(
            con.execute("select source_row, reason from audit.set_aside_values").fetchall()
        )
        assert set_aside == {int(row): reason for row, reason in case.get("set_aside", {}).items()}

        key = table.key[0]
        keys = [
            k
            for (k,) in con.execute(
                f"select {key} from raw.{table.qualified_name} order by _source_row"
            ).fetchall()
        ]
        assert keys == case["loaded_keys"]
        for record, column, expected in case.get("values", []):
            [(value,)] = con.execute(
                f"select {column}::varchar from raw.{table.qualified_name} where {key} = ?",
                [record],
            ).fetchall()
            assert value == (
                expected if expected is None or isinstance(expected, str) else str(expected)
            )
        for record, column, length in case.get("lengths", []):
            [(actual,)] = con.execute(
                f"select length({column}) from raw.{table.qualified_name} where {key} = ?",
                [record],
            ).fetchall()
            assert actual == length

    blocking = sorted(o.check.name for o in outcomes if o.severity == "error")
    assert blocking == case.get("blocking", [])
    warned = {o.check.name for o in outcomes if o.severity == "warn" and not o.quarantined_count}
    assert set(case.get("warnings", [])) <= warned
    for outcome in outcomes:
        if outcome.severity == "error":  # a blocking message names table, rule and values
            assert outcome.asset in outcome.message and outcome.check.name in outcome.message
            assert outcome.samples and "row" in outcome.samples[0]

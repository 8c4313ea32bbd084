"""The loader against the simulator's ground truth: every defect it injected that a loader can
see (malformed lines, missing required values, values of the wrong type) is quarantined at its
exact file and row, and nothing else is; a detail of the wrong type (a birth date that is no
date) is set aside instead, and its row loads."""

import duckdb
import pytest

from sources.contract import LANDING_TABLES
from sources.loader import load_table
from sources.simulator import simulate

ROW_LEVEL_DEFECTS = ("malformed_row", "missing_required", "invalid_value")
DETAILS = tuple(
    f"{table.qualified_name}.{column.name}"
    for table in LANDING_TABLES
    for column in table.columns
    if column.detail
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("loader-truth")
    landing = root / "landing"
    simulate(landing, customers=400, days=40, seed=11, noise_rate=0.05)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table in LANDING_TABLES:
        load_table(con, landing, table)
    con.execute(
        f"create temp view noise as select * from read_csv('{landing}/_truth/noise.csv', "
        "all_varchar = true)"
    )
    con.execute(
        f"""
        create temp view defects as
        select *, source_table || '.' || split_part(detail, '=', 1) in {DETAILS} as of_a_detail
        from noise
        """
    )
    yield con
    con.close()


def test_every_row_level_defect_is_quarantined_where_it_is(loaded):
    missed = loaded.execute(
        f"""
        select d.kind, d.file, d.row from defects as d
        anti join audit.quarantine as q
            on q.source_file = d.file and q.source_row = d.row::bigint
        where d.kind in {ROW_LEVEL_DEFECTS} and not (d.kind = 'invalid_value' and d.of_a_detail)
        """
    ).fetchall()
    assert missed == []


def test_every_detail_of_the_wrong_type_is_set_aside_and_its_row_loaded(loaded):
    injected = loaded.execute(
        """
        select file, row::bigint, split_part(detail, '=', 1) from defects
        where kind = 'invalid_value' and of_a_detail
        order by all
        """
    ).fetchall()
    set_aside = loaded.execute(
        "select source_file, source_row, column_name from audit.set_aside_values order by all"
    ).fetchall()
    assert injected and set_aside == injected
    [(rows_loaded,)] = loaded.execute(
        """
        select count(*) from raw.ecommerce__customers r
        join audit.set_aside_values s
          on s.source_file = r._source_file and s.source_row = r._source_row
        where r.date_of_birth is null
        """
    ).fetchall()
    customers = [f for f, _, _ in injected if f.startswith("ecommerce/customers/")]
    assert rows_loaded == len(customers)


def test_nothing_but_injected_defects_is_quarantined(loaded):
    innocent = loaded.execute(
        """
        select q.source_file, q.source_row, q.reason from audit.quarantine as q
        anti join noise on q.source_file = noise.file and q.source_row = noise.row::bigint
        """
    ).fetchall()
    assert innocent == []
    assert loaded.execute("select count(*) from audit.quarantine").fetchone()[0] > 0


def test_every_file_balances(loaded):
    unbalanced = loaded.execute(
        "select count(*) from audit.load_log where rows_landed <> rows_loaded + rows_quarantined"
    )
    assert unbalanced.fetchone()[0] == 0

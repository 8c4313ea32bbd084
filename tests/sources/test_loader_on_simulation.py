"""The loader against the simulator's ground truth: every defect it injected that a loader can
see (malformed lines, missing required values, values of the wrong type) is quarantined at its
exact file and row, and nothing else is."""

import duckdb
import pytest

from sources.contract import LANDING_TABLES
from sources.loader import load_table
from sources.simulator import simulate

ROW_LEVEL_DEFECTS = ("malformed_row", "missing_required", "invalid_value")


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
    yield con
    con.close()


def test_every_row_level_defect_is_quarantined_where_it_is(loaded):
    missed = loaded.execute(
        f"""
        select noise.kind, noise.file, noise.row from noise
        anti join audit.quarantine as q
            on q.source_file = noise.file and q.source_row = noise.row::bigint
        where noise.kind in {ROW_LEVEL_DEFECTS}
        """
    ).fetchall()
    assert missed == []


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

"""Pairwise scores against ground truth: by hand on a small map, then end to end on a tiny
simulation (raw load → dbt staging and identity inputs → ml.identity → dbt customer marts)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ml.identity.evaluation import evaluate_identity
from ml.identity.resolve import resolve_identities
from ml.identity.warehouse import read_identity_inputs, write_resolution
from sources.contract import LANDING_TABLES
from sources.loader import load_table
from sources.simulator import simulate
from tests.tools import run_dbt


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_pairwise_precision_recall_and_f1_by_hand(tmp_path):
    # persons: P1 = a, b, c; P2 = d, e. Predicted: {a, b}, {c, d}, e unresolved, f not in truth.
    truth = write_csv(
        tmp_path / "identity.csv",
        ["source", "source_table", "source_key", "person_id"],
        [
            ("crm", "contacts", k, p)
            for k, p in [
                ("a", "P1"),
                ("b", "P1"),
                ("c", "P1"),
                ("d", "P2"),
                ("e", "P2"),
                ("e", "P2"),
            ]
        ],
    )
    con = duckdb.connect()
    con.execute(
        """
        create table identity_map as
        select * from (values
            ('crm', 'contacts', 'a', 'X'), ('crm', 'contacts', 'b', 'X'),
            ('crm', 'contacts', 'c', 'Y'), ('crm', 'contacts', 'd', 'Y'),
            ('crm', 'contacts', 'e', null), ('crm', 'contacts', 'f', 'Z')
        ) as t(source, source_table, source_key, customer_id)
        """
    )
    result = evaluate_identity(con, truth, "identity_map")
    # predicted pairs ab, cd (1 correct); true pairs ab, ac, bc, de
    assert (result.all_records.predicted_pairs, result.all_records.true_pairs) == (2, 4)
    assert result.all_records.correct_pairs == 1
    assert result.all_records.precision == pytest.approx(0.5)
    assert result.all_records.recall == pytest.approx(0.25)
    assert result.all_records.f1 == pytest.approx(1 / 3)
    assert (result.records, result.unresolved_records) == (5, 1)
    assert (result.map_records_not_in_truth, result.truth_records_not_in_map) == (1, 0)
    # without e: true pairs ab, ac, bc
    assert result.resolved_records.true_pairs == 3
    assert result.identifiable_records is None  # no staging tables to tell which
    assert result.name_only_reviews is None
    [table] = result.by_source_table
    assert table.pair_recall == pytest.approx(0.25)
    assert "precision 0.5000" in result.format()


def run_dbt_quietly(args: list[str], tmp_dir: Path) -> None:
    """Only the tests of the selected models."""
    result = run_dbt([*args, "--indirect-selection", "cautious", "--quiet"], tmp_dir)
    assert result.success, result.exception or [
        r.message for r in result.result if r.status not in ("success", "pass")
    ]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """A tiny simulation built up to the customer marts, as the Dagster job would."""
    root = tmp_path_factory.mktemp("identity")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    simulate(landing, customers=200, days=30, seed=11)
    with duckdb.connect(str(warehouse)) as con:
        for table in LANDING_TABLES:
            load_table(con, landing, table)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("BINESH_WAREHOUSE", str(warehouse))
        run_dbt_quietly(
            ["build", "--select", "path:models/staging path:models/intermediate/identity"], root
        )
        with duckdb.connect(str(warehouse)) as con:
            write_resolution(con, resolve_identities(*read_identity_inputs(con)))
        run_dbt_quietly(["build", "--select", "path:models/marts/customers"], root)
    yield warehouse, landing / "_truth" / "identity.csv"


def test_identity_resolution_of_a_tiny_simulation_against_its_truth(simulated):
    warehouse, truth = simulated
    with duckdb.connect(str(warehouse)) as con:  # dbt (in-process) still holds it
        result = evaluate_identity(con, truth)
        print(result.format())
        customers = con.execute("select count(*) from marts.dim_customers").fetchall()[0][0]
    assert result.records > 200
    assert result.customers == customers
    # what it links, it links right; what it leaves out is mostly devices that never log in
    assert result.all_records.precision > 0.95
    assert result.resolved_records.f1 > 0.95
    # records that carry an identifier or personal details are the ones the target is about
    assert result.identifiable_records.f1 > 0.95
    assert result.identifiable_records.true_pairs < result.all_records.true_pairs
    # reviews signed with a name only are scored apart (their rule has a dbt unit test)
    reviews = result.name_only_reviews
    assert reviews.records >= reviews.linked >= reviews.correct
    assert reviews.records > 0
    assert result.all_records.recall > 0.6


def test_every_record_is_in_the_map_and_every_customer_has_a_golden_record(simulated):
    warehouse, _ = simulated
    with duckdb.connect(str(warehouse)) as con:  # dbt (in-process) still holds it
        records, mapped = con.execute(
            """
            select
                (select count(*) from intermediate.int_identity__records),
                (select count(*) from marts.customer_identity_map)
            """
        ).fetchall()[0]
        orphans = con.execute(
            """
            select count(*) from marts.dim_customers d
            where not exists (select 1 from marts.customer_identity_map m
                              where m.customer_id = d.customer_id)
               or d.linked_records <> (select count(*) from marts.customer_identity_map m
                                       where m.customer_id = d.customer_id)
            """
        ).fetchall()[0][0]
        pii_free = con.execute(
            "select count(*) from marts.dim_customers where email is not null "
            "and (email_hash is null or email_hash = email)"
        ).fetchall()[0][0]
    assert records == mapped
    assert orphans == 0
    assert pii_free == 0

"""Splink linkage on real benchmark data (splink_datasets fake_1000: 1,000 records of 251 people
with typos, swapped names and missing values) and the comparison-column normalisation."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from ml.identity.benchmarks import pairwise_scores, read_fake_1000, two_sources
from ml.identity.comparisons import birth_date_levels
from ml.identity.graph import components
from ml.identity.normalise import normalise_link_columns
from ml.identity.probabilistic import (
    MODEL_COLUMNS_KEY,
    PreviousLinkage,
    link_records,
    train_linkage_model,
)
from ml.identity.training import LinkageSettings


@pytest.fixture(scope="module")
def fake_1000(shared_data) -> pa.Table:
    return read_fake_1000(shared_data)


def test_a_fixed_threshold_is_kept_and_no_link_falls_below_it(fake_1000):
    settings = LinkageSettings(threshold=0.5)
    linkage = link_records(fake_1000.drop_columns(["cluster"]), settings)
    assert linkage.choice.threshold == 0.5
    assert linkage.edges["match_probability"].to_numpy().min() >= 0.5
    index = {record_id: i for i, record_id in enumerate(fake_1000["record_id"].to_pylist())}
    left = np.array([index[r] for r in linkage.edges["record_id_left"].to_pylist()], np.int64)
    right = np.array([index[r] for r in linkage.edges["record_id_right"].to_pylist()], np.int64)
    labels = components(fake_1000.num_rows, left, right)
    scores = pairwise_scores(pa.array(labels), fake_1000["cluster"])
    # measured precision 0.74, recall 0.97: why the threshold is not a fixed 0.5
    assert scores.recall > 0.9 and scores.precision < 0.9


def test_threshold_comes_from_the_model_estimate_of_the_data_at_hand(fake_1000):
    """Without a fixed threshold the model picks its own, from its estimated precision and
    recall on the pairs it scored: different data, a different threshold, each with an
    estimated precision of at least 0.99 and every link at or above it."""
    choices = []
    for records in (fake_1000, two_sources(fake_1000)):
        linkage = link_records(records.drop_columns(["cluster"]))
        choice = linkage.choice
        assert choice.estimated_precision >= 0.99
        assert 0.5 <= choice.threshold < 1
        assert linkage.edges["match_probability"].to_numpy().min() >= choice.threshold
        assert 0 < choice.estimated_recall <= 1 and choice.expected_matches > 0
        choices.append(choice)
    dedup, linkage_of_two = choices
    assert dedup.threshold != linkage_of_two.threshold
    # the re-estimated prior follows the data: two sources hold far fewer true pairs
    assert dedup.expected_matches > 3 * linkage_of_two.expected_matches
    assert (
        dedup.probability_two_random_records_match
        != linkage_of_two.probability_two_random_records_match
    )


BIRTH_DATES = [
    ("1971-06-24", "1971-06-24", "Exact match on birth_date"),
    ("1971-06-04", "1971-04-06", "day and month swapped"),
    ("1971-06-24", "1971-06-25", "Damerau-Levenshtein distance of birth_date <= 1"),  # a digit
    ("1971-06-24", "1917-06-24", "Damerau-Levenshtein distance of birth_date <= 1"),  # swapped
    ("1861-02-05", "1861-02-30", "Damerau-Levenshtein distance of birth_date <= 2"),
    ("1846-00-21", "1846-02-21", "Damerau-Levenshtein distance of birth_date <= 1"),  # no date
    ("1971-06-24", "1974-12-01", "years within 5"),
    ("1971-06-24", "1990-01-01", "All other comparisons"),
    ("1971-06-24", None, "birth_date is NULL"),
]


@pytest.mark.parametrize(("left", "right", "level"), BIRTH_DATES)
def test_birth_date_comparison_tolerates_swapped_day_month_and_one_digit_typos(left, right, level):
    con = duckdb.connect()
    con.register("pair", pa.table({"birth_date_l": [left], "birth_date_r": [right]}))
    for creator in birth_date_levels():
        compiled = creator.get_comparison_level("duckdb")
        if (
            compiled.sql_condition == "ELSE"
            or con.execute(
                f"select coalesce(({compiled.sql_condition}), false) from pair"
            ).fetchall()[0][0]
        ):
            assert compiled.label_for_charts == level
            return
    pytest.fail("no level")


def test_birth_dates_that_are_no_dates_still_compare_as_text():
    con = duckdb.connect()
    con.register(
        "records",
        pa.table({"record_id": ["1", "2", "3"], "birth_date": ["1861-02-30", "1971-06-24", "x"]}),
    )
    dates = [
        row[0]
        for row in con.sql(
            "select birth_date from (" + normalise_link_columns(con, "records").sql_query() + ")"
        ).fetchall()
    ]
    assert dates == ["1861-02-30", "1971-06-24", None]


def test_too_few_named_records_give_no_probabilistic_links():
    records = pa.table(
        {"record_id": ["1", "2"], "first_name": ["Ann", "Ann"], "last_name": ["Lee", "Lee"]}
    )
    assert link_records(records).edges.num_rows == 0
    no_names = pa.table({"record_id": [str(i) for i in range(100)], "email": ["a@x.org"] * 100})
    assert link_records(no_names).edges.num_rows == 0


def test_comparison_columns_are_normalised():
    con = duckdb.connect()
    con.register(
        "records",
        pa.table(
            {
                "record_id": ["1", "2"],
                "first_name": ["Zoë-Ann", " "],
                "street": ["Flat 3, 12 Orchard Ln", "12  ORCHARD Lane"],
                "postcode": ["sw75xg", "M5 9FP"],
                "email": [" Ann@X.org", None],
            }
        ),
    )
    rows = normalise_link_columns(con, "records").fetchall()
    columns = [d[0] for d in normalise_link_columns(con, "records").description]
    first, second = (dict(zip(columns, row, strict=True)) for row in rows)
    assert first["first_name"] == "zoeann" and second["first_name"] is None
    assert first["street"] == "flat 3 12 orchard lane"
    assert second["street"] == "12 orchard lane"
    assert (first["postcode"], second["postcode"]) == ("SW7 5XG", "M5 9FP")
    assert (first["email"], first["email_user"]) == ("ann@x.org", "ann")
    assert first["last_name"] is None and first["birth_date"] is None  # missing columns: null


def test_the_same_records_give_the_same_links_and_threshold_on_every_run(fake_1000):
    """EM sums on several threads differ in their last bits from run to run; the chosen
    threshold and the links must not (a rerun changes no customer)."""
    records = fake_1000.drop_columns(["cluster"])
    first, second = link_records(records), link_records(records)
    assert first.choice.threshold == second.choice.threshold
    assert first.edges.select(["record_id_left", "record_id_right"]).equals(
        second.edges.select(["record_id_left", "record_id_right"])
    )


def test_a_saved_model_links_as_the_model_trained_on_the_records_does(fake_1000):
    """Identity resolution trains its model on a cadence and links with the saved one between
    trainings: the model, saved and passed back, scores the same pairs the same way; a model
    saved for other columns is not used (the records train their own)."""
    records = fake_1000.drop_columns(["cluster"])
    model = train_linkage_model(records)
    trained, reused = link_records(records), link_records(records, model=model)
    assert reused.edges.equals(trained.edges) and reused.choice == trained.choice
    without_city = records.drop_columns(["city"])
    assert link_records(without_city, model=model).model[MODEL_COLUMNS_KEY] == sorted(
        set(model[MODEL_COLUMNS_KEY]) - {"city"}
    )
    assert train_linkage_model(records.slice(0, 20)) is None  # too few to train on


def pairs(linkage) -> dict[tuple[str, str], float]:
    edges = linkage.edges.to_pydict()
    keys = zip(edges["record_id_left"], edges["record_id_right"], strict=True)
    return dict(zip(keys, edges["match_probability"], strict=True))


def test_new_records_are_scored_against_the_linked_ones_and_earlier_links_stand(fake_1000):
    """Incremental linkage: with the saved model and the previous linkage, only the pairs with
    a new record are scored, exactly as a full linkage scores them (term frequencies counted
    on all records); the links between earlier records are the earlier ones."""
    records = fake_1000.drop_columns(["cluster"])
    earlier = records.slice(0, 700)
    model = train_linkage_model(earlier)
    before = link_records(earlier, model=model)
    previous = PreviousLinkage(before.fingerprints, before.edges)
    incremental = link_records(records, model=model, previous=previous)
    full = link_records(records, model=model)

    assert incremental.records_scored == 300 and full.records_scored == 1000
    assert incremental.scored_pairs == 300 * 299 // 2 + 300 * 700  # fake_1000: all pairs
    old = set(earlier["record_id"].to_pylist())
    with_new = {pair: p for pair, p in pairs(full).items() if not set(pair) <= old}
    assert with_new and pairs(incremental) == pairs(before) | with_new
    assert incremental.fingerprints.equals(full.fingerprints)

    changed = records.to_pylist()
    changed[3]["first_name"] = "zebedee"  # an earlier record re-delivered with another name
    assert any(changed[3]["record_id"] in pair for pair in pairs(incremental))
    rescored = link_records(
        pa.Table.from_pylist(changed, schema=records.schema),
        model=model,
        previous=PreviousLinkage(incremental.fingerprints, incremental.edges),
    )
    assert rescored.records_scored == 1
    assert not any(changed[3]["record_id"] in pair for pair in pairs(rescored))

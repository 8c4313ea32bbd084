"""Probabilistic links between person records that share no identifier: Splink (Fellegi–Sunter)
on DuckDB, trained unsupervised on the records themselves.

The model compares first and family names (Jaro-Winkler levels for typos, term-frequency
adjusted so that a rare name counts for more than a common one), date of birth (exact, one
typed character, months, years apart), email and phone (exact), street (Jaro-Winkler, street
types written out), city and postcode (full, sector, district, area). u probabilities come from
random record pairs, m probabilities from expectation maximisation on blocked pairs, the prior
from pairs that agree on name and birth date or on email. Only the columns that hold values take
part, so the same function links CRM and shop profiles, a benchmark file with names and birth
dates only, or a one-source deduplication.

Emails are compared exactly: addresses are built from names, so equal user names or addresses
one character apart (sarah.gordon1@ and sarah.gordon2@) are as often two namesakes as one person,
and counting them as evidence besides the names over-merges namesakes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from ml.identity.normalise import normalise_link_columns, populated_columns
from ml.identity.threshold import ThresholdChoice, choose_threshold, log2_odds, probability_sql
from ml.identity.training import LinkageSettings, trained_linker
from targets import memory_budget

EDGE_SCHEMA = pa.schema(
    [
        ("record_id_left", pa.string()),
        ("record_id_right", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
    ]
)
# What a linkage compared for each record: a digest of the model and of the record's comparison
# columns. A later linkage with the same model re-scores only records whose digest is new.
FINGERPRINT_SCHEMA = pa.schema([("record_id", pa.string()), ("link_fingerprint", pa.string())])


@dataclass
class Linkage:
    edges: pa.Table  # EDGE_SCHEMA: the links
    choice: ThresholdChoice | None  # None when there was nothing to train a model on
    scored_pairs: int
    # The Splink model that scored the pairs (its settings with the trained m and u, the
    # columns it compares under MODEL_COLUMNS_KEY and its threshold under MODEL_CHOICE_KEY);
    # None when there was nothing to train.
    model: dict | None = None
    # FINGERPRINT_SCHEMA: every linked record, for the next linkage with the same model
    fingerprints: pa.Table = field(default_factory=FINGERPRINT_SCHEMA.empty_table)
    # Records whose pairs were scored: all of them, or the new and changed ones (link_records'
    # `previous`)
    records_scored: int = 0


@dataclass(frozen=True)
class PreviousLinkage:
    """What an earlier linkage found: its fingerprints (Linkage.fingerprints) and its links
    (record_id_left, record_id_right, match_probability)."""

    fingerprints: pa.Table
    edges: pa.Table


# Where a saved model lists the columns it was trained to compare: a model is reused only on
# records that populate the same ones.
MODEL_COLUMNS_KEY = "binesh_linked_columns"
# Where a saved model keeps its decision rule: the threshold (and prior) chosen on the records
# it was trained on, so that links scored on different nights mean the same.
MODEL_CHOICE_KEY = "binesh_threshold_choice"


def link_records(
    records: pa.Table,
    settings: LinkageSettings | None = None,
    model: dict | None = None,
    previous: PreviousLinkage | None = None,
) -> Linkage:
    """The links of a Splink model, with its threshold: `model` (train_linkage_model's, saved
    from an earlier run) when it compares the columns these records populate, else a model
    trained on `records` themselves, which chooses its threshold on them.

    With a saved model and the `previous` linkage it made, only the records that are new or
    changed since (their fingerprint) are scored, against each other and all the others
    (Splink's predict_within and predict_between, for incremental linkage); the earlier links
    between unchanged records stand. Term frequencies are counted on all the records.

    Runs in its own in-memory DuckDB, so Splink's working tables never reach the warehouse.
    """
    settings = settings or LinkageSettings()
    with _profiles(records, settings) as (con, available):
        if available is None:
            return Linkage(EDGE_SCHEMA.empty_table(), None, 0)
        if model is not None and model.get(MODEL_COLUMNS_KEY) == sorted(available):
            linker = _saved_linker(con, model)
        else:
            linker = trained_linker(con, available, settings)
            model = _model_of(linker, available)
        if MODEL_CHOICE_KEY in model:
            choice = ThresholdChoice(**model[MODEL_CHOICE_KEY])
            fingerprints = _fingerprints(con, model)
            if previous is not None and _unchanged_records(con, previous) > 0:
                kept = _score_new_records(con, linker, previous)
                return _linkage(con, choice, model, fingerprints, kept)
            _score_all(con, linker)
        else:  # a model trained just now (or saved before models kept their threshold)
            choice = choose_threshold(con, _score_all(con, linker), _all_pairs(con), settings)
            model = {**model, MODEL_CHOICE_KEY: asdict(choice)}
            fingerprints = _fingerprints(con, model)
        return _linkage(con, choice, model, fingerprints, None)


def train_linkage_model(records: pa.Table, settings: LinkageSettings | None = None) -> dict | None:
    """The Splink model `link_records` would train on `records`, with the threshold it chooses
    on them (None: too few to train on), to be saved and passed back to it on later runs."""
    settings = settings or LinkageSettings()
    with _profiles(records, settings) as (con, available):
        if available is None:
            return None
        linker = trained_linker(con, available, settings)
        choice = choose_threshold(con, _score_all(con, linker), _all_pairs(con), settings)
        return {**_model_of(linker, available), MODEL_CHOICE_KEY: asdict(choice)}


@contextmanager
def _profiles(
    records: pa.Table, settings: LinkageSettings
) -> Iterator[tuple[duckdb.DuckDBPyConnection, set[str] | None]]:
    """An in-memory DuckDB holding table `profiles` (the records' comparison columns,
    normalised) with Splink quiet, and the columns the records populate, or None when too few
    carry both names to train a model on."""
    con = memory_budget.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("input_records", records)
        normalise_link_columns(con, "input_records").to_table("profiles")
        available = populated_columns(con, "profiles")
        named = con.execute(
            "select count(*) from profiles where first_name is not null and last_name is not null"
        ).fetchall()[0][0]
        if not {"first_name", "last_name"} <= available or named < settings.min_records:
            available = None
        with _quiet_splink():
            yield con, available
    finally:
        con.close()


def _model_of(linker: Linker, available: set[str]) -> dict:
    return {**linker.misc.save_model_to_json(), MODEL_COLUMNS_KEY: sorted(available)}


def _saved_linker(con: duckdb.DuckDBPyConnection, model: dict) -> Linker:
    frame = DuckDBAPI(con).register("profiles", dataset_display_name="profiles")
    ours = (MODEL_COLUMNS_KEY, MODEL_CHOICE_KEY)
    settings = {key: value for key, value in model.items() if key not in ours}
    return Linker(frame, settings, log_level=None)


def _score_all(con: duckdb.DuckDBPyConnection, linker: Linker) -> str:
    """Table `scored_pairs` of every blocked pair of `profiles` (see _scored_pairs)."""
    return _scored_pairs(con, linker, [linker.inference.predict().physical_name])


def _scored_pairs(con: duckdb.DuckDBPyConnection, linker: Linker, predictions: list[str]) -> str:
    """Table `scored_pairs` of Splink's `predictions` tables: each pair once, smaller record_id
    left, with its Bayes factor without the prior (so that the prior can be re-estimated from
    them). The threshold is a walk over running sums of them, which must come out the same on
    every run of the same data: EM's multi-threaded sums leave the factors different in their
    last bits (rounded away here), and sums of doubles depend on their order (fixed here, and
    summed on one thread)."""
    prior = linker._settings_obj._probability_two_random_records_match
    pairs = " union all ".join(
        f"select cast(record_id_l as varchar) as l, cast(record_id_r as varchar) as r, "
        f"match_weight from {table}"
        for table in predictions
    )
    con.execute(
        f"""
        create or replace temp table scored_pairs as
        select
            least(l, r) as record_id_left,
            greatest(l, r) as record_id_right,
            round(cast(match_weight as double) - {log2_odds(prior)}, 6) as log2_bayes_factor
        from ({pairs})
        order by record_id_left, record_id_right
        """
    )
    con.execute("set threads = 1")
    return "scored_pairs"


def _all_pairs(con: duckdb.DuckDBPyConnection) -> float:
    records = con.execute("select count(*) from profiles").fetchall()[0][0]
    return records * (records - 1) / 2


def _fingerprints(con: duckdb.DuckDBPyConnection, model: dict) -> pa.Table:
    """Table `fingerprints`: each profile's digest of the model and of its comparison values."""
    digest = hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()
    con.execute(
        f"""
        create or replace temp table fingerprints as
        select record_id, md5('{digest}' || to_json(p)) as link_fingerprint
        from profiles p
        order by record_id
        """
    )
    return con.sql("select * from fingerprints").to_arrow_table().cast(FINGERPRINT_SCHEMA)


def _unchanged_records(con: duckdb.DuckDBPyConnection, previous: PreviousLinkage) -> int:
    """Table `unchanged`: the records `previous` linked with the same fingerprint."""
    con.register("previous_fingerprints", previous.fingerprints)
    con.execute(
        """
        create or replace temp table unchanged as
        select record_id from fingerprints
        join previous_fingerprints using (record_id, link_fingerprint)
        """
    )
    return con.execute("select count(*) from unchanged").fetchall()[0][0]


def _score_new_records(
    con: duckdb.DuckDBPyConnection, linker: Linker, previous: PreviousLinkage
) -> str:
    """Table `scored_pairs` of the pairs with a new or changed record, and table `kept_links`
    of the previous links between two unchanged records."""
    con.execute(
        "create or replace temp table new_profiles as select * from profiles "
        "where record_id not in (select record_id from unchanged)"
    )
    con.execute(
        "create or replace temp table unchanged_profiles as select * from profiles "
        "where record_id in (select record_id from unchanged)"
    )
    db = linker._db_api
    new = db.register("new_profiles", dataset_display_name="new_profiles")
    unchanged = db.register("unchanged_profiles", dataset_display_name="unchanged_profiles")
    for column in linker._settings_obj._term_frequency_columns:
        linker.table_management.compute_tf_table(column.unquote().name)
    predictions = []
    if con.execute("select count(*) from new_profiles").fetchall()[0][0]:
        predictions = [
            linker.inference.predict_within(new).physical_name,
            linker.inference.predict_between(unchanged, new).physical_name,
        ]
    if predictions:
        _scored_pairs(con, linker, predictions)
    else:
        con.execute(
            "create or replace temp table scored_pairs (record_id_left varchar, "
            "record_id_right varchar, log2_bayes_factor double)"
        )
    con.register("previous_links", previous.edges)
    con.execute(
        """
        create or replace temp table kept_links as
        select cast(record_id_left as varchar) as record_id_left,
            cast(record_id_right as varchar) as record_id_right,
            cast(match_probability as double) as match_probability
        from previous_links
        where record_id_left in (select record_id from unchanged)
          and record_id_right in (select record_id from unchanged)
        """
    )
    return "kept_links"


def _linkage(
    con: duckdb.DuckDBPyConnection,
    choice: ThresholdChoice,
    model: dict,
    fingerprints: pa.Table,
    kept: str | None,
) -> Linkage:
    """The links: scored pairs at or above the threshold, and the `kept` earlier ones."""
    probability = probability_sql(choice.probability_two_random_records_match)
    scored = f"""
        select record_id_left, record_id_right, {probability} as match_probability
        from scored_pairs
        where {probability} >= {choice.threshold}
    """
    if kept is not None:
        scored += f" union all select * from {kept}"
    edges = con.sql(
        f"""
        select record_id_left, record_id_right, match_probability,
            log2(match_probability / greatest(1 - match_probability, 1e-300)) as match_weight
        from ({scored})
        order by record_id_left, record_id_right
        """
    ).to_arrow_table()
    pairs = con.execute("select count(*) from scored_pairs").fetchall()[0][0]
    records = fingerprints.num_rows
    if kept is not None:
        records -= con.execute("select count(*) from unchanged").fetchall()[0][0]
    return Linkage(edges.cast(EDGE_SCHEMA), choice, pairs, model, fingerprints, records)


@contextmanager
def _quiet_splink() -> Iterator[None]:
    """Splink's warnings (a comparison level never seen among the training pairs, untrained
    defaults) are routine on clean data; unless the application set a level for the `splink`
    logger, only its errors get through while it runs."""
    logger = logging.getLogger("splink")
    if logger.level != logging.NOTSET:
        yield
        return
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(logging.NOTSET)

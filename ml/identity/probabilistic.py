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
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
import splink.internals.expectation_maximisation as em
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

LINK_COLUMNS = (
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
)

EDGE_SCHEMA = pa.schema(
    [
        ("record_id_left", pa.string()),
        ("record_id_right", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
    ]
)

# The last word of a street line, written out: "12 Orchard Ln" and "12 Orchard Lane" agree.
STREET_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ln": "lane",
    "ave": "avenue",
    "av": "avenue",
    "cl": "close",
    "dr": "drive",
    "gdns": "gardens",
    "cres": "crescent",
    "pl": "place",
    "gr": "grove",
    "gro": "grove",
    "terr": "terrace",
    "ter": "terrace",
    "ct": "court",
    "sq": "square",
    "pk": "park",
    "hwy": "highway",
    "blvd": "boulevard",
}

# A UK postcode without its space: outward code, then the inward code (digit + two letters).
UK_POSTCODE = "^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$"
UK_SECTOR = "^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]"
UK_DISTRICT = "^[A-Z]{1,2}[0-9][A-Z0-9]? "

# Candidate blocking keys, tightest first: a pair is scored when it agrees on every column of
# one key. Without email and phone the names, birth date and address must find the pairs among
# them, each key missing what a typo in another one hides (derived columns, right, exist when
# their source does).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("first_name", "last_name"),
    ("email",),
    ("phone",),
    ("birth_date",),
    ("postcode",),
    ("email_user",),
    ("street", "city"),
    ("last_name", "birth_year"),
    ("first_name", "birth_year"),
    ("last_name", "postcode"),
    ("first_name", "postcode"),
    ("last_name", "street"),
    ("first_name", "street"),
    ("last_name", "city"),
    ("first_name", "city"),
    ("first_name", "last_name_start"),
    ("first_name_start", "last_name"),
    ("first_name_start", "last_name_start", "birth_year"),
    ("birth_year", "postcode"),
    ("birth_year", "city"),
    ("last_name",),
    ("street",),
    ("first_name_start", "city"),
    ("first_name",),
    ("city",),
)
DERIVED_COLUMNS = {
    "email_user": "email",
    "birth_year": "birth_date",
    "first_name_start": "first_name",
    "last_name_start": "last_name",
}

# Fewer blocked pairs than this and a training pass learns nothing: it is skipped.
MIN_TRAINING_PAIRS = 50


@dataclass(frozen=True)
class LinkageSettings:
    """How the probabilistic model is trained and when a scored pair becomes a link."""

    # A pair is a link at or above this match probability. None: chosen on every run from the
    # model's own estimates (choose_threshold), since the right cut-off moves with how noisy
    # and how crowded with namesakes the data at hand is.
    threshold: float | None = None
    # The chosen threshold maximises the model's estimated F1 among those whose estimated
    # precision is at least this. Above the 0.99 the resolution must reach: the estimate runs
    # a little high where namesakes crowd (the default simulation: 0.990 estimated, 0.987 true).
    min_estimated_precision: float = 0.995
    # Never link a pair the model finds likelier two people than one.
    min_threshold: float = 0.5
    # Fewer named records than this and there is nothing to train a model on: no links.
    min_records: int = 50
    # Random pairs sampled to estimate u (how often non-matches agree by chance).
    u_max_pairs: float = 2e6
    # Blocked pairs sampled per expectation-maximisation pass (None: all of them).
    em_max_pairs: float | None = 2e6
    # Smallest m probability EM may estimate (see _em_with_m_floor).
    min_m_probability: float = 1e-6
    # Blocked pairs the coarser blocking keys may add to the scoring (see BLOCKING_KEYS).
    max_comparisons: float = 3e7
    # Up to this many record pairs in all, every pair is scored (no blocking).
    max_all_pairs: float = 2e6
    seed: int = 42


@dataclass(frozen=True)
class ThresholdChoice:
    """The match threshold and what the model expects of it (no ground truth involved)."""

    threshold: float
    # Estimated from the match probabilities of the scored pairs: precision = mean probability
    # of the pairs at or above the threshold, recall = their summed probability over the sum
    # of all; expected_matches is that sum (true pairs the model believes are among them).
    estimated_precision: float
    estimated_recall: float
    estimated_f1: float
    expected_matches: float
    # Share of all record pairs that are matches, as re-estimated from the scored pairs.
    probability_two_random_records_match: float


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


def normalise_link_columns(con: duckdb.DuckDBPyConnection, table: str) -> duckdb.DuckDBPyRelation:
    """The comparison columns in one form: names as lowercase ASCII letters, streets with their
    type written out, postcodes uppercase with the UK inward code set apart, birth dates as
    YYYY-MM-DD text, empty as null.

    Birth dates stay text so that a typed date that is no date ("1961-02-30") still compares
    by its characters. `table` is a relation name visible to `con` with a `record_id` column
    and any of LINK_COLUMNS; missing columns come out as nulls.
    """
    present = {row[0] for row in con.execute(f"describe {table}").fetchall()}

    def column(name: str, sql_type: str = "varchar") -> str:
        return name if name in present else f"cast(null as {sql_type})"

    street = f"regexp_replace(strip_accents({column('street')}), '[^A-Za-z0-9]+', ' ', 'g')"
    street = f"trim(lower({street}))"
    for short, full in STREET_ABBREVIATIONS.items():
        street = f"regexp_replace({street}, '\\b{short}$', '{full}')"
    postcode = f"upper(regexp_replace({column('postcode')}, '[^A-Za-z0-9]', '', 'g'))"
    postcode = f"regexp_replace({postcode}, '{UK_POSTCODE}', '\\1 \\2')"
    birth_date = column("birth_date")
    birth_date = (
        f"coalesce(strftime(try_cast({birth_date} as date), '%Y-%m-%d'), "
        f"nullif(regexp_extract(trim(cast({birth_date} as varchar)), "
        f"'^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'), ''))"
    )

    def name(col: str) -> str:
        letters = f"regexp_replace(lower(strip_accents({column(col)})), '[^a-z]', '', 'g')"
        return f"nullif({letters}, '')"

    return con.sql(
        f"""
        select *,
            try_cast(substr(birth_date, 1, 4) as integer) as birth_year,
            substr(first_name, 1, 2) as first_name_start,
            substr(last_name, 1, 2) as last_name_start
        from (
            select
                cast(record_id as varchar) as record_id,
                {name("first_name")} as first_name,
                {name("last_name")} as last_name,
                {birth_date} as birth_date,
                nullif(lower(trim({column("email")})), '') as email,
                nullif(split_part(lower(trim({column("email")})), '@', 1), '') as email_user,
                nullif(trim({column("phone")}), '') as phone,
                nullif({street}, '') as street,
                nullif(lower(trim({column("city")})), '') as city,
                nullif({postcode}, '') as postcode
            from {table}
        )
        """
    )


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
            linker = _trained_linker(con, available, settings)
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
        linker = _trained_linker(con, available, settings)
        choice = choose_threshold(con, _score_all(con, linker), _all_pairs(con), settings)
        return {**_model_of(linker, available), MODEL_CHOICE_KEY: asdict(choice)}


@contextmanager
def _profiles(
    records: pa.Table, settings: LinkageSettings
) -> Iterator[tuple[duckdb.DuckDBPyConnection, set[str] | None]]:
    """An in-memory DuckDB holding table `profiles` (the records' comparison columns,
    normalised) with Splink quiet, and the columns the records populate, or None when too few
    carry both names to train a model on."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("input_records", records)
        normalise_link_columns(con, "input_records").to_table("profiles")
        available = _populated_columns(con, "profiles")
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


def _trained_linker(
    con: duckdb.DuckDBPyConnection, available: set[str], settings: LinkageSettings
) -> Linker:
    db = DuckDBAPI(con)
    frame = db.register("profiles", dataset_display_name="profiles")
    linker = Linker(
        frame,
        SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="record_id",
            comparisons=_comparisons(available),
            blocking_rules_to_generate_predictions=_prediction_blocking(con, available, settings),
            retain_intermediate_calculation_columns=False,
            retain_matching_columns=False,
        ),
        log_level=None,  # logging is the application's to configure
    )
    # A starting prior for EM only: pairs agreeing on name and birth date, or on email, are
    # nearly all matches and (roughly) half of all matches. It is re-estimated after training.
    deterministic = [("first_name", "last_name", "birth_date"), ("email",)]
    deterministic = [columns for columns in deterministic if set(columns) <= available]
    if deterministic and _blocked_pairs(con, "profiles", deterministic) > 0:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*columns) for columns in deterministic], recall=0.5
        )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed
    )
    with _em_with_m_floor(settings.min_m_probability):
        for columns in _training_blocks(available):
            pairs = _blocked_pairs(con, "profiles", [columns])
            if pairs < MIN_TRAINING_PAIRS:
                continue
            sample = settings.em_max_pairs
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns),
                estimate_without_term_frequencies=True,
                max_pairs=sample if sample is not None and pairs > sample else None,
            )
    return linker


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
            round(cast(match_weight as double) - {_log2_odds(prior)}, 6) as log2_bayes_factor
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
    probability = _probability_sql(choice.probability_two_random_records_match)
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


def choose_threshold(
    con: duckdb.DuckDBPyConnection,
    scored_pairs: str,
    total_pairs: float,
    settings: LinkageSettings,
) -> ThresholdChoice:
    """The match threshold, from the model's own view of the scored pairs (`scored_pairs`:
    a log2_bayes_factor per blocked pair); `total_pairs` is every pair of records.

    First the prior: the share of matches among all pairs is re-estimated as the expected
    number of matches among the scored pairs (pairs outside the blocking taken as non-matches)
    over all pairs, to a fixed point. Then, walking down the pairs by match probability, the
    estimated precision (mean probability so far) and recall (probability so far over the
    expected matches) give an estimated F1; the threshold is the one maximising it while the
    estimated precision stays at or above `min_estimated_precision`, and not below
    `min_threshold`. A fixed `settings.threshold` is used as given (with its estimates).
    """
    prior = con.execute(
        f"select count(*) filter (where log2_bayes_factor > 0) from {scored_pairs}"
    ).fetchall()[0][0] / max(total_pairs, 1.0)
    prior = min(max(prior, 1e-9), 0.5)
    for _ in range(100):
        expected = con.execute(
            f"select coalesce(sum({_probability_sql(prior)}), 0) from {scored_pairs}"
        ).fetchall()[0][0]
        updated = min(max(expected / max(total_pairs, 1.0), 1e-12), 0.5)
        converged = abs(updated - prior) <= 1e-4 * prior
        prior = updated
        if converged:
            break
    probability = _probability_sql(prior)
    expected = con.execute(
        f"select coalesce(sum({probability}), 0) from {scored_pairs}"
    ).fetchall()[0][0]
    if settings.threshold is not None:
        pick = f"threshold >= {settings.threshold} order by threshold limit 1"
    else:
        pick = (
            f"threshold >= {settings.min_threshold} "
            f"and precision >= {settings.min_estimated_precision} "
            "order by f1 desc, threshold desc limit 1"
        )
    chosen = con.execute(
        f"""
        with by_threshold as (
            select {probability} as threshold,
                sum({probability}) over (order by log2_bayes_factor desc
                                         range unbounded preceding) as true_links,
                count(*) over (order by log2_bayes_factor desc range unbounded preceding) as links
            from {scored_pairs}
        )
        select threshold, true_links / links as precision,
            true_links / {max(expected, 1e-12)} as recall,
            2 * true_links / (links + {expected}) as f1
        from by_threshold
        where {pick}
        """
    ).fetchall()
    if not chosen:  # nothing the model is sure enough of: no links
        return ThresholdChoice(1.0 + 1e-9, 1.0, 0.0, 0.0, expected, prior)
    if settings.threshold is not None:
        chosen = [(settings.threshold, *chosen[0][1:])]
    threshold, precision, recall, f1 = chosen[0]
    return ThresholdChoice(threshold, precision, recall, f1, expected, prior)


def _log2_odds(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def _probability_sql(prior: float) -> str:
    """Match probability from the Bayes factor and `prior`, safe from overflow."""
    weight = f"(log2_bayes_factor + {_log2_odds(prior)})"
    return f"1.0 / (1.0 + pow(2.0, -greatest(least({weight}, 1000), -1000)))"


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


@contextmanager
def _em_with_m_floor(floor: float) -> Iterator[None]:
    """During EM, raise every m probability below `floor` to it, at every iteration.

    On clean data a comparison level that true matches never reach (a family name only
    Jaro-Winkler 0.7 alike, a different city) has an m probability that EM drives towards zero
    doubly exponentially, until it underflows to 0.0 within a few iterations; Splink 5 then
    raises instead of clamping (splink PR #2851 clamps only when converting to match weights).
    A floor keeps such a disagreement strong evidence against a match without letting it
    underflow. Patched for the duration of training only; a Splink without this hook fails
    loudly here rather than training differently.
    """
    original = em.populate_m_u_from_lookup

    def clamped(fixed, level, column_name, lookup):
        entry = lookup.get(column_name, {}).get(level.comparison_vector_value)
        if entry and isinstance(entry.get("m_probability"), float):
            entry["m_probability"] = max(entry["m_probability"], floor)
        original(fixed, level, column_name, lookup)

    em.populate_m_u_from_lookup = clamped
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def _comparisons(available: set[str]) -> list:
    comparisons = [
        _name_comparison("first_name", "last_name"),
        _name_comparison("last_name", "first_name"),
    ]
    if "birth_date" in available:
        comparisons.append(_birth_date_comparison())
    if "email" in available:
        # Exact or not: addresses are made from names ("sarah.gordon12@"), so near misses and
        # equal user names say little that the name comparisons have not said already.
        comparisons.append(cl.ExactMatch("email").configure(term_frequency_adjustments=True))
    if "phone" in available:
        comparisons.append(cl.ExactMatch("phone"))
    if "street" in available:
        comparisons.append(_text_comparison("street", [0.95, 0.88, 0.7]))
    if "city" in available:
        comparisons.append(_text_comparison("city", [0.92, 0.8]))
    if "postcode" in available:
        comparisons.append(_postcode_comparison())
    return comparisons


def _name_comparison(name: str, other: str) -> cl.CustomComparison:
    """Exact (term-frequency adjusted: a rare name counts for more), Jaro-Winkler levels for
    typos, an initial for the name, the name written in the other name's field (swapped or
    shifted names), a distant Jaro-Winkler level, else."""
    left, right = f"{name}_l", f"{name}_r"
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.NullLevel(name),
            cll.ExactMatchLevel(name, term_frequency_adjustments=True),
            cll.JaroWinklerLevel(name, 0.92),
            cll.JaroWinklerLevel(name, 0.88),
            cll.CustomLevel(
                f"(length({left}) = 1 and starts_with({right}, {left})) "
                f"or (length({right}) = 1 and starts_with({left}, {right}))",
                label_for_charts="initial",
            ),
            # Both names swapped, or one moved into the other field beside a missing name; a
            # single name equal across fields ("Logan Morgan", "Ferguson Logan") is no match.
            cll.CustomLevel(
                f"({left} = {other}_r and ({other}_l = {right} or {other}_l is null)) "
                f"or ({right} = {other}_l and ({other}_r = {left} or {other}_r is null))",
                label_for_charts=f"in the {other} field",
            ),
            cll.JaroWinklerLevel(name, 0.7),
            cll.ElseLevel(),
        ],
    )


def birth_date_levels() -> list:
    """Birth dates (YYYY-MM-DD text): exact, day and month swapped (a US date typed into a UK
    form), one typed character off (Damerau-Levenshtein: a wrong or transposed digit), two
    off, years within 5, else."""
    left, right = "birth_date_l", "birth_date_r"
    return [
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date", term_frequency_adjustments=True),
        cll.CustomLevel(
            f"substr({left}, 1, 4) = substr({right}, 1, 4) "
            f"and substr({left}, 6, 2) = substr({right}, 9, 2) "
            f"and substr({left}, 9, 2) = substr({right}, 6, 2)",
            label_for_charts="day and month swapped",
        ),
        cll.DamerauLevenshteinLevel("birth_date", 1),
        cll.DamerauLevenshteinLevel("birth_date", 2),
        cll.CustomLevel(
            f"abs(try_cast(substr({left}, 1, 4) as integer) "
            f"- try_cast(substr({right}, 1, 4) as integer)) <= 5",
            label_for_charts="years within 5",
        ),
        cll.ElseLevel(),
    ]


def _birth_date_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth_date", comparison_levels=birth_date_levels()
    )


def _text_comparison(column: str, thresholds: list[float]) -> cl.CustomComparison:
    """Exact (term-frequency adjusted: a big town says less than a hamlet), then Jaro-Winkler
    levels for typos."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            *(cll.JaroWinklerLevel(column, threshold) for threshold in thresholds),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison() -> cl.CustomComparison:
    """Exact, one typed character off, then (UK postcodes only) the same sector or district.
    Splink's PostcodeComparison takes any two non-UK postcodes for the same sector."""
    left, right = "postcode_l", "postcode_r"

    def same_part(pattern: str) -> str:
        part_left = f"regexp_extract({left}, '{pattern}')"
        return f"{part_left} <> '' and {part_left} = regexp_extract({right}, '{pattern}')"

    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
            cll.DamerauLevenshteinLevel("postcode", 1),
            cll.CustomLevel(same_part(UK_SECTOR), label_for_charts="same sector"),
            cll.CustomLevel(same_part(UK_DISTRICT), label_for_charts="same district"),
            cll.ElseLevel(),
        ],
    )


def _prediction_blocking(
    con: duckdb.DuckDBPyConnection, available: set[str], settings: LinkageSettings
) -> list:
    """Blocking rules. A small file has every pair scored; otherwise the keys, tightest first,
    each used only while the comparisons it adds stay within the budget (so 50,000 records are
    searched widely, a million only on the tight keys)."""
    records = con.execute("select count(*) from profiles").fetchall()[0][0]
    if records * (records - 1) / 2 <= settings.max_all_pairs:
        return ["1 = 1"]
    rules: list = []
    budget = settings.max_comparisons
    # a name written in the other name's field: swapped, or shifted when one is missing
    crossed = _crossed_name_pairs(con, "profiles")
    if crossed <= budget:
        budget -= crossed
        rules += ["l.first_name = r.last_name", "l.last_name = r.first_name"]
    for columns in BLOCKING_KEYS:
        if any(DERIVED_COLUMNS.get(column, column) not in available for column in columns):
            continue
        pairs = _blocked_pairs(con, "profiles", [columns])
        if pairs > budget:
            continue
        budget -= pairs
        rules.append(block_on(*columns))
    return rules


def _crossed_name_pairs(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(
        con.execute(
            f"""
            select coalesce(sum(f.n * l.n), 0)
            from (select first_name as name, count(*) as n from {table} group by 1) f
            join (select last_name as name, count(*) as n from {table} group by 1) l using (name)
            """
        ).fetchall()[0][0]
    )


def _training_blocks(available: set[str]) -> list[tuple[str, ...]]:
    """EM passes: each learns m for the comparisons outside its blocking columns."""
    blocks: list[tuple[str, ...]] = [("first_name", "last_name"), ("last_name",)]
    if "birth_date" in available:
        blocks.append(("birth_date",))
    if "postcode" in available:
        blocks.append(("postcode",))
    elif "email" in available:
        blocks.append(("email",))
    return blocks


def _populated_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    counts = ", ".join(f"count({name})" for name in LINK_COLUMNS)
    row = con.execute(f"select {counts} from {table}").fetchall()[0]
    return {name for name, count in zip(LINK_COLUMNS, row, strict=True) if count > 0}


def _blocked_pairs(
    con: duckdb.DuckDBPyConnection, table: str, blocks: Sequence[tuple[str, ...]]
) -> int:
    """Pairs that agree (non-null) on every column of at least one block, counted per block."""
    total = 0
    for columns in blocks:
        keys = ", ".join(columns)
        not_null = " and ".join(f"{c} is not null" for c in columns)
        total += con.execute(
            f"select coalesce(sum(n * (n - 1) / 2), 0) from "
            f"(select count(*) as n from {table} where {not_null} group by {keys})"
        ).fetchall()[0][0]
    return int(total)

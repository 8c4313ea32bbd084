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

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pyarrow as pa
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

# Candidate blocking keys, tightest first. Derived columns (right) exist when their source does.
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
    ("last_name", "city"),
    ("first_name", "city"),
)
DERIVED_COLUMNS = {"email_user": "email", "birth_year": "birth_date"}

# Fewer blocked pairs than this and a training pass learns nothing: it is skipped.
MIN_TRAINING_PAIRS = 50


@dataclass(frozen=True)
class LinkageSettings:
    """How the probabilistic model is trained and when a scored pair becomes a link."""

    # A pair is a link at or above this match probability.
    threshold: float = 0.95
    # Fewer named records than this and there is nothing to train a model on: no links.
    min_records: int = 50
    # Random pairs sampled to estimate u (how often non-matches agree by chance).
    u_max_pairs: float = 2e6
    # Blocked pairs sampled per expectation-maximisation pass (None: all of them).
    em_max_pairs: float | None = 2e6
    # Share of true matches that agree on name + birth date or on email (sets the prior).
    prior_recall: float = 0.6
    # Smallest m probability EM may estimate (see _em_with_m_floor).
    min_m_probability: float = 1e-6
    # Blocked pairs the coarser blocking keys may add to the scoring (see BLOCKING_KEYS).
    max_comparisons: float = 3e7
    seed: int = 42


def normalise_link_columns(con: duckdb.DuckDBPyConnection, table: str) -> duckdb.DuckDBPyRelation:
    """The comparison columns in one form: names as lowercase ASCII letters, streets with their
    type written out, postcodes uppercase with the UK inward code set apart, empty as null.

    `table` is a relation name visible to `con` with a `record_id` column and any of
    LINK_COLUMNS; missing columns come out as nulls.
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

    def name(col: str) -> str:
        letters = f"regexp_replace(lower(strip_accents({column(col)})), '[^a-z]', '', 'g')"
        return f"nullif({letters}, '')"

    return con.sql(
        f"""
        select
            cast(record_id as varchar) as record_id,
            {name("first_name")} as first_name,
            {name("last_name")} as last_name,
            try_cast({column("birth_date", "date")} as date) as birth_date,
            year(try_cast({column("birth_date", "date")} as date)) as birth_year,
            nullif(lower(trim({column("email")})), '') as email,
            nullif(split_part(lower(trim({column("email")})), '@', 1), '') as email_user,
            nullif(trim({column("phone")}), '') as phone,
            nullif({street}, '') as street,
            nullif(lower(trim({column("city")})), '') as city,
            nullif({postcode}, '') as postcode
        from {table}
        """
    )


def link_probabilistic(records: pa.Table, settings: LinkageSettings | None = None) -> pa.Table:
    """Scored record pairs at or above the threshold (EDGE_SCHEMA), from a Splink model trained
    on `records` (a `record_id` column and any of LINK_COLUMNS).

    Runs in its own in-memory DuckDB, so Splink's working tables never reach the warehouse.
    """
    settings = settings or LinkageSettings()
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
            return EDGE_SCHEMA.empty_table()
        with _quiet_splink():
            return _predict(con, available, settings)
    finally:
        con.close()


def _predict(
    con: duckdb.DuckDBPyConnection, available: set[str], settings: LinkageSettings
) -> pa.Table:
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
    # The prior: pairs that agree on name and birth date, or on email, are nearly all matches
    # and about `prior_recall` of all matches.
    deterministic = [("first_name", "last_name", "birth_date"), ("email",)]
    deterministic = [columns for columns in deterministic if set(columns) <= available]
    if deterministic and _blocked_pairs(con, "profiles", deterministic) > 0:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*columns) for columns in deterministic], recall=settings.prior_recall
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
    predictions = linker.inference.predict(threshold_match_probability=settings.threshold)
    edges = con.sql(
        f"""
        select
            cast(record_id_l as varchar) as record_id_left,
            cast(record_id_r as varchar) as record_id_right,
            cast(match_probability as double) as match_probability,
            cast(match_weight as double) as match_weight
        from {predictions.physical_name}
        order by record_id_left, record_id_right
        """
    ).to_arrow_table()
    return edges.cast(EDGE_SCHEMA)


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
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
    ]
    if "birth_date" in available:
        comparisons.append(cl.DateOfBirthComparison("birth_date", input_is_string=False))
    if "email" in available:
        # Exact or not: addresses are made from names ("sarah.gordon12@"), so near misses and
        # equal user names say little that the name comparisons have not said already.
        comparisons.append(cl.ExactMatch("email").configure(term_frequency_adjustments=True))
    if "phone" in available:
        comparisons.append(cl.ExactMatch("phone"))
    if "street" in available:
        comparisons.append(cl.JaroWinklerAtThresholds("street", [0.95, 0.88]))
    if "city" in available:
        comparisons.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
    if "postcode" in available:
        comparisons.append(cl.PostcodeComparison("postcode"))
    return comparisons


def _prediction_blocking(
    con: duckdb.DuckDBPyConnection, available: set[str], settings: LinkageSettings
) -> list:
    """Blocking rules, tightest first; a coarse rule is used only while the comparisons it adds
    stay within the budget (so a 1,000-record file is searched widely, a million records only
    on the tight keys)."""
    rules: list = ["l.first_name = r.last_name and l.last_name = r.first_name"]  # swapped
    budget = settings.max_comparisons
    for columns in BLOCKING_KEYS:
        if any(DERIVED_COLUMNS.get(column, column) not in available for column in columns):
            continue
        pairs = _blocked_pairs(con, "profiles", [columns])
        if pairs > budget:
            continue
        budget -= pairs
        rules.append(block_on(*columns))
    return rules


def _training_blocks(available: set[str]) -> list[tuple[str, ...]]:
    """EM passes: each learns m for the comparisons outside its blocking columns."""
    blocks: list[tuple[str, ...]] = [("first_name", "last_name")]
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

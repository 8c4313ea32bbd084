"""Training the Splink model on the records themselves (unsupervised): the prior from pairs that
agree on name and birth date or on email, u from random pairs, m by expectation maximisation on
blocked pairs with a floor on m; and the settings of training and of the link threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import splink.internals.expectation_maximisation as em
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from ml.identity.comparisons import blocked_pairs, comparisons, prediction_blocking, training_blocks

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


def trained_linker(
    con: duckdb.DuckDBPyConnection, available: set[str], settings: LinkageSettings
) -> Linker:
    db = DuckDBAPI(con)
    frame = db.register("profiles", dataset_display_name="profiles")
    linker = Linker(
        frame,
        SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="record_id",
            comparisons=comparisons(available),
            blocking_rules_to_generate_predictions=prediction_blocking(
                con, available, settings.max_all_pairs, settings.max_comparisons
            ),
            retain_intermediate_calculation_columns=False,
            retain_matching_columns=False,
        ),
        log_level=None,  # logging is the application's to configure
    )
    # A starting prior for EM only: pairs agreeing on name and birth date, or on email, are
    # nearly all matches and (roughly) half of all matches. It is re-estimated after training.
    deterministic = [("first_name", "last_name", "birth_date"), ("email",)]
    deterministic = [columns for columns in deterministic if set(columns) <= available]
    if deterministic and blocked_pairs(con, "profiles", deterministic) > 0:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*columns) for columns in deterministic], recall=0.5
        )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed
    )
    with _em_with_m_floor(settings.min_m_probability):
        for columns in training_blocks(available):
            pairs = blocked_pairs(con, "profiles", [columns])
            if pairs < MIN_TRAINING_PAIRS:
                continue
            sample = settings.em_max_pairs
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns),
                estimate_without_term_frequencies=True,
                max_pairs=sample if sample is not None and pairs > sample else None,
            )
    return linker


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

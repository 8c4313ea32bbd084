"""The match threshold of the probabilistic links, chosen from the model's own estimates (no
ground truth): the prior re-estimated from the scored pairs, then the threshold with the best
estimated F1 among those estimated precise enough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from ml.identity.training import LinkageSettings


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
            f"select coalesce(sum({probability_sql(prior)}), 0) from {scored_pairs}"
        ).fetchall()[0][0]
        updated = min(max(expected / max(total_pairs, 1.0), 1e-12), 0.5)
        converged = abs(updated - prior) <= 1e-4 * prior
        prior = updated
        if converged:
            break
    probability = probability_sql(prior)
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


def log2_odds(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def probability_sql(prior: float) -> str:
    """Match probability from the Bayes factor and `prior`, safe from overflow."""
    weight = f"(log2_bayes_factor + {log2_odds(prior)})"
    return f"1.0 / (1.0 + pow(2.0, -greatest(least({weight}, 1000), -1000)))"

"""Score drift as the ML assets' score_distribution_stable check measures it, and the verdicts
of the score_distribution_stable and beats_baseline checks."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.pipeline.artifacts import ModelArtifact
from ml.pipeline.checks import (
    DRIFT_LIMIT,
    CheckVerdict,
    baseline_verdict,
    population_stability,
    score_drift,
)


def test_the_same_scores_do_not_drift_and_shifted_scores_do():
    rng = np.random.default_rng(0)
    previous = pd.Series(rng.beta(2, 5, 5000))
    assert population_stability(previous, previous) == pytest.approx(0)
    assert population_stability(previous, pd.Series(rng.beta(2, 5, 5000))) < 0.02
    assert population_stability(previous, pd.Series(rng.beta(5, 2, 5000))) > DRIFT_LIMIT


def test_categories_drift_when_their_shares_change():
    previous = pd.Series(["champions"] * 50 + ["lost"] * 50)
    assert population_stability(previous, previous.sample(frac=1, random_state=1)) == 0
    assert population_stability(previous, pd.Series(["lost"] * 90 + ["new"] * 10)) > DRIFT_LIMIT


def test_no_values_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="both sides"):
        population_stability(pd.Series([], dtype=float), pd.Series([0.5]))


def scores(values, version: str = "20250630-abc") -> pd.DataFrame:
    return pd.DataFrame({"churn_probability": values, "model_version": version})


def test_the_drift_verdict_fails_on_missing_scores_and_a_shift_and_passes_otherwise():
    rng = np.random.default_rng(0)
    previous = scores(rng.beta(2, 5, 5000), "20250601-old")
    missing = score_drift(previous, scores([0.1, None, 0.3]), "churn_probability")
    assert not missing.passed and missing.description == "1 of 3 rows have no churn_probability"
    assert score_drift(None, scores(rng.beta(2, 5, 100)), "churn_probability") == CheckVerdict(
        True, "no previous scores"
    )
    assert score_drift(previous, scores([]), "churn_probability").description == (
        "no scores to compare"
    )
    stable = score_drift(previous, scores(rng.beta(2, 5, 5000)), "churn_probability")
    assert stable.passed and stable.metadata["previous_model_version"] == "20250601-old"
    assert stable.metadata["limit"] == DRIFT_LIMIT
    shifted = score_drift(previous, scores(rng.beta(5, 2, 5000)), "churn_probability")
    assert not shifted.passed and not shifted.is_warning
    assert shifted.metadata["population_stability_index"] > DRIFT_LIMIT


def artifact(**metadata) -> ModelArtifact:
    return ModelArtifact("churn", dt.date(2025, 6, 30), "abc1234567890", None, metadata)


def test_the_baseline_verdict_warns_when_unmeasured_and_errs_when_worse():
    unmeasured = baseline_verdict(
        artifact(beats_baseline=None, why_no_classifier="not enough data: needs 100, found 12")
    )
    assert not unmeasured.passed and unmeasured.is_warning
    assert unmeasured.description == "not enough data: needs 100, found 12"
    worse = baseline_verdict(artifact(beats_baseline=False, validation={"model": {}}))
    assert not worse.passed and not worse.is_warning
    assert worse.description == "no better than its baseline"
    better = baseline_verdict(artifact(beats_baseline=True))
    assert better.passed and better.metadata == {"model_version": "20250630-abc1234567"}

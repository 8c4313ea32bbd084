"""Score drift as the ML assets' score_distribution_stable check measures it."""

import numpy as np
import pandas as pd
import pytest

from ml.pipeline.checks import DRIFT_LIMIT, population_stability


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

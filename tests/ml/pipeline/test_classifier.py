"""Lead scoring and churn modelling on real data: time-based validation against baselines,
calibration, explanations, and scoring rows the training data never showed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score

from ml.pipeline.classifier import (
    build_model,
    column_contributions,
    datetimes_to_days,
    explain,
    plan_columns,
    to_grade,
    to_risk_band,
    to_score,
)
from ml.pipeline.classifier_validation import calibration_table, lift_at, validate_over_time

# Filled in by sales staff after contact: they leak the outcome (../shared/data/PROVENANCE.md).
LEAD_LEAKS = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
    "Last Notable Activity",
]


@pytest.fixture(scope="module")
def leads(shared_data):
    """X Education leads; "Select" is an unanswered form field; Lead Number orders creation."""
    frame = pd.read_csv(shared_data / "leads" / "Leads.csv").replace("Select", np.nan)
    outcome = frame.pop("Converted").to_numpy()
    return frame.drop(columns=LEAD_LEAKS), outcome


@pytest.fixture(scope="module")
def bank(shared_data):
    """UCI Bank Marketing without `duration` (known only after the call); file order is time."""
    frame = pd.read_csv(shared_data / "bank_marketing" / "bank-additional-full.csv", sep=";")
    outcome = (frame.pop("y") == "yes").to_numpy()
    return frame.drop(columns="duration"), outcome


@pytest.fixture(scope="module")
def leads_validation(leads):
    X, y = leads
    return validate_over_time(X, y, time=X["Lead Number"])


def test_leads_beat_both_baselines_on_later_leads(leads_validation):
    validation = leads_validation
    # Measured 0.885 ROC AUC, 0.840 PR AUC, Brier 0.132 (prevalence 0.237), lift 2.49.
    assert validation.model.roc_auc > 0.87
    assert validation.model.pr_auc > 0.82
    assert validation.model.brier < 0.14 < validation.prevalence_baseline.brier
    assert validation.model.lift_top_decile > 2.3
    # Best single column: time on the website, 0.77 AUC.
    assert validation.single_column == "Total Time Spent on Website"
    assert validation.model.roc_auc > validation.single_column_baseline.roc_auc + 0.08
    assert validation.model.log_loss < validation.prevalence_baseline.log_loss
    assert validation.beats_baselines()
    assert validation.train_rows + validation.test_rows == 9240


def test_leads_are_calibrated_decile_by_decile(leads_validation):
    table = leads_validation.calibration
    assert list(table["decile"]) == list(range(1, 11))
    assert table["rows"].sum() == leads_validation.test_rows
    # Predicted and observed rates within 9 points in every decile, and rising together.
    assert (table["mean_predicted"] - table["observed_rate"]).abs().max() < 0.09
    assert table["observed_rate"].iloc[-1] > 0.9 and table["observed_rate"].iloc[0] < 0.1


def test_lead_columns_are_planned_by_the_documented_rules(leads):
    X, _ = leads
    plan = plan_columns(X)
    assert plan.dropped["Prospect ID"] == "named like an identifier"
    assert plan.dropped["Lead Number"] == "named like an identifier"
    assert plan.dropped["Unnamed: 37"] == "no values"
    assert plan.dropped["Magazine"] == "constant"
    assert "Total Time Spent on Website" in plan.numeric
    assert "Lead Source" in plan.categorical and "Country" in plan.categorical
    assert set(plan.used) | set(plan.dropped) == set(X.columns)


def test_bank_beats_baselines_on_the_later_calls(bank):
    X, y = bank
    validation = validate_over_time(X, y, time=np.arange(len(X)))
    # The last quarter of the file (2009-2010) converts at 26 % against 6 % before it, so a
    # time split is much harder than the published 5-fold figure (0.79, reproduced below).
    # Measured: ROC AUC 0.720, Brier 0.168 against 0.229 for the training prevalence.
    assert validation.model.roc_auc > 0.70
    assert validation.model.brier < validation.prevalence_baseline.brier - 0.05
    assert validation.model.lift_top_decile > 2.0
    assert validation.beats_baselines()


def test_bank_matches_the_published_cross_validated_auc(bank):
    X, y = bank
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    auc = cross_val_score(build_model(X), X, y, cv=folds, scoring="roc_auc").mean()
    assert auc > 0.785  # measured 0.792; Moro et al. (2014) report about 0.79 without duration


def test_scoring_survives_unseen_levels_and_empty_columns(leads, leads_validation):
    X, _ = leads
    model = leads_validation.fitted
    rows = X.tail(500).copy()
    rows["Lead Source"] = "A source launched after training"
    rows["Country"] = np.nan
    rows["TotalVisits"] = np.nan
    rows["A custom field added later"] = "ignored"
    probability = model.predict_proba(rows)[:, 1]
    assert np.isfinite(probability).all() and len(probability) == 500
    reasons = explain(model, rows)
    assert reasons.str.count("; ").eq(2).all()
    assert not reasons.str.contains("A custom field").any()

    with pytest.raises(ValueError, match="Lead Origin"):
        model.predict_proba(rows.drop(columns="Lead Origin"))


def test_contributions_add_up_to_the_log_odds(leads, leads_validation):
    X, _ = leads
    model = leads_validation.fitted
    rows = X.head(200)
    contributions, columns = column_contributions(model, rows)
    assert columns == plan_columns(X[X["Lead Number"] < leads_validation.cutoff]).used
    intercept = model.named_steps["classifier"].intercept_[0]
    log_odds = model.decision_function(rows)
    np.testing.assert_allclose(intercept + contributions.sum(axis=1), log_odds, atol=1e-9)

    first = explain(model, rows.head(1), top=2).iloc[0]
    strongest = np.argsort(-np.abs(contributions[0]))[:2]
    assert first.split("; ")[0].startswith(columns[strongest[0]])
    assert first.split("; ")[1].startswith(columns[strongest[1]])


def test_scores_grades_and_risk_bands_follow_the_cut_points():
    probability = np.array([0.0, 0.249, 0.25, 0.5, 0.599, 0.6, 0.75, 1.0])
    assert to_score(probability).tolist() == [0, 25, 25, 50, 60, 60, 75, 100]
    assert to_grade(probability).tolist() == ["D", "D", "C", "B", "B", "B", "A", "A"]
    bands = ["low", "low", "low", "medium", "medium", "high", "high", "high"]
    assert to_risk_band(probability).tolist() == bands
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_score(np.array([1.2]))


def test_metrics_helpers_treat_ties_and_bins_fairly():
    outcome = np.array([1, 0] * 50)
    assert lift_at(outcome, np.full(100, 0.3), 0.1) == pytest.approx(1.0)
    perfect = outcome.astype(float)
    assert lift_at(outcome, perfect, 0.1) == pytest.approx(2.0)
    table = calibration_table(outcome, np.linspace(0, 1, 100))
    assert table["rows"].tolist() == [10] * 10


def test_custom_fields_as_text_and_dates_are_planned_not_guessed():
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(200)],
            "webinar_minutes": [str(i % 37) for i in range(200)],  # CRM custom field, as text
            "plan": ["gold", "silver", None, "bronze"] * 50,
            "signed_up_on": pd.date_range("2025-01-01", periods=200, freq="D").astype(str),
            "last_login_at": pd.date_range("2025-01-01", periods=200, freq="h"),
            "notes": [f"called on day {i}" for i in range(200)],
            "is_vip": [True, False] * 100,
            "region": ["north"] * 200,
        }
    )
    plan = plan_columns(frame)
    assert plan.numeric == ["webinar_minutes"]
    assert plan.categorical == ["plan", "is_vip"]
    assert set(plan.dropped) == {"customer_id", "signed_up_on", "last_login_at", "notes", "region"}

    aged = datetimes_to_days(frame, "2025-02-01")
    assert "last_login_at" not in aged.columns
    assert aged["last_login_at_days_before_as_of"].iloc[0] == pytest.approx(31.0)
    assert "last_login_at_days_before_as_of" in plan_columns(aged).numeric

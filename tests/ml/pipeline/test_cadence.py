"""When a model retrains: never trained, new code, no model yet, a failed check, or the cadence."""

import datetime as dt

import pytest

from ml.pipeline.cadence import LastTraining, retrain_every_days, retrain_reason

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def trained(days_ago: float, **facts) -> LastTraining:
    return LastTraining(
        trained_at=NOW - dt.timedelta(days=days_ago),
        code_changed=facts.get("code_changed", False),
        skipped=facts.get("skipped", False),
        failed_checks=facts.get("failed_checks", ()),
    )


def test_a_recent_sound_model_keeps_serving():
    assert retrain_reason(trained(6.9), NOW, every_days=7) is None


def test_the_cadence_retrains_a_model_as_old_as_it():
    assert retrain_reason(trained(7), NOW, 7) == (
        "cadence: last trained 7 days ago, retrained every 7"
    )
    assert retrain_reason(trained(1), NOW, 1).startswith("cadence")


@pytest.mark.parametrize(
    ("last", "reason"),
    [
        (None, "never trained"),
        (trained(1, code_changed=True), "the model's or its features' code changed"),
        (trained(1, skipped=True), "no model yet"),
        (
            trained(1, failed_checks=["score_distribution_stable on ml/churn_predictions"]),
            "stale: score_distribution_stable on ml/churn_predictions failed",
        ),
    ],
)
def test_cause_retrains_before_the_cadence(last, reason):
    assert retrain_reason(last, NOW, 7).startswith(reason)


def test_the_cadence_comes_from_the_environment():
    assert retrain_every_days({}) == 7
    assert retrain_every_days({"BINESH_RETRAIN_EVERY_DAYS": "30"}) == 30
    for bad in ("0", "-1", "weekly", "1.5"):
        with pytest.raises(ValueError, match="BINESH_RETRAIN_EVERY_DAYS"):
            retrain_every_days({"BINESH_RETRAIN_EVERY_DAYS": bad})

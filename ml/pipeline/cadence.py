"""When a model is retrained. Training is a night's expensive ML step and a model does not go
stale in a day, so it retrains on a cadence (or sooner, when there is cause); scoring the
customers with the current model is cheap and happens every night.

The orchestration gathers the facts (orchestration/defs/ml.py) from Dagster's record of the
model's last training and of the checks since; this module decides.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RETRAIN_EVERY_DAYS_VARIABLE = "BINESH_RETRAIN_EVERY_DAYS"
DEFAULT_RETRAIN_EVERY_DAYS = 7


def retrain_every_days(environ: Mapping[str, str] = os.environ) -> int:
    """The cadence in days: BINESH_RETRAIN_EVERY_DAYS, else weekly."""
    text = environ.get(RETRAIN_EVERY_DAYS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_RETRAIN_EVERY_DAYS
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(
            f"{RETRAIN_EVERY_DAYS_VARIABLE}={text!r}: give a whole number of days, at least 1"
        )
    return days


@dataclass(frozen=True)
class LastTraining:
    """What Dagster recorded of a model's latest training."""

    trained_at: dt.datetime
    code_changed: bool  # the model's or its features' code differs from what trained it
    skipped: bool  # too little data then: no model was fitted
    failed_checks: Sequence[str]  # checks that failed on it since (drift, baseline)


def retrain_reason(last: LastTraining | None, now: dt.datetime, every_days: int) -> str | None:
    """Why the model must be retrained tonight, or None when the current one serves."""
    if last is None:
        return "never trained"
    if last.code_changed:
        return "the model's or its features' code changed"
    if last.skipped:
        return "no model yet (too little data at the last try): tried again every night"
    if last.failed_checks:
        return f"stale: {', '.join(last.failed_checks)} failed since the last training"
    age = now - last.trained_at
    if age >= dt.timedelta(days=every_days):
        return f"cadence: last trained {age.days} days ago, retrained every {every_days}"
    return None

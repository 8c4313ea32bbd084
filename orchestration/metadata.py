"""Numbers in Dagster metadata rounded to what they mean, in one place for every asset and check.

A float from a computation (0.8355435629021097) reads as noise in the UI. By the metric's name
(the last part of a dotted name such as validation.model.roc_auc):
- rates, probabilities, AUCs, F1, correlations, indexes: 4 significant digits (0.8355);
- money (value, revenue, amount, price...): 2 decimals;
- anything else: a whole number as an int (counts, days), else 4 significant digits, never
  dropping digits before the decimal point (123456.7 stays 123457).
"""

import math
import re
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import dagster as dg

SIGNIFICANT_DIGITS = 4
MONEY_DECIMALS = 2

RATE_WORDS = frozenset(
    {
        "auc",
        "brier",
        "change",
        "correlation",
        "f1",
        "index",
        "lift",
        "loss",
        "p",  # p_alive, p_value
        "precision",
        "prevalence",
        "probability",
        "psi",
        "rate",
        "ratio",
        "recall",
        "share",
        "silhouette",
        "stability",
    }
)
MONEY_WORDS = frozenset(
    {"amount", "aov", "clv", "cost", "price", "revenue", "sales", "spend", "value"}
)


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """`value` to `digits` significant digits, keeping every digit before the decimal point."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, max(0, digits - 1 - math.floor(math.log10(abs(value)))))


def round_metric(name: str, value: Any) -> Any:
    """One metadata number rounded by what its name says it is; other values as they are."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return value
    if isinstance(value, Integral):
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        return value
    words = set(re.split(r"[^a-z0-9]+", name.rsplit(".", 1)[-1].lower()))
    if words & RATE_WORDS:
        return significant(value)
    if words & MONEY_WORDS:
        return round(value, MONEY_DECIMALS)
    if value.is_integer():
        return int(value)
    return significant(value)


def _rounded(name: str, value: Any) -> Any:
    if isinstance(value, dg.FloatMetadataValue) and value.value is not None:
        return dg.MetadataValue.float(float(round_metric(name, value.value)))
    if isinstance(value, dg.JsonMetadataValue):
        return dg.MetadataValue.json(_rounded(name, value.data))
    if isinstance(value, dg.MetadataValue):  # text, paths, markdown, tables: as they are
        return value
    if isinstance(value, Mapping):
        return {key: _rounded(str(key), inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(name, inner) for inner in value]
    return round_metric(name, value)


def rounded_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Asset or check metadata with every number in it (also inside dicts, lists and JSON
    values) rounded by round_metric; text, paths, markdown and tables unchanged."""
    return {name: _rounded(name, value) for name, value in metadata.items()}


def with_rounded_metadata(events: Iterable) -> Iterable:
    """Dagster events (outputs, materializations, check results, observations) as they come,
    their metadata rounded: for events made by a library, such as dagster-dbt's."""
    for event in events:
        metadata = getattr(event, "metadata", None)
        yield event.with_metadata(rounded_metadata(metadata)) if metadata else event

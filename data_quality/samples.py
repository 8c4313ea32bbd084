"""The failing values a check shows: a few of them, each with where it came from, and the file
read back from such a sample (the quality report and `binesh status` name it)."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from data_quality.checks import Check

SAMPLE_SIZE = 5


def sample_values(check: Check, frame: pd.DataFrame, indexes: list) -> list[str]:
    """A few failing values with where they came from (file and row for raw rows)."""
    samples = []
    for index in indexes[:SAMPLE_SIZE]:
        row = frame.loc[index]
        shown = [c for c in (*check.columns, *check.context) if c in frame.columns]
        value = ", ".join(f"{c}={display(row[c])}" for c in shown)
        if "_source_row" in frame.columns:
            value += f" at {row['_source_file']} row {row['_source_row']}"
        elif "source_file" in frame.columns:
            value += f" in {row['source_file']} ({row['rows_landed']} rows)"
        samples.append(value)
    return samples


# The origin sample_values appends to a failing value.
SAMPLE_FILE = re.compile(r" (?:at (\S+) row \d+|in (\S+) \(\d+ rows\))$")


def failing_file(samples: list[str]) -> str | None:
    """The landing file the first of sample_values' samples with an origin came from."""
    for sample in samples:
        if match := SAMPLE_FILE.search(sample):
            return match.group(1) or match.group(2)
    return None


def display(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "null"
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 4)
    return json.dumps(str(value), ensure_ascii=False)

"""Vectorised text formatting of column values (pyarrow compute, no per-row Python).

Each source system writes values its own way (timestamp style, booleans); the styles chosen per
table live in writers.TABLE_FILES.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

STRING = pa.string()


def strings(values: Sequence[str | None] | np.ndarray) -> pa.Array:
    return pa.array(values, type=STRING)


def null_where(values: pa.Array, missing: np.ndarray | None) -> pa.Array:
    if missing is None or not missing.any():
        return values
    return pc.if_else(pa.array(missing), pa.scalar(None, STRING), values)


def timestamps(seconds: np.ndarray, style: str, valid: np.ndarray | None = None) -> pa.Array:
    """Unix seconds -> ISO-8601 text in a system's style.

    z: 2025-03-01T14:05:09Z   ms_z: 2025-03-01T14:05:09.000Z   offset: ...+00:00
    t: 2025-03-01T14:05:09 (no zone, meaning UTC)   space: 2025-03-01 14:05:09
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    text = pc.cast(pa.array(seconds, type=pa.timestamp("s"), mask=mask), STRING)
    if style == "space":
        return text
    text = pc.utf8_replace_slice(text, 10, 11, "T")
    suffix = {"z": "Z", "ms_z": ".000Z", "offset": "+00:00", "t": ""}[style]
    return pc.binary_join_element_wise(text, suffix, "") if suffix else text


def dates(ordinals: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Proleptic Gregorian ordinals (date.toordinal) -> YYYY-MM-DD."""
    epoch = 719163  # date(1970, 1, 1).toordinal()
    days = (np.asarray(ordinals, dtype=np.int64) - epoch).astype(np.int32)
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pc.cast(pa.array(days, type=pa.date32(), mask=mask), STRING)


def money(pence: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Pence -> pounds with two decimals (12.50), without float rounding surprises."""
    pence = np.asarray(pence, dtype=np.int64)
    pounds = pc.cast(pa.array(np.abs(pence) // 100), STRING)
    rest = pc.utf8_lpad(pc.cast(pa.array(np.abs(pence) % 100), STRING), 2, "0")
    sign = pa.array(np.where(pence < 0, "-", ""))
    text = pc.binary_join_element_wise(sign, pounds, ".", rest, "")
    return null_where(text, None if valid is None else ~np.asarray(valid, dtype=bool))


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64), mask=mask), STRING)


def booleans(values: np.ndarray) -> pa.Array:
    return pa.array(np.where(np.asarray(values, dtype=bool), "true", "false"), type=STRING)


def lookup(options: Sequence[str], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Pick labels by integer code; invalid rows become null."""
    values = pa.array(list(options), type=STRING).take(pa.array(np.asarray(index, dtype=np.int64)))
    return null_where(values, None if valid is None else ~np.asarray(valid, dtype=bool))


def numbered(prefix: str, numbers: np.ndarray, offset: int, width: int = 0) -> pa.Array:
    """Sequential business keys such as ORD-1000123 (numbers are 0-based counters)."""
    text = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64) + offset), STRING)
    if width:
        text = pc.utf8_lpad(text, width, "0")
    return pc.binary_join_element_wise(prefix, text, "") if prefix else text


def constant(value: str | None, n: int) -> pa.Array:
    return pa.array([value] * n, type=STRING)

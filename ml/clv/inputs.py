"""Input checks and row collapsing shared by the BG/NBD and Gamma-Gamma models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

ArrayLike = npt.ArrayLike


def float_array(name: str, values: ArrayLike) -> np.ndarray:
    """`values` as a 1-d float64 array; ValueError when empty, not finite or negative."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    bad = int((~np.isfinite(array)).sum())
    if bad:
        raise ValueError(f"{name} has {bad} missing or infinite value(s)")
    negative = int((array < 0).sum())
    if negative:
        raise ValueError(f"{name} has {negative} negative value(s)")
    return array


def purchase_history(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked (frequency, recency, T) arrays, in the summary's conventions (see summary.py).

    Refuses: different lengths, non-integer frequency, recency > T, and recency > 0 with
    frequency 0 (the usual sign that RFM's "days since last purchase" was passed as recency).
    """
    x = float_array("frequency", frequency)
    t_x = float_array("recency", recency)
    age = float_array("T", T)
    if not x.size == t_x.size == age.size:
        raise ValueError(
            f"frequency, recency and T differ in length ({x.size}, {t_x.size}, {age.size})"
        )
    if np.any(x != np.floor(x)):
        raise ValueError("frequency must count whole repeat purchases")
    late = int((t_x > age).sum())
    if late:
        raise ValueError(f"{late} customer(s) have recency > T (last purchase after the cutoff)")
    stray = int(((x == 0) & (t_x > 0)).sum())
    if stray:
        raise ValueError(
            f"{stray} customer(s) without repeat purchases have recency > 0; recency is the time "
            "from the first to the last purchase, not the time since the last one"
        )
    return x, t_x, age


def collapse(columns: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns and how many times each occurs (the fit's weights).

    Customers with identical histories contribute identical likelihood terms, and in day units
    a million customers have only a few hundred thousand distinct histories at most.
    """
    counts = pd.DataFrame({str(i): column for i, column in enumerate(columns)}).value_counts(
        sort=False
    )
    distinct = [counts.index.get_level_values(i).to_numpy(np.float64) for i in range(len(columns))]
    return distinct, counts.to_numpy(np.float64)

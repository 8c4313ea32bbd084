"""Model plots as PNG bytes (matplotlib, no display), for artifacts and Dagster asset metadata."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()


def markdown_image(png: bytes, title: str) -> str:
    """A markdown image with the PNG inline (a data URI): renders in the Dagster UI as is."""
    return f"![{title}](data:image/png;base64,{base64.b64encode(png).decode()})"


def roc_plot(y: np.ndarray, probability: np.ndarray, baseline: np.ndarray, title: str) -> bytes:
    figure, axes = plt.subplots(figsize=(4, 4))
    for label, scores in (("model", probability), ("baseline", baseline)):
        false_positive, true_positive, _ = roc_curve(y, scores)
        axes.plot(false_positive, true_positive, label=label)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(loc="lower right")
    return _png(figure)


def calibration_plot(calibration: pd.DataFrame, title: str) -> bytes:
    """calibration: mean_predicted and observed_rate per bin (see calibration_table)."""
    figure, axes = plt.subplots(figsize=(4, 4))
    axes.plot(calibration["mean_predicted"], calibration["observed_rate"], marker="o")
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="predicted probability", ylabel="observed rate", title=title)
    return _png(figure)


def lift_plot(y: np.ndarray, probability: np.ndarray, title: str) -> bytes:
    """Cumulative lift by decile of predicted probability (highest first)."""
    order = np.argsort(-probability, kind="stable")
    hits = np.cumsum(np.asarray(y)[order])
    shares = np.arange(1, 11) / 10
    counts = np.maximum((shares * len(order)).astype(int), 1)
    lift = (hits[counts - 1] / counts) / max(np.mean(y), 1e-12)
    figure, axes = plt.subplots(figsize=(4, 3))
    axes.bar(shares * 100, lift, width=8)
    axes.axhline(1, linestyle=":", color="grey")
    axes.set(xlabel="top % of scores", ylabel="cumulative lift", title=title)
    return _png(figure)


def profile_plot(profiles: pd.DataFrame, title: str) -> bytes:
    """Heat map of standardised feature means per segment (rows: segments, columns: features)."""
    values = profiles.to_numpy(dtype=float)
    spread = values.std(axis=0)
    standardised = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1)
    figure, axes = plt.subplots(figsize=(1 + 0.5 * len(profiles.columns), 3 + 0.4 * len(profiles)))
    axes.imshow(standardised, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    axes.set_xticks(range(len(profiles.columns)), profiles.columns, rotation=60, ha="right")
    axes.set_yticks(range(len(profiles)), [str(index) for index in profiles.index])
    axes.set_title(title)
    return _png(figure)

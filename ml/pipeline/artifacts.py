"""Versioned model artifacts: the fitted model (joblib), its metadata (JSON) and its plots (PNG).

    <models dir>/<model>/<version>/model.joblib
                                  /metadata.json   metrics, training window, features, data hash
                                  /<plot>.png

The version is `<as_of as YYYYMMDD>-<first 10 hex digits of the data hash>`: retraining on the
same data gives the same version (and rewrites the same folder), new data a new one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib


@dataclass
class ModelArtifact:
    """A trained model and what is known about it.

    model: the fitted estimator, or None when the method needs no fitted object of its own
    (metadata["method"] then says what scoring does instead, e.g. the BG/NBD fallback).
    """

    name: str
    as_of: dt.date
    data_hash: str
    model: Any
    metadata: dict[str, Any]
    plots: dict[str, bytes] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return f"{self.as_of:%Y%m%d}-{self.data_hash[:10]}"

    @property
    def method(self) -> str:
        return self.metadata["method"]

    @property
    def why_skipped(self) -> str | None:
        """Why no model was trained (its inputs too few), or None: a skipped model scores
        nothing, and its table is written empty."""
        return self.metadata.get("why_no_model")

    def describe(self) -> dict[str, Any]:
        """The metadata.json content."""
        return {
            "model": self.name,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "data_hash": self.data_hash,
            **self.metadata,
        }

    def save(self, models_dir: Path) -> Path:
        folder = Path(models_dir) / self.name / self.version
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.model, folder / "model.joblib")
        for name, png in self.plots.items():
            (folder / f"{name}.png").write_bytes(png)
        (folder / "metadata.json").write_text(
            json.dumps(self.describe(), indent=2, default=str) + "\n"
        )
        return folder


def not_enough_data(needs: str, found: object) -> str:
    """The one wording of a skip, so the run summary and the UI read alike."""
    return f"not enough data: needs {needs}, found {found}"


def skipped(
    name: str, as_of: dt.date, data_hash: str, reason: str, **metadata: Any
) -> ModelArtifact:
    """The artifact of a model whose inputs are absent or too few to fit: no model, the reason
    (not_enough_data) as why_no_model, and no verdict against the baseline."""
    return ModelArtifact(
        name=name,
        as_of=as_of,
        data_hash=data_hash,
        model=None,
        metadata={**metadata, "method": "none", "why_no_model": reason, "beats_baseline": None},
    )


def load_artifact(folder: Path) -> ModelArtifact:
    """The artifact saved in `folder` (as written by ModelArtifact.save)."""
    folder = Path(folder)
    if not (folder / "metadata.json").exists():
        raise FileNotFoundError(f"no model artifact in {folder}")
    described = json.loads((folder / "metadata.json").read_text())
    name, as_of, data_hash = (
        described.pop("model"),
        described.pop("as_of"),
        described.pop("data_hash"),
    )
    described.pop("version")
    return ModelArtifact(
        name=name,
        as_of=dt.date.fromisoformat(as_of),
        data_hash=data_hash,
        model=joblib.load(folder / "model.joblib"),
        metadata=described,
        plots={path.stem: path.read_bytes() for path in sorted(folder.glob("*.png"))},
    )


MEASURED_SECTIONS = ("validation", "backtest", "evaluation")


def measured_figures(artifact: ModelArtifact) -> dict[str, float]:
    """Every number of the artifact's validation, backtest or evaluation, flattened:
    {"validation.model.roc_auc": 0.78, "validation.recency_baseline.roc_auc": 0.71, ...}."""
    figures: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            figures[prefix] = float(value)

    for section in MEASURED_SECTIONS:
        walk(section, artifact.metadata.get(section))
    return figures

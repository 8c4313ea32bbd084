"""How a model becomes Dagster assets: a training asset that stores a versioned artifact (the
model_store IO manager) and a scoring asset that publishes ml.<table> with it, each with its
checks. orchestration/defs/ml.py and orchestration/defs/identity.py declare theirs with these."""

import json
import math
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from ml.pipeline.artifacts import ModelArtifact, load_artifact, measured_figures
from ml.pipeline.cadence import retrain_every_days
from ml.pipeline.checks import DRIFT_LIMIT, CheckVerdict, baseline_verdict
from ml.pipeline.frames import FEATURE_SCHEMA, FEATURE_TABLES, FeatureFrames, read_feature_frames
from ml.pipeline.plots import markdown_image
from ml.pipeline.publishing import Markdown, publish_scores
from ml.pipeline.tables import SCHEMA
from orchestration.metadata import round_metric, rounded_metadata
from orchestration.planning import ON_CADENCE, REBUILDS_TAG, RETRAIN_REASONS_TAG
from orchestration.project import code_version, dbt_project, python_files
from orchestration.resources import WAREHOUSE_POOL
from reports.locations import models_directory

FEATURE_KEYS = [dg.AssetKey([FEATURE_SCHEMA, table]) for table in FEATURE_TABLES]


# What the scores depend on in code: the ML pipeline and models (not identity's nor text's);
# a trained model also on the feature marts' SQL. A change retrains or rescores every model.
ML_PYTHON = python_files("ml", excluding=("identity", "text"))
SCORING_CODE_VERSION = code_version(ML_PYTHON)
TRAINING_CODE_VERSION = code_version(
    [*ML_PYTHON, *(dbt_project.project_dir / "models" / "features").iterdir()]
)


class ModelStore(dg.ConfigurableIOManager):
    """Model artifacts in <directory of the warehouse file>/models/<model>/<version>/.

    A scoring asset loads the version its training asset last materialized (recorded in that
    materialization's metadata), never whatever folder happens to be newest.
    """

    warehouse: str

    @property
    def directory(self) -> Path:
        return models_directory(Path(self.warehouse))

    def handle_output(self, context: dg.OutputContext, obj: ModelArtifact) -> None:
        folder = obj.save(self.directory)
        context.add_output_metadata({"artifact_path": dg.MetadataValue.path(str(folder))})

    def load_input(self, context: dg.InputContext) -> ModelArtifact:
        key = context.upstream_output.asset_key
        event = context.instance.get_latest_materialization_event(key)
        if event is None or event.asset_materialization is None:
            raise FileNotFoundError(f"{key.to_user_string()} has not been trained yet")
        return load_artifact(Path(event.asset_materialization.metadata["artifact_path"].value))


def model_metadata(artifact: ModelArtifact) -> dict[str, object]:
    """What the UI shows of a trained model: version, method, measured figures and plots."""
    described = artifact.describe()
    figures = measured_figures(artifact)
    metadata: dict[str, object] = {
        "model_version": artifact.version,
        "method": artifact.method,
        "data_hash": artifact.data_hash,
        "training_window": described.get("training_window", {}),
        "features": dg.MetadataValue.json(described.get("features", [])),
    }
    for reason in ("why_no_classifier", "why_no_model", "retrain_reason", "retrain_every_days"):
        if reason in described:
            metadata[reason] = described[reason]
    figures = {name: round_metric(name, value) for name, value in figures.items()}
    metadata |= {name: value for name, value in figures.items() if math.isfinite(value)}
    if figures:
        metadata["figures"] = dg.MetadataValue.md(
            "| figure | value |\n|---|---|\n"
            + "".join(f"| {name} | {value} |\n" for name, value in figures.items())
        )
    for name, png in artifact.plots.items():
        metadata[f"plot_{name}"] = dg.MetadataValue.md(markdown_image(png, name))
    return rounded_metadata(metadata)


def check_result(verdict: CheckVerdict, name: str, asset_key: list[str]) -> dg.AssetCheckResult:
    """The asset check result of a verdict from ml.pipeline.checks."""
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset_key,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.WARN if verdict.is_warning else dg.AssetCheckSeverity.ERROR,
        description=verdict.description,
        metadata=rounded_metadata(verdict.metadata),
    )


def training_asset(
    name: str,
    train: Callable[[FeatureFrames], ModelArtifact],
    description: str,
    has_baseline: bool = True,
    *,
    read: Callable[[duckdb.DuckDBPyConnection], object] = read_feature_frames,
    deps=FEATURE_KEYS,
    kinds=frozenset({"python", "scikit-learn"}),
    code_version: str = TRAINING_CODE_VERSION,
) -> dg.AssetsDefinition:
    """ml/<name>_model: the artifact `train` makes from what `read` reads (the feature marts,
    unless told); with a baseline, the beats_baseline check reads its verdict from the
    artifact's validation. It retrains on a cadence (ON_CADENCE), and records why."""
    key = ["ml", f"{name}_model"]
    baseline_check_spec = dg.AssetCheckSpec(
        "beats_baseline",
        asset=key,
        description="The model's time-based validation beats its simple baseline.",
    )

    @dg.asset(
        key=key,
        group_name="ml",
        kinds=set(kinds),
        deps=deps,
        io_manager_key="model_store",
        pool=WAREHOUSE_POOL,
        description=description,
        check_specs=[baseline_check_spec] if has_baseline else [],
        code_version=code_version,
        tags={REBUILDS_TAG: ON_CADENCE},
    )
    def trained_model(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        reasons = json.loads(context.run.tags.get(RETRAIN_REASONS_TAG, "{}"))
        reason = reasons.get(context.asset_key.to_user_string())
        with warehouse.get_connection() as con:  # open while training: frames read on use
            artifact = train(read(con))
        artifact.metadata |= {
            "retrain_reason": reason or "requested (a full build, or launched by hand)",
            "retrain_every_days": retrain_every_days(),
        }
        yield dg.Output(artifact, metadata=model_metadata(artifact))
        if has_baseline:
            yield check_result(baseline_verdict(artifact), "beats_baseline", key)

    return trained_model


def scoring_asset(
    table: str,
    score_column: str,
    description: str,
    models: list[str],
    score: Callable[..., pd.DataFrame],
) -> dg.AssetsDefinition:
    """ml.<table>: `score(*artifacts, frames)` with the artifacts of the named trained models (in
    that order; the first one's skip leaves the table empty), published by
    ml.pipeline.publishing with the score_distribution_stable check on `score_column`."""
    key = ["ml", table]
    drift_check_spec = dg.AssetCheckSpec(
        "score_distribution_stable",
        asset=key,
        description=(
            f"The distribution of {score_column} stays close to the previous scores' "
            f"(population stability index <= {DRIFT_LIMIT})."
        ),
    )

    @dg.asset(
        key=key,
        group_name="ml",
        kinds={"python", "duckdb"},
        ins={f"{name}_model": dg.AssetIn(key=["ml", f"{name}_model"]) for name in models},
        deps=FEATURE_KEYS,
        pool=WAREHOUSE_POOL,
        description=description,
        metadata={"dagster/table_name": f"{SCHEMA}.{table}"},
        check_specs=[drift_check_spec],
        code_version=SCORING_CODE_VERSION,
    )
    def scores(warehouse: DuckDBResource, **trained: ModelArtifact):
        artifacts = [trained[f"{name}_model"] for name in models]
        with warehouse.get_connection() as con:
            publication = publish_scores(
                con, table, score_column, artifacts[0], lambda frames: score(*artifacts, frames)
            )
        metadata = {
            name: dg.MetadataValue.md(value) if isinstance(value, Markdown) else value
            for name, value in publication.metadata.items()
        }
        yield dg.MaterializeResult(metadata=rounded_metadata(metadata))
        yield check_result(publication.drift, "score_distribution_stable", key)

    return scores

"""ML assets: train each model on the point-in-time feature marts into a versioned artifact,
then score with that artifact into the ml.* tables. Wiring only: each model's training and
scoring is in ml/<model>/pipeline.py, publishing and the checks' verdicts in ml/pipeline/.

    marts.ml_* (dbt, as of a cutoff) ─► ml/<model>_model (artifact) ─► ml/<table> ─► customer_360

Model artifacts are stored by the `model_store` IO manager under <warehouse dir>/models/; a
scoring asset receives the artifact its training asset produced as its input.
"""

import json
import math
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from ml.churn import pipeline as churn
from ml.clv import pipeline as clv
from ml.leads import pipeline as leads
from ml.offers import pipeline as offers
from ml.pipeline.artifacts import ModelArtifact, load_artifact, measured_figures
from ml.pipeline.cadence import retrain_every_days
from ml.pipeline.checks import DRIFT_LIMIT, CheckVerdict, baseline_verdict, leakage_findings
from ml.pipeline.frames import FEATURE_SCHEMA, FEATURE_TABLES, FeatureFrames, read_feature_frames
from ml.pipeline.plots import markdown_image
from ml.pipeline.publishing import Markdown, publish_scores
from ml.pipeline.tables import SCHEMA
from ml.segments import pipeline as segments
from orchestration.defs.automation import ON_CADENCE, REBUILDS_TAG, RETRAIN_REASONS_TAG
from orchestration.defs.raw import WAREHOUSE_POOL
from orchestration.metadata import round_metric, rounded_metadata
from orchestration.project import code_version, dbt_project, python_files
from reports.locations import models_directory

FEATURE_KEYS = [dg.AssetKey([FEATURE_SCHEMA, table]) for table in FEATURE_TABLES]


# What the scores depend on in code: the ML pipeline and models (not identity's nor text's);
# a trained model also on the feature marts' SQL. A change retrains or rescores every model.
ML_PYTHON = python_files("ml", excluding=("identity", "text"))
SCORING_CODE_VERSION = code_version(ML_PYTHON)
TRAINING_CODE_VERSION = code_version(
    [*ML_PYTHON, *(dbt_project.project_dir / "models" / "marts" / "ml_features").iterdir()]
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
        with warehouse.get_connection() as con:
            inputs = read(con)
        artifact = train(inputs)
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


@dg.asset_check(
    asset=dg.AssetKey([FEATURE_SCHEMA, "ml_customer_features"]),
    name="features_are_point_in_time",
    blocking=True,
    description=(
        "No feature mart holds an event after its cutoff, every label window ends by as_of, "
        "and the purchase features at each cutoff equal those recomputed from the sales up to "
        "it. Blocks training when it fails."
    ),
)
def features_are_point_in_time(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        findings = leakage_findings(con)
    return dg.AssetCheckResult(
        passed=not findings,
        metadata={"findings": dg.MetadataValue.json(findings)},
    )


TRAINING_ASSETS = [
    training_asset(
        segments.NAME,
        segments.train_segments,
        "Behavioural clustering of buyers (k chosen by silhouette) with readable profiles; "
        "RFM needs no fitting. Artifact: the fitted pipeline, cluster names and profiles.",
        has_baseline=False,  # no labels: the silhouettes per k are its measure
    ),
    training_asset(
        leads.NAME,
        leads.train_lead_model,
        "Lead conversion classifier trained on leads whose window has passed by as_of, "
        "validated on the latest quarter of them (time split) against baselines.",
    ),
    training_asset(
        churn.NAME,
        churn.train_churn,
        "Churn classifier trained at as_of - churn_horizon_days with the horizon's labels, "
        "validated one horizon earlier (time split) against recency and churn-rate baselines; "
        "the BG/NBD fallback when history is too short.",
    ),
    training_asset(
        clv.NAME,
        clv.train_clv,
        "BG/NBD and Gamma-Gamma fitted by maximum likelihood on every sale up to as_of, "
        "backtested against realised purchases after an earlier cutoff.",
    ),
    training_asset(
        offers.NAME,
        offers.train_offer_model,
        "Next-best-offer recommender parameters, measured by hit-rate@10 on a time split "
        "against the most popular products.",
    ),
]

MODEL_NAMES = (segments.NAME, leads.NAME, churn.NAME, clv.NAME, offers.NAME)
SCORING_ASSETS = [
    scoring_asset(
        "customer_segments",
        "segment",
        "One row per customer with a sale up to as_of: RFM scores and named segment (champions, "
        "loyal, potential loyalists, new, promising, need attention, about to sleep, at risk, "
        "can't lose, hibernating, lost) and the behavioural cluster with its readable profile.",
        [segments.NAME],
        segments.score_segments,
    ),
    scoring_asset(
        "lead_scores",
        "conversion_probability",
        "One row per open lead (created within its conversion window, not converted by as_of): "
        "conversion probability, score 0-100, grade A-D and the top reasons.",
        [leads.NAME],
        leads.score_leads,
    ),
    scoring_asset(
        "churn_predictions",
        "churn_probability",
        "One row per customer with a sale up to as_of: probability of no purchase within the "
        "churn horizon, risk band, top drivers and the method (the classifier, or 1 - P(alive) "
        "of BG/NBD when the history is too short to train one).",
        [churn.NAME, clv.NAME],
        churn.score_churn,
    ),
    scoring_asset(
        "clv_predictions",
        "expected_value",
        "One row per customer with a sale up to as_of: BG/NBD P(alive) and expected repeat "
        "purchases, Gamma-Gamma expected order value, and expected value over clv_horizon_days.",
        [clv.NAME],
        clv.score_clv,
    ),
    scoring_asset(
        "next_best_offers",
        "category",
        "The top offers of every customer seen up to as_of (rank 1 = best): product, category, "
        "score and its strongest source (co-purchase, co-view, category interest, repeat, "
        "popular), with the campaign and coupon running at as_of for that category.",
        [offers.NAME],
        offers.score_offers,
    ),
]

defs = dg.Definitions(
    assets=[*TRAINING_ASSETS, *SCORING_ASSETS],
    asset_checks=[features_are_point_in_time],
    resources={"model_store": ModelStore(warehouse=dg.EnvVar("BINESH_WAREHOUSE"))},
)

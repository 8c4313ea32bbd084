"""ML assets: train each model on the point-in-time feature marts into a versioned artifact,
then score with that artifact into the ml.* tables (logic in ml/pipeline, modelling in ml/).

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
from dagster_duckdb import DuckDBResource

from ml.pipeline import churn, clv, leads, offers, segments
from ml.pipeline.artifacts import ModelArtifact, load_artifact, measured_figures
from ml.pipeline.cadence import retrain_every_days
from ml.pipeline.checks import DRIFT_LIMIT, leakage_findings, population_stability
from ml.pipeline.frames import FEATURE_SCHEMA, FEATURE_TABLES, FeatureFrames, read_feature_frames
from ml.pipeline.plots import markdown_image
from ml.pipeline.tables import SCHEMA, no_rows, read_ml_table, write_ml_table
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


def baseline_check(artifact: ModelArtifact, asset_key: list[str]) -> dg.AssetCheckResult:
    beats = artifact.metadata.get("beats_baseline")
    reason = next(
        (
            artifact.metadata[key]
            for key in ("why_no_classifier", "why_no_model", "backtest", "evaluation")
            if isinstance(artifact.metadata.get(key), str)
        ),
        None,
    )
    return dg.AssetCheckResult(
        check_name="beats_baseline",
        asset_key=asset_key,
        passed=bool(beats),
        # not measurable (too little history) is a warning; measured and worse is an error
        severity=dg.AssetCheckSeverity.WARN if beats is None else dg.AssetCheckSeverity.ERROR,
        description=reason
        or ("better than its baseline" if beats else "no better than its baseline"),
        metadata={"model_version": artifact.version},
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
            yield baseline_check(artifact, key)

    return trained_model


def write_scores(
    con: duckdb.DuckDBPyConnection, table: str, rows, score_column: str
) -> tuple[dict[str, object], dg.AssetCheckResult]:
    """Replace ml.<table>; the materialization metadata and the score-drift check result."""
    previous = read_ml_table(con, table)
    write_ml_table(con, table, rows)
    metadata: dict[str, object] = {
        "dagster/row_count": len(rows),
        "model_version": rows["model_version"].iloc[0] if len(rows) else "none",
        "as_of": str(rows["as_of"].iloc[0].date()) if len(rows) else "none",
        "dagster/table_name": f"{SCHEMA}.{table}",
    }
    scores = rows[score_column]
    if len(rows) and scores.dtype.kind == "f":
        metadata |= {
            f"{score_column}_mean": float(scores.mean()),
            f"{score_column}_p10": float(scores.quantile(0.1)),
            f"{score_column}_p90": float(scores.quantile(0.9)),
        }
    elif len(rows):
        counts = scores.value_counts()
        metadata[f"{score_column}_counts"] = dg.MetadataValue.md(
            f"| {score_column} | rows |\n|---|---|\n"
            + "".join(f"| {value} | {count} |\n" for value, count in counts.items())
        )
    missing = int(scores.isna().sum()) if len(rows) else 0
    comparable = previous is not None and previous[score_column].notna().any() and len(rows)
    if missing:
        check = dg.AssetCheckResult(
            check_name="score_distribution_stable",
            asset_key=["ml", table],
            passed=False,
            description=f"{missing} of {len(rows)} rows have no {score_column}",
        )
    elif not comparable:
        check = dg.AssetCheckResult(
            check_name="score_distribution_stable",
            asset_key=["ml", table],
            passed=True,
            description="no scores to compare" if not len(rows) else "no previous scores",
        )
    else:
        stability = population_stability(previous[score_column], scores)
        check = dg.AssetCheckResult(
            check_name="score_distribution_stable",
            asset_key=["ml", table],
            passed=stability <= DRIFT_LIMIT,
            metadata=rounded_metadata(
                {
                    "population_stability_index": stability,
                    "limit": DRIFT_LIMIT,
                    "previous_model_version": str(previous["model_version"].iloc[0]),
                }
            ),
        )
    return rounded_metadata(metadata), check


def drift_check_spec(table: str, score_column: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "score_distribution_stable",
        asset=["ml", table],
        description=(
            f"The distribution of {score_column} stays close to the previous scores' "
            f"(population stability index <= {DRIFT_LIMIT})."
        ),
    )


def scoring_asset_spec(table: str, score_column: str, description: str, models: list[str]):
    """The decorator shared by the scoring assets: ml.<table> from the named trained models."""
    return dg.asset(
        key=["ml", table],
        group_name="ml",
        kinds={"python", "duckdb"},
        ins={f"{name}_model": dg.AssetIn(key=["ml", f"{name}_model"]) for name in models},
        deps=FEATURE_KEYS,
        pool=WAREHOUSE_POOL,
        description=description,
        metadata={"dagster/table_name": f"{SCHEMA}.{table}"},
        check_specs=[drift_check_spec(table, score_column)],
        code_version=SCORING_CODE_VERSION,
    )


def score_into(
    warehouse: DuckDBResource, table: str, score_column: str, artifact: ModelArtifact, score
):
    """Read the features, score them (`score(frames)` -> rows), write ml.<table>, report.

    When `artifact` was skipped (its inputs too few), ml.<table> is written empty, so that
    customer_360 and the reports still build, and the reason goes on the materialization.
    """
    with warehouse.get_connection() as con:
        if artifact.why_skipped:
            rows = no_rows(table)
        else:
            rows = score(read_feature_frames(con))
        metadata, check = write_scores(con, table, rows, score_column)
    if artifact.why_skipped:
        metadata["why_no_model"] = artifact.why_skipped
    yield dg.MaterializeResult(metadata=metadata)
    yield check


@scoring_asset_spec(
    "customer_segments",
    "segment",
    "One row per customer with a sale up to as_of: RFM scores and named segment (champions, "
    "loyal, potential loyalists, new, promising, need attention, about to sleep, at risk, "
    "can't lose, hibernating, lost) and the behavioural cluster with its readable profile.",
    ["segmentation"],
)
def customer_segments(warehouse: DuckDBResource, segmentation_model: ModelArtifact):
    yield from score_into(
        warehouse,
        "customer_segments",
        "segment",
        segmentation_model,
        lambda frames: segments.score_segments(segmentation_model, frames),
    )


@scoring_asset_spec(
    "lead_scores",
    "conversion_probability",
    "One row per open lead (created within its conversion window, not converted by as_of): "
    "conversion probability, score 0-100, grade A-D and the top reasons.",
    ["lead_scoring"],
)
def lead_scores(warehouse: DuckDBResource, lead_scoring_model: ModelArtifact):
    yield from score_into(
        warehouse,
        "lead_scores",
        "conversion_probability",
        lead_scoring_model,
        lambda frames: leads.score_leads(lead_scoring_model, frames),
    )


@scoring_asset_spec(
    "churn_predictions",
    "churn_probability",
    "One row per customer with a sale up to as_of: probability of no purchase within the "
    "churn horizon, risk band, top drivers and the method (the classifier, or 1 - P(alive) of "
    "BG/NBD when the history is too short to train one).",
    ["churn", "clv"],
)
def churn_predictions(
    warehouse: DuckDBResource, churn_model: ModelArtifact, clv_model: ModelArtifact
):
    yield from score_into(
        warehouse,
        "churn_predictions",
        "churn_probability",
        churn_model,
        lambda frames: churn.score_churn(churn_model, frames, clv.score_clv(clv_model, frames)),
    )


@scoring_asset_spec(
    "clv_predictions",
    "expected_value",
    "One row per customer with a sale up to as_of: BG/NBD P(alive) and expected repeat "
    "purchases, Gamma-Gamma expected order value, and expected value over clv_horizon_days.",
    ["clv"],
)
def clv_predictions(warehouse: DuckDBResource, clv_model: ModelArtifact):
    yield from score_into(
        warehouse,
        "clv_predictions",
        "expected_value",
        clv_model,
        lambda frames: clv.score_clv(clv_model, frames),
    )


@scoring_asset_spec(
    "next_best_offers",
    "category",
    "The top offers of every customer seen up to as_of (rank 1 = best): product, category, "
    "score and its strongest source (co-purchase, co-view, category interest, repeat, "
    "popular), with the campaign and coupon running at as_of for that category.",
    ["next_best_offer"],
)
def next_best_offers(warehouse: DuckDBResource, next_best_offer_model: ModelArtifact):
    yield from score_into(
        warehouse,
        "next_best_offers",
        "category",
        next_best_offer_model,
        lambda frames: offers.score_offers(next_best_offer_model, frames),
    )


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
        "segmentation",
        segments.train_segments,
        "Behavioural clustering of buyers (k chosen by silhouette) with readable profiles; "
        "RFM needs no fitting. Artifact: the fitted pipeline, cluster names and profiles.",
        has_baseline=False,  # no labels: the silhouettes per k are its measure
    ),
    training_asset(
        "lead_scoring",
        leads.train_lead_model,
        "Lead conversion classifier trained on leads whose window has passed by as_of, "
        "validated on the latest quarter of them (time split) against baselines.",
    ),
    training_asset(
        "churn",
        churn.train_churn,
        "Churn classifier trained at as_of - churn_horizon_days with the horizon's labels, "
        "validated one horizon earlier (time split) against recency and churn-rate baselines; "
        "the BG/NBD fallback when history is too short.",
    ),
    training_asset(
        "clv",
        clv.train_clv,
        "BG/NBD and Gamma-Gamma fitted by maximum likelihood on every sale up to as_of, "
        "backtested against realised purchases after an earlier cutoff.",
    ),
    training_asset(
        "next_best_offer",
        offers.train_offer_model,
        "Next-best-offer recommender parameters, measured by hit-rate@10 on a time split "
        "against the most popular products.",
    ),
]

MODEL_NAMES = ("segmentation", "lead_scoring", "churn", "clv", "next_best_offer")
SCORING_ASSETS = [
    customer_segments,
    lead_scores,
    churn_predictions,
    clv_predictions,
    next_best_offers,
]

defs = dg.Definitions(
    assets=[*TRAINING_ASSETS, *SCORING_ASSETS],
    asset_checks=[features_are_point_in_time],
    resources={"model_store": ModelStore(warehouse=dg.EnvVar("BINESH_WAREHOUSE"))},
)

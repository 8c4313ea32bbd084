"""ML assets: train each model on the point-in-time feature marts into a versioned artifact,
then score with that artifact into the ml.* tables. Wiring only: each model's training and
scoring is in ml/<model>/pipeline.py, publishing and the checks' verdicts in ml/pipeline/.

    features.* (dbt, as of a cutoff) ─► ml/<model>_model (artifact) ─► ml/<table> ─► customer_360

Model artifacts are stored by the `model_store` IO manager under <warehouse dir>/models/; a
scoring asset receives the artifact its training asset produced as its input.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ml.churn import pipeline as churn
from ml.clv import pipeline as clv
from ml.leads import pipeline as leads
from ml.offers import pipeline as offers
from ml.pipeline.checks import leakage_findings
from ml.pipeline.frames import FEATURE_SCHEMA
from ml.segments import pipeline as segments
from orchestration.model_assets import ModelStore, scoring_asset, training_asset


@dg.asset_check(
    asset=dg.AssetKey([FEATURE_SCHEMA, "customer_features"]),
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

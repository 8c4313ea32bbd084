"""The dbt project (staging → intermediate → marts, and the ML features) as Dagster assets, in four
steps; dbt tests become checks."""

import json
from collections.abc import Iterator
from datetime import date

import dagster as dg
from dagster_dbt import (
    DbtCliResource,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource
from pydantic import Field

from ml.pipeline.plots import markdown_image
from orchestration.dbt_translation import TRANSLATOR, discard_artifacts
from orchestration.metadata import with_rounded_metadata
from orchestration.project import dbt_project
from orchestration.resources import WAREHOUSE_POOL
from reports.kpis import kpi_trend_png

# Python assets sit between dbt models (identity resolution reads staging and the marts read its
# tables), and one @dbt_assets definition is a single step that cannot run on both sides of them.
# So the project builds in four steps, one per stage tag of dbt_project.yml; a folder declares
# its stage there, and tests/dbt_project/test_stages.py checks that no model reads a later one.
BEFORE_IDENTITY = "tag:before_identity"  # staging and identity's inputs
AFTER_IDENTITY = "tag:after_identity"  # journeys, KPIs, marts: read identity's and text's tables
FEATURES = "tag:features"  # the ML feature marts the ML assets read
AFTER_ML = "tag:after_ml"  # customer_360 and the insights: read ml.*
STAGES = (BEFORE_IDENTITY, AFTER_IDENTITY, FEATURES, AFTER_ML)
# A test of two models runs in the step, and the selection, that builds the later one: dbt's
# default would run customer_360's test against dim_customers with dim_customers, before
# customer_360 exists, and a relationship from an unbuilt fact to a selected dimension in a
# partial build (`binesh run --select`, a night that rebuilds only what changed, the UI).
BUILDABLE_TESTS = ("--indirect-selection", "buildable")


# DuckDB's error when another process holds the warehouse file (a reader left open, a second
# writer): transient, unlike a failing model or test.
WAREHOUSE_LOCKED = ("Could not set lock on file", "Conflicting lock is held")
LOCKED_RETRIES, LOCKED_RETRY_SECONDS = 3, 20


def build(context: dg.AssetExecutionContext, dbt: DbtCliResource, *args: str) -> Iterator:
    """`dbt build` of the step's selection, its events streamed to Dagster. A warehouse still
    locked after dbt's own connection retries (profiles.yml, about 30 s) retries the step."""
    invocation = dbt.cli(["build", *BUILDABLE_TESTS, *args], context=context, raise_on_error=False)
    yield from with_rounded_metadata(invocation.stream())
    error = invocation.get_error()
    if error is not None and any(text in str(error) for text in WAREHOUSE_LOCKED):
        context.log.warning(
            "Another process holds the warehouse file (a reader left open?); Dagster retries "
            f"this step in {LOCKED_RETRY_SECONDS} s (at most {LOCKED_RETRIES} times)"
        )
        raise dg.RetryRequested(
            max_retries=LOCKED_RETRIES, seconds_to_wait=LOCKED_RETRY_SECONDS
        ) from error
    if error is not None:
        raise error
    discard_artifacts(invocation)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=BEFORE_IDENTITY,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def staging_and_identity_input_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from build(context, dbt)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=AFTER_IDENTITY,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
):
    invocation = dbt.cli(["build", *BUILDABLE_TESTS], context=context, raise_on_error=False)
    yield from with_kpi_trend_plot(context, with_rounded_metadata(invocation.stream()), warehouse)
    if (error := invocation.get_error()) is not None:
        raise error
    discard_artifacts(invocation)


KPI_MONTHLY = dg.AssetKey(["marts", "kpi_monthly"])


def with_kpi_trend_plot(context: dg.AssetExecutionContext, events, warehouse: DuckDBResource):
    """The dbt build's events, with the headline KPIs' trend plot on kpi_monthly's
    materialization. dbt holds the warehouse's lock until it exits, so kpi_monthly's output and
    its test results (which must follow it) are held back until the event stream ends."""
    held = []
    for event in events:
        key = (
            context.asset_key_for_output(event.output_name)
            if isinstance(event, dg.Output)
            else getattr(event, "asset_key", None)
        )
        if key == KPI_MONTHLY:
            held.append(event)
        else:
            yield event
    for event in held:
        if isinstance(event, dg.Output):
            with warehouse.get_connection() as con:
                png = kpi_trend_png(con)
            if png is not None:
                plot = dg.MetadataValue.md(markdown_image(png, "Headline KPIs by month"))
                event = event.with_metadata({**event.metadata, "kpi_trends": plot})
        yield event


class MLCutoffConfig(dg.Config):
    """When the ML features are taken (editable in the launchpad; `binesh run --as-of ...`)."""

    as_of: str | None = Field(
        default=None,
        description="Scoring cutoff, YYYY-MM-DD; features use data up to that day. "
        "Default: the day of the latest order or web event.",
    )
    churn_horizon_days: int = Field(
        default=90, gt=0, description="Churn = no purchase within this many days."
    )
    clv_horizon_days: int = Field(
        default=365, gt=0, description="Days of future purchases the CLV counts."
    )
    lead_conversion_days: int = Field(
        default=90, gt=0, description="A lead converts if it buys within this many days."
    )

    def dbt_arguments(self) -> list[str]:
        """`--vars` with the values that differ from dbt_project.yml's (the same defaults):
        passing unchanged vars would make dbt re-parse the whole project (about 10 s)."""
        if self.as_of is not None:
            date.fromisoformat(self.as_of)  # a clear error before dbt runs
        changed = self.model_dump(exclude_defaults=True)
        return ["--vars", json.dumps(changed)] if changed else []


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=FEATURES,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def ml_feature_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: MLCutoffConfig
):
    yield from build(context, dbt, *config.dbt_arguments())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=AFTER_ML,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def models_after_ml(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from build(context, dbt)


defs = dg.Definitions(
    assets=[staging_and_identity_input_models, warehouse_models, ml_feature_models, models_after_ml]
)

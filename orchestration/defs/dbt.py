"""The dbt project (staging → intermediate → marts) as Dagster assets; dbt tests become checks."""

import json
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource
from dagster_shared.record import replace
from pydantic import Field

from ml.pipeline.plots import markdown_image
from orchestration.defs.raw import WAREHOUSE_POOL
from orchestration.metadata import with_rounded_metadata
from orchestration.project import dbt_project
from reports.kpis import kpi_trend_png


def relation_name(reference: str) -> str:
    """`ref('dim_customers')` -> dim_customers, `source('raw', 'x')` -> raw.x (a test's `to`)."""
    names = re.findall(r"['\"]([^'\"]+)['\"]", reference)
    return ".".join(names) if names else reference


def describe_dbt_test(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """What a dbt test checks, in words: its own `description:` when the yml gives one, else
    made from the generic test's name and arguments ("customer_id is unique"). Singular tests
    (dbt_project/tests/**/*.sql) have theirs in a yml beside them."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    kwargs = metadata.get("kwargs", {})
    column = kwargs.get("column_name") or test.get("column_name")
    attached = manifest["nodes"].get(test.get("attached_node") or "", {}).get("name", "the model")
    match metadata.get("name"):
        case None:  # a singular test without a description
            text = test["name"].removeprefix("assert_").replace("_", " ")
        case "unique":
            text = f"{column} is unique"
        case "not_null":
            text = f"{column} is never null"
        case "accepted_values":
            text = f"{column} is one of: {', '.join(map(str, kwargs['values']))}"
        case "relationships":
            target = relation_name(kwargs["to"])
            field = kwargs.get("field", column)
            target = target if field == column else f"{target}.{field}"
            text = f"every {column} of {attached} exists in {target}"
        case "unique_combination_of_columns":
            text = f"one row per ({', '.join(kwargs['combination_of_columns'])})"
        case "one_row_per_customer":
            customers = relation_name(kwargs["customers"])
            text = (
                f"exactly one row per customer of {customers}, on "
                f"{kwargs.get('column_name', 'customer_id')}"
            )
        case name:
            arguments = ", ".join(
                f"{key}={value}" for key, value in kwargs.items() if key != "model"
            )
            text = f"{name}({arguments})"
    where = (test.get("config") or {}).get("where")
    return f"{text} (rows where {where})" if where else text


class BineshDbtTranslator(DagsterDbtTranslator):
    """One rule for every dbt node: asset key = [schema, table], group = schema (the layer).

    Sources in schema `raw` thus map onto the raw assets, and a model's key is where BI finds it.
    Every dbt test is a check with a description in words (describe_dbt_test); a model in a dbt
    group (the public marts) is owned by its group's owner.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """The owner email of the model's dbt group (dagster-dbt's default) or, for a group
        whose owner has only a name, the group as a Dagster team (team:analytics)."""
        owners = super().get_owners(dbt_resource_props)
        group = dbt_resource_props.get("group")
        if owners or not isinstance(group, Mapping):
            return owners
        return [f"team:{group['name']}"]

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return replace(spec, description=describe_dbt_test(manifest["nodes"][unique_id], manifest))


# Python assets sit between dbt models (identity resolution reads staging and the marts read its
# tables), and one @dbt_assets definition is a single step that cannot run on both sides of them.
# So the project builds in four steps, one per stage tag of dbt_project.yml; a folder declares
# its stage there, and tests/dbt_project/test_stages.py checks that no model reads a later one.
BEFORE_IDENTITY = "tag:before_identity"  # staging and identity's inputs
AFTER_IDENTITY = "tag:after_identity"  # journeys, KPIs, marts: read identity.* and text.*
FEATURES = "tag:features"  # the ML feature marts the ML assets read
AFTER_ML = "tag:after_ml"  # customer_360 and the insights: read ml.*
STAGES = (BEFORE_IDENTITY, AFTER_IDENTITY, FEATURES, AFTER_ML)

TRANSLATOR = BineshDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def discard_artifacts(invocation: DbtCliInvocation) -> None:
    """Delete a successful dbt invocation's target folder (manifest, compiled SQL, dbt.log).
    dagster-dbt gives every invocation a folder of its own and never removes it: about 30 MB a
    night for the four dbt steps. A failed invocation's folder stays, for debugging."""
    if invocation.is_successful():
        shutil.rmtree(Path(invocation.project_dir, invocation.target_path), ignore_errors=True)


# DuckDB's error when another process holds the warehouse file (a reader left open, a second
# writer): transient, unlike a failing model or test.
WAREHOUSE_LOCKED = ("Could not set lock on file", "Conflicting lock is held")
LOCKED_RETRIES, LOCKED_RETRY_SECONDS = 3, 20


def build(context: dg.AssetExecutionContext, dbt: DbtCliResource, *args: str) -> Iterator:
    """`dbt build` of the step's selection, its events streamed to Dagster. A warehouse still
    locked after dbt's own connection retries (profiles.yml, about 30 s) retries the step."""
    invocation = dbt.cli(["build", *args], context=context, raise_on_error=False)
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
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
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

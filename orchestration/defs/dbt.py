"""The dbt project (staging → intermediate → marts) as Dagster assets; dbt tests become checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.defs.raw import WAREHOUSE_POOL
from orchestration.project import dbt_project


class BineshDbtTranslator(DagsterDbtTranslator):
    """One rule for every dbt node: asset key = [schema, table], group = schema (the layer).

    Sources in schema `raw` thus map onto the raw assets, and a model's key is where BI finds it.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


# Python assets sit between dbt models (identity resolution reads intermediate models and the
# marts read its tables), and one @dbt_assets definition is a single step that cannot run on both
# sides of them. So the project is split by selection: models Python assets read, then the rest.
# A new dbt folder that a Python asset reads goes into PYTHON_INPUT_MODELS.
PYTHON_INPUT_MODELS = "path:models/staging path:models/intermediate/identity"

TRANSLATOR = BineshDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PYTHON_INPUT_MODELS,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def staging_and_identity_input_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=PYTHON_INPUT_MODELS,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


defs = dg.Definitions(assets=[staging_and_identity_input_models, warehouse_models])

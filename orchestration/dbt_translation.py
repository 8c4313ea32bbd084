"""dbt nodes as Dagster assets: one rule for every node's key, group and owner, every dbt test a
check described in words; the keys of every model; the descriptions of the tables Python steps
write for dbt; and a dbt invocation's clean-up."""

import functools
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtProject,
)
from dagster_shared.record import replace

from orchestration.project import dbt_project


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


TRANSLATOR = BineshDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@functools.cache
def dbt_manifest() -> dict[str, Any]:
    """dbt's manifest, read once per process (the definitions read it from several modules)."""
    return json.loads(dbt_project.manifest_path.read_text())


def dbt_model_keys() -> list[dg.AssetKey]:
    """The asset key of every model and snapshot of the project, whichever dbt step builds it."""
    manifest = dbt_manifest()
    return sorted(
        (
            TRANSLATOR.get_asset_key(node)
            for node in manifest["nodes"].values()
            if node["resource_type"] in ("model", "snapshot", "seed")
        ),
        key=lambda key: key.path,
    )


def source_descriptions(schema: str) -> dict[str, str]:
    """table -> description of each table of `schema` declared as a dbt source: the tables a
    Python step writes for dbt (models/_python__sources.yml) are described once, there, and
    that text is both the dbt docs' and the Dagster asset's."""
    manifest = dbt_manifest()
    return {
        source["name"]: source["description"]
        for source in manifest["sources"].values()
        if source["schema"] == schema
    }


def discard_artifacts(invocation: DbtCliInvocation) -> None:
    """Delete a successful dbt invocation's target folder (manifest, compiled SQL, dbt.log).
    dagster-dbt gives every invocation a folder of its own and never removes it: about 30 MB a
    night for the four dbt steps. A failed invocation's folder stays, for debugging."""
    if invocation.is_successful():
        shutil.rmtree(Path(invocation.project_dir, invocation.target_path), ignore_errors=True)

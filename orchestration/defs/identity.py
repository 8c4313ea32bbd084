"""Identity resolution: every record tied to the person behind it (ml/identity), between the dbt
models that prepare its input (intermediate/identity) and the marts that read its answer."""

import dataclasses

import dagster as dg
from dagster_duckdb import DuckDBResource

from ml.identity.resolve import LINKAGE_MODEL_NAME, resolve_identities, train_identity_linkage
from ml.identity.warehouse import (
    OUTPUT_TABLES,
    SCHEMA,
    read_identity_inputs,
    read_previous_resolution,
    write_resolution,
)
from ml.moved_tables import move_tables_of_older_warehouses
from ml.pipeline.artifacts import ModelArtifact
from orchestration.dbt_translation import source_descriptions
from orchestration.metadata import rounded_metadata
from orchestration.model_assets import training_asset
from orchestration.planning import ON_CADENCE, ON_CODE_CHANGE, REBUILDS_TAG
from orchestration.project import code_version, python_files
from orchestration.resources import WAREHOUSE_POOL, WRITER_TAGS

INPUTS = [
    dg.AssetKey(["intermediate", "int_identity__records"]),
    dg.AssetKey(["intermediate", "int_identity__identifiers"]),
]

IDENTITY_CODE_VERSION = code_version(python_files("ml/identity"))

# The probabilistic model (Splink) is trained on a cadence, like the ML models; resolution links
# every night with the current one.
identity_linkage_model = training_asset(
    LINKAGE_MODEL_NAME,
    train_identity_linkage,
    "Identity resolution's probabilistic model: Splink (Fellegi-Sunter) trained unsupervised on "
    "the named profiles and interactions (u from random pairs, m by expectation maximisation), "
    "with the columns it compares. Retrained on the cadence; identity_resolution links every "
    "night with the current one.",
    has_baseline=False,
    read=lambda con: read_identity_inputs(con)[0],
    deps=INPUTS,
    kinds={"python", "splink"},
    code_version=IDENTITY_CODE_VERSION,
)
LINKAGE_MODEL = identity_linkage_model.key

CLUSTERS = dg.AssetKey([SCHEMA, "clusters"])

DESCRIPTIONS = source_descriptions(SCHEMA)

# A run tag: identity_resolution re-links every record instead of only the new and changed ones
# (the weekly schedule, `binesh run --full-identity` and `--full`). Ids stay as they were.
IDENTITY_RESOLUTION_TAG = "binesh/identity_resolution"
FULL_RESOLUTION_TAGS = {IDENTITY_RESOLUTION_TAG: "full"}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=[SCHEMA, table],
            deps=[*INPUTS, LINKAGE_MODEL],
            group_name=SCHEMA,
            kinds={"python", "duckdb"},
            description=DESCRIPTIONS[table],
            code_version=IDENTITY_CODE_VERSION,
            metadata={"dagster/table_name": f"{SCHEMA}.{table}"},
        )
        for table in OUTPUT_TABLES
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "no_oversized_customers",
            asset=CLUSTERS,
            description=(
                "No customer holds more profile records than one person plausibly has after the "
                "over-merge guards (warns; see identity.oversized_clusters)."
            ),
        )
    ],
    ins={"identity_linkage_model": dg.AssetIn(key=LINKAGE_MODEL)},
    pool=WAREHOUSE_POOL,
)
def identity_resolution(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBResource,
    identity_linkage_model: ModelArtifact,
):
    full = context.run.tags.get(IDENTITY_RESOLUTION_TAG) == "full"
    with warehouse.get_connection() as con:
        for change in move_tables_of_older_warehouses(con):
            context.log.info(change)
        records, identifiers = read_identity_inputs(con)
        previous = read_previous_resolution(con)
        if previous is not None and full:
            previous = dataclasses.replace(previous, linkage=None)
        resolution = resolve_identities(
            records, identifiers, linkage_model=identity_linkage_model.model, previous=previous
        )
        write_resolution(con, resolution)
    summary = resolution.summary()
    incremental = previous is not None and previous.linkage is not None
    summary["resolution"] = "incremental" if incremental else "full"
    context.log.info(f"identity resolution: {summary}")
    if summary["oversized_clusters"]:
        context.log.warning(
            f"{summary['oversized_clusters']} oversized clusters: see identity.oversized_clusters"
        )
    links_per_rule = summary.pop("links_per_rule")
    for table in OUTPUT_TABLES:
        metadata = {"dagster/row_count": getattr(resolution, table).num_rows}
        if table == "clusters":
            metadata |= summary | {f"links_{rule}": n for rule, n in links_per_rule.items()}
            metadata["linkage_model_version"] = identity_linkage_model.version
        yield dg.MaterializeResult(asset_key=[SCHEMA, table], metadata=rounded_metadata(metadata))
    yield dg.AssetCheckResult(
        check_name="no_oversized_customers",
        asset_key=CLUSTERS,
        passed=summary["oversized_customers_left"] == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=rounded_metadata(
            {
                "oversized_customers_left": summary["oversized_customers_left"],
                "clusters_cut_by_the_size_guard": summary["oversized_clusters"],
                "shared_identifiers": summary["shared_identifiers"],
            }
        ),
    )


# What a full re-resolution rebuilds: identity and what reads it, but no model training (that
# goes by its cadence) and no docs site.
RE_RESOLUTION = (
    dg.AssetSelection.assets(identity_resolution).downstream()
    - dg.AssetSelection.tag(REBUILDS_TAG, ON_CADENCE)
    - dg.AssetSelection.tag(REBUILDS_TAG, ON_CODE_CHANGE)
)

re_resolve_identities = dg.define_asset_job(
    name="re_resolve_identities",
    selection=RE_RESOLUTION,
    description="Re-link every identity record with the current model (nights link only new "
    "and changed records; customer ids stay as they were), then rebuild what reads identity.",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS | FULL_RESOLUTION_TAGS,
)

weekly_identity_re_resolution = dg.ScheduleDefinition(
    name="weekly_identity_re_resolution",
    job=re_resolve_identities,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Sunday at 04:00 UTC, after the night's build: a full identity "
    "re-resolution, so links between earlier records follow the data as it grows.",
)

defs = dg.Definitions(
    assets=[identity_linkage_model, identity_resolution],
    jobs=[re_resolve_identities],
    schedules=[weekly_identity_re_resolution],
)

"""Identity resolution: every record tied to the person behind it (ml/identity), between the dbt
models that prepare its input (intermediate/identity) and the marts that read its answer."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ml.identity.resolve import resolve_identities
from ml.identity.warehouse import OUTPUT_TABLES, read_identity_inputs, write_resolution
from orchestration.defs.raw import WAREHOUSE_POOL
from orchestration.project import code_version, python_files

INPUTS = [
    dg.AssetKey(["intermediate", "int_identity__records"]),
    dg.AssetKey(["intermediate", "int_identity__identifiers"]),
]

IDENTITY_CODE_VERSION = code_version(python_files("ml/identity"))

CLUSTERS = dg.AssetKey(["intermediate", OUTPUT_TABLES["clusters"]])

DESCRIPTIONS = {
    "clusters": (
        "Every identity record (intermediate.int_identity__records) with its stable customer_id "
        "(null when it identifies nobody), the rule and confidence of its strongest link into its "
        "cluster, and the cluster's size. Deterministic links on shared identifiers, Splink "
        "probabilistic links on names, birth dates and addresses, connected components, "
        "over-merge guards (ml/identity)."
    ),
    "links": (
        "Every link identity resolution considered: the two records, rule, confidence, and "
        "whether a guard dropped it (name_conflict, cluster_size)."
    ),
    "oversized_clusters": (
        "Clusters that held more profile records than one person plausibly has, and what the "
        "size guard did about them (split along their weakest links, or kept whole)."
    ),
    "shared_identifiers": (
        "Emails and phone numbers found used by several people (a family address, a shop's "
        "phone), and whether they were split by person or ignored."
    ),
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["intermediate", table],
            deps=INPUTS,
            group_name="intermediate",
            kinds={"python", "duckdb"},
            description=DESCRIPTIONS[field],
            code_version=IDENTITY_CODE_VERSION,
            metadata={"dagster/table_name": f"intermediate.{table}"},
        )
        for field, table in OUTPUT_TABLES.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "no_oversized_customers",
            asset=CLUSTERS,
            description=(
                "No customer holds more profile records than one person plausibly has after the "
                "over-merge guards (warns; see intermediate.identity_oversized_clusters)."
            ),
        )
    ],
    pool=WAREHOUSE_POOL,
)
def identity_resolution(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
    with warehouse.get_connection() as con:
        records, identifiers = read_identity_inputs(con)
        resolution = resolve_identities(records, identifiers)
        write_resolution(con, resolution)
    summary = resolution.summary()
    context.log.info(f"identity resolution: {summary}")
    if summary["oversized_clusters"]:
        context.log.warning(
            f"{summary['oversized_clusters']} oversized clusters: see "
            "intermediate.identity_oversized_clusters"
        )
    links_per_rule = summary.pop("links_per_rule")
    for field, table in OUTPUT_TABLES.items():
        metadata = {"dagster/row_count": getattr(resolution, field).num_rows}
        if field == "clusters":
            metadata |= summary | {f"links_{rule}": n for rule, n in links_per_rule.items()}
        yield dg.MaterializeResult(asset_key=["intermediate", table], metadata=metadata)
    yield dg.AssetCheckResult(
        check_name="no_oversized_customers",
        asset_key=CLUSTERS,
        passed=summary["oversized_customers_left"] == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "oversized_customers_left": summary["oversized_customers_left"],
            "clusters_cut_by_the_size_guard": summary["oversized_clusters"],
            "shared_identifiers": summary["shared_identifiers"],
        },
    )


defs = dg.Definitions(assets=[identity_resolution])

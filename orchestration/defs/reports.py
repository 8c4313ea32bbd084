"""What each run publishes for people and tools outside the warehouse (reports/): the BI snapshot,
the dbt docs site, the insight report and the marketing audiences, all beside the warehouse file
(reports/locations.py)."""

import json
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from ml.models import MODEL_NAMES
from ml.pipeline.tables import SCHEMA as ML_SCHEMA
from ml.pipeline.tables import TABLE_COLUMNS as ML_TABLES
from orchestration.dbt_translation import dbt_model_keys, discard_artifacts
from orchestration.metadata import rounded_metadata
from orchestration.planning import ON_CODE_CHANGE, REBUILDS_TAG
from orchestration.project import (
    PROJECT_ROOT,
    code_version,
    dbt_code_files,
    dbt_project,
    python_files,
)
from orchestration.resources import WAREHOUSE_POOL
from reports.audiences import INPUTS as AUDIENCE_INPUTS
from reports.audiences import LEFT_OUT, export_audiences
from reports.bi_snapshot import STORAGE_VERSION, publish_bi_snapshot
from reports.contract import public_marts
from reports.dbt_docs import publish_dbt_docs
from reports.insight import build_insight_report
from reports.locations import (
    audiences_directory,
    bi_directory,
    dbt_docs_directory,
    insight_report_directory,
    quality_report_directory,
)

# Every dbt model, whichever of the dbt steps builds it.
DBT_ASSET_KEYS = dbt_model_keys()
MART_KEYS = [key for key in DBT_ASSET_KEYS if key.path[0] == "marts"]
# The report's retention list is computed by ml/churn/retention_list.py.
REPORTS_CODE_VERSION = code_version(
    [*python_files("reports"), PROJECT_ROOT / "ml" / "churn" / "retention_list.py"]
)
# Every ML asset: the scores (ml.* tables) and the models they come from.
ML_KEYS = sorted(
    [
        *(dg.AssetKey([ML_SCHEMA, f"{name}_model"]) for name in MODEL_NAMES),
        *(dg.AssetKey([ML_SCHEMA, table]) for table in ML_TABLES),
    ],
    key=lambda key: key.path,
)
# The audiences read personal data and the suppression list: their own code, and its rules.
AUDIENCES_CODE_VERSION = code_version(
    [*python_files("reports", excluding=("insight",)), PROJECT_ROOT / "privacy/suppression.py"]
)


@dg.asset(
    key=["reports", "bi_snapshot"],
    group_name="reports",
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    deps=[*MART_KEYS, *ML_KEYS],
    code_version=REPORTS_CODE_VERSION,
    description=(
        "The BI-facing tables (the public marts but dim_customers, which holds personal data; "
        "the ML tables; audit.load_log and audit.quality_results) copied into a DuckDB file that "
        f"DuckDB 1.x drivers open (storage {STORAGE_VERSION}) and into Parquet files, each "
        "swapped in atomically: BI tools read it while the next run writes the warehouse "
        "(docs/bi.md)."
    ),
)
def bi_snapshot(warehouse: DuckDBResource) -> dg.MaterializeResult:
    marts = public_marts(json.loads(dbt_project.manifest_path.read_text()))
    with warehouse.get_connection() as con:
        snapshot = publish_bi_snapshot(con, bi_directory(Path(warehouse.database)), marts)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(snapshot.database)),
            "parquet": dg.MetadataValue.path(str(snapshot.parquet)),
            "parquet_version": snapshot.parquet_version.name,
            "tables": dg.MetadataValue.md(
                "| table | rows |\n|---|---:|\n"
                + "".join(f"| {name} | {rows:,} |\n" for name, rows in snapshot.tables.items())
            ),
            "dagster/row_count": snapshot.rows,
            "published_at": snapshot.published_at.isoformat(timespec="seconds") + "Z",
        }
    )


@dg.asset(
    key=["reports", "dbt_docs"],
    group_name="reports",
    kinds={"dbt", "html"},
    pool=WAREHOUSE_POOL,  # dbt's catalog query opens the warehouse
    deps=DBT_ASSET_KEYS,  # built after them, for the catalog; but rebuilt only for new code
    code_version=code_version(dbt_code_files()),
    tags={REBUILDS_TAG: ON_CODE_CHANGE},
    description=(
        "dbt's documentation site (`dbt docs generate --static`): every model, column, test and "
        "exposure with lineage and the warehouse's catalog, as one page that opens offline. "
        "Rebuilt when the dbt code changes, not every night: its tables and columns are the "
        "code's."
    ),
)
def dbt_docs(dbt: DbtCliResource, warehouse: DuckDBResource) -> dg.MaterializeResult:
    generated = dbt.cli(["docs", "generate", "--static"]).wait()
    docs = publish_dbt_docs(generated.target_path, dbt_docs_directory(Path(warehouse.database)))
    discard_artifacts(generated)  # published: the page and its catalog are copied out
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(docs.page)),
            "url": dg.MetadataValue.url(docs.page.as_uri()),
            "models": docs.models,
            "public_marts": docs.public_marts,
            "undocumented_columns": dg.MetadataValue.json(docs.undocumented),
        }
    )


@dg.asset(
    key=["reports", "insight_report"],
    group_name="reports",
    kinds={"html"},
    pool=WAREHOUSE_POOL,
    deps=[*MART_KEYS, *ML_KEYS],
    code_version=REPORTS_CODE_VERSION,
    description=(
        "The insight report: the story of the customer base in charts (headline KPIs, the six "
        "insights, funnel, retention, segments and their actions, churn risk and whom to "
        "contact, lead grades, CLV, next best offers, A/B tests, data quality), one "
        "self-contained HTML page per run that opens offline, also kept as latest.html "
        "(docs/report.md)."
    ),
)
def insight_report(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    warehouse_file = Path(warehouse.database)
    with warehouse.get_connection() as con:
        report = build_insight_report(
            con,
            insight_report_directory(warehouse_file),
            context.run.run_id,
            quality_report=quality_report_directory(warehouse_file) / "latest.html",
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(report.latest)),
            "run_page": dg.MetadataValue.path(str(report.page)),
            "url": dg.MetadataValue.url(report.latest.as_uri()),
            **rounded_metadata(report.headline),
            "absent_sections": dg.MetadataValue.json(report.absent_sections),
        }
    )


@dg.asset(
    key=["reports", "audiences"],
    group_name="reports",
    kinds={"csv", "parquet"},
    pool=WAREHOUSE_POOL,
    deps=[dg.AssetKey(table.split(".")) for table in AUDIENCE_INPUTS],
    code_version=AUDIENCES_CODE_VERSION,
    description=(
        "Marketing audiences (a behavioural segment, high churn risk, lead grades A and B, the "
        "next best offer's category) as one CSV and one Parquet file per audience and channel "
        "(email, SMS) for a marketing tool to import: only customers who consented to the "
        "channel, have an address for it and are not suppressed; manifest.json counts who was "
        "left out and why. Swapped in whole (docs/report.md, Audiences)."
    ),
)
def audiences(warehouse: DuckDBResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        export = export_audiences(con, audiences_directory(Path(warehouse.database)))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(export.directory)),
            "manifest": dg.MetadataValue.path(str(export.manifest)),
            **rounded_metadata(
                {
                    "audiences": len(export.audiences),
                    "files": 2 * len(export.files),  # a CSV and a Parquet file each
                    "dagster/row_count": export.total("exported"),
                    **{f"left_out_{reason}": export.total(reason) for reason in LEFT_OUT},
                }
            ),
            "exports": dg.MetadataValue.md(
                "| audience | channel | exported | without consent | without address | "
                "suppressed |\n|---|---|---:|---:|---:|---:|\n"
                + "".join(
                    f"| {file.audience} | {file.channel} | {file.exported:,} | "
                    f"{file.without_consent:,} | {file.without_address:,} | "
                    f"{file.suppressed:,} |\n"
                    for file in export.files
                )
            ),
        }
    )


defs = dg.Definitions(assets=[bi_snapshot, dbt_docs, insight_report, audiences])

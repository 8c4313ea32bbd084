"""Data quality: the Great Expectations suites of data_quality/ as asset checks.

One multi-asset check op per layer, so each layer's suites run in one step right after the layer
is built and GX is imported once. Raw and staging checks are blocking: an error-severity failure
fails the step and Dagster skips every asset downstream in the run (staging is built in the first
dbt step, everything after it in later steps, which is why a staging check can stop them). Mart
checks only warn. Each step writes its results to audit.quality_results through the run's one
DuckDB writer and rebuilds the offline report next to the warehouse.
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from data_quality.suites import LAYERS, quality_suites
from orchestration.metadata import rounded_metadata
from orchestration.resources import WAREHOUSE_POOL
from reports.locations import quality_report_directory

BLOCKING_LAYERS = ("raw", "staging")


def build_quality_checks(layer: str) -> dg.AssetChecksDefinition:
    suites = {suite.table: suite for suite in quality_suites(layer)}
    specs = [
        dg.AssetCheckSpec(
            name=check.name,
            asset=dg.AssetKey(suite.asset_path),
            blocking=layer in BLOCKING_LAYERS,
            description=f"{check.description} (GX {check.expectation}, {check.severity})",
            metadata={"great_expectations": check.expectation},
        )
        for suite in suites.values()
        for check in suite.checks
    ]

    @dg.multi_asset_check(
        name=f"{layer}_quality_checks",
        specs=specs,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suites of the {layer} layer (data_quality/rules/).",
    )
    def quality_checks(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
        from data_quality.report import build_quality_report
        from data_quality.validation import run_suites

        selected = context.selected_asset_check_keys
        tables = {key.asset_key.path[-1] for key in selected}
        # bounds relative to "now" are taken when the step runs, not when the code loaded
        current = [suite for suite in quality_suites(layer) if suite.table in tables]
        with warehouse.get_connection() as con:
            outcomes = run_suites(con, current, run_id=context.run.run_id)
            report = build_quality_report(
                con, quality_report_directory(Path(warehouse.database)), context.run.run_id
            )
        context.log.info(f"quality report: {report}")
        for outcome in outcomes:
            key = dg.AssetCheckKey(dg.AssetKey(outcome.suite.asset_path), outcome.check.name)
            if key not in selected:
                continue
            if not outcome.success:
                log = context.log.error if outcome.severity == "error" else context.log.warning
                log(outcome.message)
            yield dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=outcome.success,
                severity=(
                    dg.AssetCheckSeverity.ERROR
                    if outcome.severity == "error"
                    else dg.AssetCheckSeverity.WARN
                ),
                description=outcome.message,
                metadata=rounded_metadata(
                    {
                        "rows_checked": outcome.rows_checked,
                        "failing_count": outcome.failing_count,
                        "quarantined_count": outcome.quarantined_count,
                        "observed_value": outcome.observed_value,
                        "sample_values": dg.MetadataValue.json(outcome.samples),
                        "quality_report": dg.MetadataValue.path(str(report)),
                    }
                ),
            )

    return quality_checks


defs = dg.Definitions(asset_checks=[build_quality_checks(layer) for layer in LAYERS])

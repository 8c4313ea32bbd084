"""Raw layer: one asset per landing table, each loading new and re-delivered files into
`raw.<source>__<table>` (see sources/loader.py for the rules)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.resources import WAREHOUSE_POOL, LandingZone
from sources.contract import LANDING_TABLES, LandingTable
from sources.loader import load_table

FILES_SHOWN = 3  # in the step's warning about files with quarantined rows


def build_raw_asset(table: LandingTable) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", table.qualified_name],
        group_name="raw",
        kinds={"duckdb", "python"},
        pool=WAREHOUSE_POOL,
        description=(
            f"Rows of the landing table {table.source}/{table.name} (key: "
            f"{', '.join(table.key)}), loaded once per file version; rows that cannot be "
            "parsed, lack a required column or have a wrong type go to audit.quarantine."
        ),
        metadata={"dagster/table_name": f"raw.{table.qualified_name}"},
    )
    def raw_table(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource, landing: LandingZone
    ) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            load = load_table(con, landing.directory, table)
            total_rows = con.execute(f"select count(*) from raw.{table.qualified_name}").fetchone()[
                0
            ]
        for removed in load.files_removed:
            context.log.info(f"{removed} left the landing zone: its rows were retracted")
        for ignored in load.files_ignored:
            context.log.warning(f"ignored {ignored}: not one of .csv, .parquet, .jsonl")
        # One line for the table, not one per file: each log line is an event Dagster stores,
        # and a year of daily files would be hundreds of them. `binesh quarantine` has them all.
        set_aside = [f for f in load.files if f.rows_quarantined or f.status == "unreadable"]
        if set_aside:
            shown = "; ".join(
                f"{f.source_file}: {f.rows_quarantined} of {f.rows_landed} rows ({f.message})"
                for f in set_aside[:FILES_SHOWN]
            )
            more = (
                f"; and {len(set_aside) - FILES_SHOWN} more" if len(set_aside) > FILES_SHOWN else ""
            )
            context.log.warning(
                f"{len(set_aside)} of {len(load.files)} files had rows quarantined "
                f"({load.rows_quarantined} rows; `binesh quarantine` lists them): {shown}{more}"
            )
        return dg.MaterializeResult(
            data_version=dg.DataVersion(load.state),
            metadata={
                "dagster/row_count": total_rows,
                "files_loaded": len(load.files),
                "files_unchanged": load.files_unchanged,
                "files_ignored": len(load.files_ignored),
                "files_removed": len(load.files_removed),
                "rows_loaded": load.rows_loaded,
                "rows_quarantined": load.rows_quarantined,
            },
        )

    return raw_table


defs = dg.Definitions(assets=[build_raw_asset(table) for table in LANDING_TABLES])

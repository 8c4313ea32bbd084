"""Where the warehouse stands, for `binesh status` and the end of `binesh run`: rows per layer,
the loader's accounting from audit.load_log, and a few headline figures from the marts."""

from __future__ import annotations

import duckdb

from sources.readers import table_exists


def warehouse_state(con: duckdb.DuckDBPyConnection) -> dict:
    """Rows per layer; per landing table, the current file versions' accounting (rows landed =
    loaded + quarantined), with the files that loaded no rows; the values set aside; and the
    headline figures once the marts are built."""
    loads = con.execute(
        """
        select source_table, count(*), sum(rows_landed), sum(rows_loaded),
               sum(rows_quarantined), max(loaded_at)
        from audit.load_log where superseded_at is null
        group by source_table order by source_table
        """
    ).fetchall()
    [(unbalanced,)] = con.execute(
        "select count(*) from audit.load_log where rows_landed <> rows_loaded + rows_quarantined"
    ).fetchall()
    nothing_loaded = con.execute(
        "select source_file, status, rows_landed, coalesce(message, '') from audit.load_log "
        "where superseded_at is null and rows_loaded = 0 order by source_file"
    ).fetchall()
    return {
        "layers": [
            {"schema": schema, "tables": tables, "rows": rows}
            for schema, tables, rows in rows_per_layer(con)
        ],
        "loads": [
            {
                "table": table,
                "files": files,
                "rows_landed": landed,
                "rows_loaded": loaded,
                "rows_quarantined": quarantined,
                "last_load": f"{last:%Y-%m-%d %H:%M:%S}",
            }
            for table, files, landed, loaded, quarantined, last in loads
        ],
        "files_unbalanced": unbalanced,
        "files_without_rows": [
            {"file": file, "status": status, "rows_landed": landed, "message": message}
            for file, status, landed, message in nothing_loaded
        ],
        "set_aside_values": current_set_aside_values(con),
        "headlines": headline_figures(con),
    }


# The warehouse's schemas in data-flow order.
LAYER_ORDER = tuple(
    "raw staging intermediate identity text marts snapshots features ml audit".split()
)


def rows_per_layer(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(schema, tables, exact rows) for every schema, in data-flow order."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and not internal"
    ).fetchall()
    layers: dict[str, list[int]] = {}
    for schema, table in tables:
        count = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        layers.setdefault(schema, []).append(count)
    order = {name: i for i, name in enumerate(LAYER_ORDER)}
    return [
        (schema, len(counts), sum(counts))
        for schema, counts in sorted(layers.items(), key=lambda kv: order.get(kv[0], 99))
    ]


def current_set_aside_values(con: duckdb.DuckDBPyConnection) -> int:
    """Values set aside from the current file versions (0 for a warehouse loaded before
    audit.set_aside_values existed)."""
    if not table_exists(con, "audit", "set_aside_values"):
        return 0
    [(values,)] = con.execute(
        "select count(*) from audit.set_aside_values join audit.load_log using (load_id) "
        "where superseded_at is null"
    ).fetchall()
    return values


HEADLINES_SQL = """
select
    min(kpi_month) as first_month,
    max(kpi_month) as last_month,
    (select count(*) from marts.dim_customers) as unified_customers,
    sum(orders) as orders,
    sum(revenue) as revenue,
    sum(revenue) / nullif(sum(orders), 0) as average_order_value,
    arg_max(repeat_purchase_rate, kpi_month) as repeat_purchase_rate,
    100.0 * (sum(nps_promoters) - sum(nps_detractors)) / nullif(sum(nps_responses), 0) as nps,
    100.0 * sum(csat_satisfied) / nullif(sum(csat_responses), 0) as csat
from marts.kpi_monthly
"""


def headline_figures(con: duckdb.DuckDBPyConnection) -> dict | None:
    """Totals over every month of marts.kpi_monthly (the latest month's repeat purchase rate),
    and the unified customers; None before the marts are built or while there are no orders."""
    if not all(table_exists(con, "marts", table) for table in ("kpi_monthly", "dim_customers")):
        return None
    cursor = con.execute(HEADLINES_SQL)
    [row] = cursor.fetchall()
    figures = dict(zip([column for column, *_ in cursor.description], row, strict=True))
    return figures if figures["orders"] else None

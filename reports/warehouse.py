"""What the reports read: the warehouse through a connection they are given, read only."""

from __future__ import annotations

from functools import cached_property

import duckdb
import pandas as pd

from reports.formatting import Money

# Where the shop's currency is recorded (one per shop; the most common if several).
KPI_MONTHS = "marts.kpi_monthly"


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }


class Warehouse:
    """`query` returns None when one of the tables it names is absent from the warehouse or it
    returns no rows, so that a section can say so."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables = existing_tables(con)

    def has(self, *tables: str) -> bool:
        return all(table in self.tables for table in tables)

    def query(self, sql: str, *tables: str) -> pd.DataFrame | None:
        if not self.has(*tables):
            return None
        frame = self.con.execute(sql).df()
        return frame if len(frame) else None

    def columns(self, table: str) -> set[str]:
        schema, name = table.split(".")
        return {
            column
            for (column,) in self.con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        }

    @cached_property
    def currency(self) -> str | None:
        """The ISO code the orders are in (None: no orders)."""
        if not self.has(KPI_MONTHS) or "currency" not in self.columns(KPI_MONTHS):
            return None
        rows = self.con.execute(
            f"select currency from {KPI_MONTHS} where currency is not null "
            "group by currency order by count(*) desc, currency limit 1"
        ).fetchall()
        return rows[0][0] if rows else None

    @cached_property
    def money(self) -> Money:
        return Money(self.currency)

"""Column lists of the files each table is written as: the contract's, plus custom attributes."""

from __future__ import annotations

from sources.contract import LANDING_TABLES

# Custom attributes a CRM lead form collects; the loader keeps unknown columns as they are.
LEAD_EXTRAS = ("pages_viewed_before_signup", "how_heard", "preferred_store")

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    table.qualified_name: tuple(table.column_names) for table in LANDING_TABLES
}
TABLE_COLUMNS["crm__leads"] += LEAD_EXTRAS

TABLES = {table.qualified_name: table for table in LANDING_TABLES}

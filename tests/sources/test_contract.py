"""docs/sources.md (what users read) and sources/contract.py (what the code reads) agree."""

import re
from pathlib import Path

import pytest

from sources.contract import LANDING_TABLES, landing_table

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", LANDING_TABLES, ids=lambda t: t.qualified_name)
def test_the_documented_columns_are_the_contract(table):
    [row] = [
        line for line in DOC.splitlines() if line.startswith(f"| `{table.source}/{table.name}/`")
    ]
    documented = [cell.strip() for cell in row.split("|")[3].split(",")]
    names = [re.sub(r"\*|\s*\(.*\)", "", cell) for cell in documented]
    required = [re.sub(r"\*\*|\s*\(.*\)", "", c) for c in documented if c.startswith("**")]
    details = [re.sub(r"\*|\s*\(.*\)", "", c) for c in documented if re.match(r"\*\w", c)]
    assert names == table.column_names
    assert required == table.required_columns
    assert details == [column.name for column in table.columns if column.detail]


def test_an_unknown_table_name_lists_the_valid_ones():
    with pytest.raises(KeyError, match="valid tables: crm__contacts, crm__leads"):
        landing_table("crm__contact")

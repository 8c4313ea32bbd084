"""Small simulations shared by the simulator tests, and readers for what they write.

The test run uses --import-mode=importlib, so test modules cannot import a helper module: the
readers reach the tests through the `sim_io` fixture.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

from sources.contract import LANDING_TABLES, ColumnType, LandingTable
from sources.simulator import simulate


@dataclass
class Row:
    file: str  # relative to the landing folder
    row: int  # 1-based data row
    values: dict | None  # None: the line could not be parsed into the header's fields
    raw: str


def read_rows(root: Path, table: LandingTable) -> list[Row]:
    """Every data row of a table, parsed the way a strict reader would."""
    rows: list[Row] = []
    for path in sorted((root / table.source / table.name).glob("*")):
        relative = path.relative_to(root).as_posix()
        if path.suffix == ".parquet":
            for i, values in enumerate(pq.read_table(path).to_pylist(), start=1):
                rows.append(Row(relative, i, values, ""))
        elif path.suffix == ".jsonl":
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                try:
                    values = json.loads(line)
                except json.JSONDecodeError:
                    values = None
                rows.append(Row(relative, i, values if isinstance(values, dict) else None, line))
        else:
            text = path.read_text(encoding="utf-8-sig")
            lines = text.splitlines()
            header = next(csv.reader([lines[0]]))
            for i, line in enumerate(lines[1:], start=1):
                fields = next(csv.reader(io.StringIO(line)))
                values = (
                    dict(zip(header, fields, strict=True)) if len(fields) == len(header) else None
                )
                rows.append(Row(relative, i, values, line))
    return rows


def parse_value(kind: ColumnType, value):
    """The typed value of a field, raising ValueError when it does not parse."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if kind is ColumnType.INTEGER:
        return int(value)
    if kind is ColumnType.NUMBER:
        return float(value)
    if kind is ColumnType.BOOLEAN:
        if value not in ("true", "false"):
            raise ValueError(value)
        return value == "true"
    if kind is ColumnType.DATE:
        return date.fromisoformat(value)
    if kind is ColumnType.TIMESTAMP:
        return datetime.fromisoformat(value)
    return value


def row_problems(table: LandingTable, values: dict | None) -> list[str]:
    """Why a row would not load cleanly: unparseable, missing required values, bad types."""
    if values is None:
        return ["unparseable"]
    problems = []
    for column in table.columns:
        value = values.get(column.name)
        if column.required and (value is None or value == ""):
            problems.append(f"{column.name} missing")
            continue
        try:
            parse_value(column.type, value)
        except ValueError:
            problems.append(f"{column.name} invalid")
    return problems


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


TABLES = {table.qualified_name: table for table in LANDING_TABLES}


@pytest.fixture(scope="session")
def sim_io() -> SimpleNamespace:
    return SimpleNamespace(
        read_rows=read_rows,
        row_problems=row_problems,
        parse_value=parse_value,
        read_csv=read_csv,
        tables=TABLES,
    )


@pytest.fixture(scope="session")
def clean_sim(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "landing"
    simulate(out, customers=500, days=30, seed=7, noise_rate=0.0)
    return out


@pytest.fixture(scope="session")
def noisy_sim(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("noisy") / "landing"
    simulate(out, customers=400, days=30, seed=11, noise_rate=0.05)
    return out


@pytest.fixture(scope="session")
def year_sim(tmp_path_factory) -> Path:
    """A whole year, big enough for behavioural signals to stand out from chance."""
    out = tmp_path_factory.mktemp("year") / "landing"
    simulate(out, customers=2500, days=365, seed=3, noise_rate=0.0)
    return out

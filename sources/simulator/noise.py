"""Data-quality defects, injected at `noise_rate` and every one of them recorded.

About noise_rate of the rows of each table-day carry exactly one defect, drawn from the kinds
that make sense for that table and format:

- malformed_row: a CSV line with the wrong number of fields (a value with an unquoted comma, a
  dropped field, a stray extra field) or a JSONL line that is not valid JSON;
- duplicate_row: the same row twice in one file; resent_row: a row sent again in the next
  day's file;
- late_arriving: an event row held back and delivered one to three days later, so its
  timestamp is days before the file's date;
- out_of_range: a negative amount or quantity, an NPS of 11, a rating of 6, a CSAT of 0, a
  birth date in the future;
- missing_required: a required value (often the key) left empty;
- invalid_value: text in a typed column (N/A, £12.99, 12,50, five, 31/12/2025 14:00).

Stray quote characters are deliberately not used: a single one makes CSV dialect sniffers
(DuckDB's included) give up on quoting for the whole file, which would damage every other row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import ColumnType, LandingTable
from sources.simulator.writers import FileStyle, csv_line, jsonl_line

MALFORMED = "malformed_row"
DUPLICATE = "duplicate_row"
RESENT = "resent_row"
LATE = "late_arriving"
OUT_OF_RANGE = "out_of_range"
MISSING = "missing_required"
INVALID = "invalid_value"
VALUE_KINDS = (OUT_OF_RANGE, MISSING, INVALID)

# Tables whose rows are events: only these can arrive late.
EVENT_TABLES = {
    "ecommerce__orders",
    "ecommerce__order_items",
    "web__events",
    "marketing__messages",
    "support__tickets",
    "surveys__responses",
    "feedback__reviews",
}

# Columns that can hold an out-of-range value, per table.
RANGE_COLUMNS = {
    "crm__contacts": ("date_of_birth",),
    "ecommerce__customers": ("date_of_birth",),
    "ecommerce__orders": ("amount", "discount_amount"),
    "ecommerce__order_items": ("quantity", "unit_price"),
    "ecommerce__products": ("price",),
    "support__tickets": ("csat_score", "queue_seconds"),
    "surveys__responses": ("score",),
    "feedback__reviews": ("rating",),
}

_BAD_TEXT = {
    ColumnType.NUMBER: ("N/A", "£{v}", "{comma}", "unknown", "TBC"),
    ColumnType.INTEGER: ("N/A", "five", "{v} stars", "n/a"),
    ColumnType.TIMESTAMP: ("N/A", "{uk}", "yesterday", "00/00/0000"),
    ColumnType.DATE: ("31/02/1985", "unknown", "N/A"),
    ColumnType.BOOLEAN: ("maybe", "N/A"),
}


@dataclass(frozen=True)
class Defect:
    row: int  # index into the day's batch
    kind: str
    detail: str


def kinds_for(table: LandingTable, style: FileStyle) -> tuple[str, ...]:
    kinds = [DUPLICATE, RESENT, MISSING]
    if style.fmt != "parquet":
        kinds += [MALFORMED, INVALID]
        if table.qualified_name in RANGE_COLUMNS:
            kinds.append(OUT_OF_RANGE)
    if table.qualified_name in EVENT_TABLES:
        kinds.append(LATE)
    return tuple(kinds)


def plan(n: int, rate: float, kinds: tuple[str, ...], rng: np.random.Generator) -> list[Defect]:
    """Which rows get a defect, and which kind (one per row)."""
    if rate <= 0 or n == 0:
        return []
    count = int(rng.binomial(n, rate))
    rows = np.sort(rng.choice(n, size=count, replace=False))
    chosen = rng.integers(0, len(kinds), size=count)
    return [Defect(int(r), kinds[k], "") for r, k in zip(rows, chosen, strict=True)]


def _value(columns: dict[str, pa.Array], name: str, row: int) -> str | None:
    return columns[name][row].as_py()


def _bad_text(kind: ColumnType, value: str | None, rng: np.random.Generator) -> str:
    template = _BAD_TEXT[kind][int(rng.integers(len(_BAD_TEXT[kind])))]
    value = value or "12.50"
    uk = value
    if kind is ColumnType.TIMESTAMP and len(value) >= 16:
        uk = f"{value[8:10]}/{value[5:7]}/{value[0:4]} {value[11:16]}"
    return template.format(v=value, comma=value.replace(".", ","), uk=uk)


def _out_of_range(table: str, column: str, value: str | None, columns, row, rng) -> str:
    if column == "date_of_birth":
        year, month, day = 2030 + rng.integers(0, 60), 1 + rng.integers(0, 9), 10 + rng.integers(9)
        return f"{year}-0{month}-{day}"
    if column in ("amount", "discount_amount", "unit_price", "price", "queue_seconds"):
        return "-" + (value or "1")
    if column == "quantity":
        return ("0", "-1", "-2")[int(rng.integers(3))]
    if column == "csat_score":
        return ("0", "6", "10")[int(rng.integers(3))]
    if column == "rating":
        return ("0", "6")[int(rng.integers(2))]
    if column == "score":
        survey = _value(columns, "survey_type", row)
        options = ("11", "-1") if survey == "nps" else ("0", "6")
        return options[int(rng.integers(2))]
    raise ValueError(f"no out-of-range rule for {table}.{column}")


def corrupt_values(
    table: LandingTable,
    columns: dict[str, pa.Array],
    defects: list[Defect],
    rng: np.random.Generator,
) -> tuple[dict[str, pa.Array], list[Defect]]:
    """Apply the value-level defects; returns new columns and the defects with their details."""
    changes: dict[str, dict[int, str | None]] = {}
    described = []
    for defect in defects:
        if defect.kind not in VALUE_KINDS:
            described.append(defect)
            continue
        if defect.kind == MISSING:
            column = table.required_columns[int(rng.integers(len(table.required_columns)))]
            new, detail = None, f"{column} empty"
        elif defect.kind == INVALID:
            typed = [
                c for c in table.columns if c.type is not ColumnType.TEXT and c.name in columns
            ]
            spec = typed[int(rng.integers(len(typed)))]
            column = spec.name
            new = _bad_text(spec.type, _value(columns, column, defect.row), rng)
            detail = f"{column}={new!r}"
        else:
            candidates = RANGE_COLUMNS[table.qualified_name]
            column = candidates[int(rng.integers(len(candidates)))]
            value = _value(columns, column, defect.row)
            new = _out_of_range(table.qualified_name, column, value, columns, defect.row, rng)
            detail = f"{column}={new!r}"
        changes.setdefault(column, {})[defect.row] = new
        described.append(Defect(defect.row, defect.kind, detail))
    columns = dict(columns)
    for column, rows in changes.items():
        values = columns[column]
        mask = np.zeros(len(values), dtype=bool)
        mask[list(rows)] = True
        replacement = pa.array([rows[r] for r in sorted(rows)], type=values.type)
        columns[column] = pc.replace_with_mask(values, pa.array(mask), replacement)
    return columns, described


def malformed_line(
    names: list[str], values: list[str | None], style: FileStyle, rng: np.random.Generator
) -> tuple[str, str]:
    """A broken rendering of one row, and what is wrong with it."""
    if style.fmt == "jsonl":
        line = jsonl_line(names, values)
        if rng.random() < 0.5:
            cut = max(10, int(len(line) * rng.uniform(0.3, 0.8)))
            return line[:cut] + "\n", "truncated JSON object"
        # Not a trailing comma: DuckDB's JSON reader tolerates that one.
        return line.replace(',"', ' "', 1), "missing comma in JSON object"
    # Rendered field by field so that one value can lose its quotes.
    fields = [csv_line([v], style).rstrip("\r\n") for v in values]
    variant = int(rng.integers(3))
    if variant == 0 and not values[-1]:
        # DuckDB reads a line with one surplus empty field at its end as a trailing delimiter,
        # which would hide the broken quoting: add a visible stray field instead.
        variant = 2
    if variant == 0:
        filled = [i for i, v in enumerate(values) if v and i > 0] or [len(values) - 1]
        column = filled[int(rng.integers(len(filled)))]
        extra = ("UK", "Jr", "etc", "n/a")[int(rng.integers(4))]
        fields[column] = f"{values[column] or ''}, {extra}"
        return ",".join(fields) + style.newline, f"unquoted comma in {names[column]}"
    if variant == 1:
        return ",".join(fields[:-1]) + style.newline, f"{len(fields) - 1} of {len(fields)} fields"
    return ",".join(fields + ["x"]) + style.newline, f"{len(fields) + 1} of {len(fields)} fields"

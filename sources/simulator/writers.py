"""File formats as the source systems export them: CSV dialects, JSONL, Parquet.

Lines are built with pyarrow compute (vectorised), so a day with a million rows is written
without a Python loop. Every line ends with the file's newline, which lets noise injection
reorder, duplicate or defer single rows without re-parsing anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

STRING = pa.string()


@dataclass(frozen=True)
class FileStyle:
    """How one source system writes its export files."""

    fmt: str  # csv | jsonl | parquet
    timestamps: str = "z"  # see formats.timestamps
    quote_all: bool = False  # Salesforce-style: every value in quotes
    newline: str = "\n"
    bom: bool = False  # Excel-style UTF-8 byte order mark

    @property
    def extension(self) -> str:
        return self.fmt


TABLE_FILES = {
    "crm__contacts": FileStyle("csv", "ms_z", quote_all=True, newline="\r\n"),
    "crm__leads": FileStyle("csv", "ms_z", quote_all=True, newline="\r\n"),
    "ecommerce__customers": FileStyle("csv", "z"),
    "ecommerce__orders": FileStyle("csv", "z"),
    "ecommerce__order_items": FileStyle("csv", "z"),
    "ecommerce__products": FileStyle("csv", "z"),
    "web__events": FileStyle("parquet"),
    "marketing__campaigns": FileStyle("csv", "offset"),
    "marketing__messages": FileStyle("jsonl", "z"),
    "support__tickets": FileStyle("csv", "z"),
    "surveys__responses": FileStyle("csv", "space", bom=True),
    "feedback__reviews": FileStyle("csv", "t"),
}


def _csv_values(values: pa.Array, quote_all: bool) -> pa.Array:
    text = values.fill_null("") if values.null_count else values
    quotes = pc.match_substring(text, '"')
    has_quotes = pc.any(quotes).as_py()
    # Escaping is skipped for the (usual) columns without any quote character: it is the
    # costly step when a first export writes a million rows.
    core = pc.replace_substring(text, '"', '""') if has_quotes else text
    escaped = pc.binary_join_element_wise('"', core, '"', "")
    if quote_all:
        # An empty value stays empty (not ""), so missing and empty-string read the same.
        return pc.if_else(pc.equal(text, ""), text, escaped)
    needs_quotes = pc.or_(pc.match_substring(text, ","), pc.match_substring(text, "\n"))
    if has_quotes:
        needs_quotes = pc.or_(needs_quotes, quotes)
    return pc.if_else(needs_quotes, escaped, text)


def csv_lines(columns: Sequence[pa.Array], style: FileStyle) -> pa.Array:
    """One CSV line (with newline) per row."""
    quoted = [_csv_values(c, style.quote_all) for c in columns]
    line = pc.binary_join_element_wise(*quoted, ",")
    return pc.binary_join_element_wise(line, style.newline, "")


def csv_line(values: Sequence[str | None], style: FileStyle) -> str:
    """The same rendering for a single row in Python (used for the few noisy rows)."""
    out = []
    for value in values:
        text = value or ""
        if text and (style.quote_all or any(ch in text for ch in '",\r\n')):
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return ",".join(out) + style.newline


def csv_header(names: Sequence[str], style: FileStyle) -> str:
    return csv_line(list(names), style)


def jsonl_lines(names: Sequence[str], columns: Sequence[pa.Array]) -> pa.Array:
    """One JSON object per line. Values are text; missing values are JSON null."""
    parts = []
    for i, (name, values) in enumerate(zip(names, columns, strict=True)):
        escaped = values
        # Only escape columns that need it (ids, timestamps and emails never do).
        if pc.any(pc.match_substring(values, "\\")).as_py():
            escaped = pc.replace_substring(escaped, "\\", "\\\\")
        if pc.any(pc.match_substring(values, '"')).as_py():
            escaped = pc.replace_substring(escaped, '"', '\\"')
        quoted = pc.binary_join_element_wise('"', escaped, '"', "")
        parts.append(("{" if i == 0 else ",") + json.dumps(name) + ":")
        parts.append(pc.fill_null(quoted, "null"))
    parts.append("}\n")
    return pc.binary_join_element_wise(*parts, "")


def jsonl_line(names: Sequence[str], values: Sequence[str | None]) -> str:
    """The same rendering as jsonl_lines for a single row, in Python."""
    fields = ",".join(
        f"{json.dumps(name)}:{json.dumps(value, ensure_ascii=False)}"
        for name, value in zip(names, values, strict=True)
    )
    return "{" + fields + "}\n"


def line_buffers(lines: pa.Array) -> list[pa.Buffer]:
    """The bytes of a line array, as zero-copy slices of its Arrow data buffer."""
    if len(lines) == 0:
        return []
    if lines.null_count:
        raise ValueError("lines must not be null")
    offsets_type = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=offsets_type)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return [lines.buffers()[2].slice(int(first), int(last - first))]


def join_lines(lines: pa.Array) -> bytes:
    return b"".join(buffer.to_pybytes() for buffer in line_buffers(lines))


def write_text(path: Path, header: str, chunks: Sequence[pa.Array], bom: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        if bom:
            handle.write("\ufeff".encode())
        handle.write(header.encode())
        for chunk in chunks:
            for buffer in line_buffers(chunk):
                handle.write(memoryview(buffer))


def write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)

"""What a suite and a check are: the objects data_quality/suites.py builds from the rule tables
(data_quality/rules/) and data_quality/validation.py runs.

A check is declared by the name of its GX class and its arguments, so that declaring suites
(which Dagster does when it loads the definitions) does not import GX (3-7 s);
data_quality/expectations.py builds the GX objects when it validates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Layer = Literal["raw", "staging", "marts"]
Severity = Literal["error", "warn"]
LAYERS: tuple[Layer, ...] = ("raw", "staging", "marts")

# The frames a suite validates, by name (data_quality/frames.py holds their SQL).
ROWS = "rows"  # the frame of a table's own rows; raw quarantine works on this frame only
FILES = "files"  # raw: one row per newly loaded file, with its volume against the baseline
FRESHNESS = "freshness"  # raw: one row, the table's latest event against the freshest source
LOADS = "loads"  # raw: one row per newly loaded file version, with what the loader made of it


@dataclass(frozen=True)
class Check:
    """One rule: a GX expectation over one frame of a suite, reported as one asset check."""

    name: str
    expectation: str  # GX expectation class, e.g. "ExpectColumnValuesToBeBetween"
    arguments: Mapping[str, Any]
    description: str
    severity: Severity = "error"
    quarantine: bool = False  # row-level: failing raw rows move to audit.quarantine
    frame: str = ROWS
    context: tuple[str, ...] = ()  # more frame columns shown beside failing values
    # Referential coverage: the raw table of the records referenced. A business that delivers
    # none of them makes the rule not applicable; references not known yet may be awaited.
    references: str | None = None

    @property
    def columns(self) -> list[str]:
        """The frame columns whose values a failure shows as samples."""
        args = self.arguments
        if "column" in args:
            return [args["column"]]
        if "column_A" in args:
            return [args["column_A"], args["column_B"]]
        return list(args.get("column_list", []))


@dataclass(frozen=True)
class Suite:
    layer: Layer
    table: str
    frames: Mapping[str, str]  # frame name -> SQL; parameters $watermark and $table
    checks: tuple[Check, ...]
    incremental: bool = True  # validate only rows loaded after the table's watermark
    description: str = ""

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.table}"

    @property
    def asset_path(self) -> list[str]:
        return [self.layer, self.table]

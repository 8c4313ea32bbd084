"""The parts of the insight report's page, and the page itself (report.html.j2)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

# No section names a winner, a best or a worst on fewer observations than this (customers,
# contacts, leads, ...): below it, it says the data are too few.
MIN_SAMPLE = 30


@dataclass(frozen=True)
class Chart:
    svg: str  # "" for a caption alone
    caption: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str
    first_is_id: bool = False  # set in a fixed-width font


@dataclass(frozen=True)
class KpiCard:
    name: str
    value: str
    change: str  # "▲ 12% vs Mar" or "" when there is nothing to compare with
    is_better: bool | None  # None: unchanged or not comparable
    sparkline: str  # inline SVG

    @property
    def tone(self) -> str:
        return {True: "better", False: "worse"}.get(self.is_better, "")


@dataclass
class Section:
    anchor: str
    name: str  # the navigation label
    title: str = ""  # the finding
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cards: list[KpiCard] = field(default_factory=list)
    absent: str | None = None  # why there is nothing to show


def absent(anchor: str, name: str, reason: str) -> Section:
    return Section(anchor, name, title=name, absent=reason)


def too_few(count: int, what: str) -> str:
    """The title of a finding that rests on too little data to name a winner."""
    return f"Too few {what} to tell yet ({count:,} of the {MIN_SAMPLE} needed)"


def sentence(*clauses: str) -> str:
    """Clauses joined by semicolons, first letter upper case."""
    text = "; ".join(clause for clause in clauses if clause)
    return text[:1].upper() + text[1:]


ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(**context) -> str:
    return ENVIRONMENT.get_template("report.html.j2").render(**context)


def write_atomically(path: Path, text: str) -> None:
    """A reader never sees half a page."""
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)

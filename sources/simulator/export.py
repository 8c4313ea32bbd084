"""Turn a day's batch for one table into its file: defects, held-back rows, ground truth.

Order of a file's rows: the day's rows (in-file duplicates right after their original, late
rows removed), then rows held back from earlier days that are due today (late events and
re-sent rows). Row numbers in _truth/noise.csv are 1-based data rows of the final file (the
line number for JSONL, the line after the header for CSV, the row index for Parquet).

Text files are rendered and written in chunks straight from Arrow buffers, so a day with a
million email events does not need several copies of the file in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import LandingTable
from sources.simulator import noise
from sources.simulator.batch import Batch
from sources.simulator.schema import TABLE_COLUMNS
from sources.simulator.state import State
from sources.simulator.streams import day_rng
from sources.simulator.truth import TruthLog
from sources.simulator.writers import (
    TABLE_FILES,
    csv_header,
    csv_lines,
    jsonl_lines,
    write_parquet,
    write_text,
)

# The column whose values identify a person in _truth/identity.csv, per table.
IDENTITY_KEYS = {
    "crm__contacts": "contact_id",
    "crm__leads": "lead_id",
    "ecommerce__customers": "customer_id",
    "support__tickets": "ticket_id",
    "surveys__responses": "response_id",
    "feedback__reviews": "review_id",
    "web__events": "anonymous_id",
}
_META = ("_due", "_person", "_keyno", "_key", "_truth_key", "_kind", "_detail")
CHUNK_ROWS = 200_000


@dataclass
class Tag:
    """A defect at a position of the final file."""

    position: int  # 0-based data row
    kind: str
    detail: str
    key: str


@dataclass
class Exporter:
    out: Path
    seed: int
    noise_rate: float
    state: State
    truth: TruthLog

    def export(self, table: LandingTable, day: int, when: date, batch: Batch | None) -> int:
        """Write the table's file for `day` (if it has rows); returns the data rows written."""
        name = table.qualified_name
        style = TABLE_FILES[name]
        relative = f"{table.source}/{table.name}/{when.isoformat()}.{style.extension}"
        rng = day_rng(self.seed, day, f"noise:{name}")
        n = len(batch) if batch is not None else 0
        defects = noise.plan(n, self.noise_rate, noise.kinds_for(table, style), rng)
        held = self._due(name, day)
        if n == 0 and held is None:
            return 0

        parts: list = []
        people, keynos, keys, tags = [], [], [], []
        order = np.zeros(0, np.int64)
        if n:
            truth_keys = _joined_key(batch.columns, table.key)
            columns, defects = noise.corrupt_values(table, batch.columns, defects, rng)
            identity_key = IDENTITY_KEYS.get(name)
            written_keys = (
                columns[identity_key].fill_null("") if identity_key else pa.nulls(n, pa.string())
            )
            payload = self._render(table, columns, defects, rng)
            repeats = np.ones(n, dtype=np.int64)
            repeats[[d.row for d in defects if d.kind == noise.LATE]] = 0
            repeats[[d.row for d in defects if d.kind == noise.DUPLICATE]] = 2
            order = np.repeat(np.arange(n), repeats)  # sorted: rows keep their order
            parts.append(
                _take_sorted(payload, order) if style.fmt == "parquet" else _runs(payload, order)
            )
            people.append(batch.person[order])
            keynos.append(batch.keyno[order])
            keys.append(written_keys.take(pa.array(order)))
            tags += _tags(defects, order, truth_keys)
        if held is not None:
            start = len(order)
            parts.append(_held_payload(held, style.fmt))
            people.append(held["_person"].to_numpy())
            keynos.append(held["_keyno"].to_numpy())
            keys.append(held["_key"].combine_chunks())
            tags += [
                Tag(start + i, kind, detail, key or "")
                for i, (kind, detail, key) in enumerate(
                    zip(
                        held["_kind"].to_pylist(),
                        held["_detail"].to_pylist(),
                        held["_truth_key"].to_pylist(),
                        strict=True,
                    )
                )
            ]
        self._write(table, relative, parts)
        self._record_truth(
            table,
            relative,
            np.concatenate(people),
            np.concatenate(keynos),
            pa.concat_arrays(keys),
            tags,
        )
        if n:
            self._hold_back(
                table, day, when, relative, batch, payload, written_keys, truth_keys, defects, order
            )
        return len(order) + (held.num_rows if held is not None else 0)

    # -- rendering ---------------------------------------------------------------------------

    def _render(self, table, columns, defects, rng):
        """Parquet: a table. Text: a list of line arrays (chunks), malformed lines patched in."""
        style = TABLE_FILES[table.qualified_name]
        names = list(columns)
        if style.fmt == "parquet":
            return pa.table(columns)
        n = len(next(iter(columns.values())))
        chunks = []
        for begin in range(0, n, CHUNK_ROWS):
            values = [v.slice(begin, CHUNK_ROWS) for v in columns.values()]
            chunks.append(
                jsonl_lines(names, values) if style.fmt == "jsonl" else csv_lines(values, style)
            )
        broken: dict[int, dict[int, str]] = {}  # chunk -> {offset: line}, rows ascending
        for index, defect in enumerate(defects):
            if defect.kind != noise.MALFORMED:
                continue
            row_values = [columns[c][defect.row].as_py() for c in names]
            line, detail = noise.malformed_line(names, row_values, style, rng)
            chunk, offset = divmod(defect.row, CHUNK_ROWS)
            broken.setdefault(chunk, {})[offset] = line
            defects[index] = noise.Defect(defect.row, defect.kind, detail)
        for chunk, lines in broken.items():
            mask = np.zeros(len(chunks[chunk]), dtype=bool)
            mask[list(lines)] = True
            chunks[chunk] = pc.replace_with_mask(
                chunks[chunk], pa.array(mask), pa.array(list(lines.values()), pa.string())
            )
        return chunks

    def _write(self, table: LandingTable, relative: str, parts: list) -> None:
        style = TABLE_FILES[table.qualified_name]
        path = self.out / relative
        if style.fmt == "parquet":
            write_parquet(path, pa.concat_tables(parts) if len(parts) > 1 else parts[0])
            return
        header = (
            "" if style.fmt == "jsonl" else csv_header(TABLE_COLUMNS[table.qualified_name], style)
        )
        write_text(path, header, [chunk for part in parts for chunk in part], style.bom)

    # -- ground truth ------------------------------------------------------------------------

    def _record_truth(self, table, relative, people, keynos, keys, tags: list[Tag]) -> None:
        name = table.qualified_name
        if name in IDENTITY_KEYS:
            written = pc.not_equal(keys, "").to_numpy(zero_copy_only=False)
            rows = np.flatnonzero(written)
            fresh = self.state.first_sightings(name, keynos[rows])
            rows = rows[fresh]
            self.truth.add_identity(
                table.source, table.name, keys.take(pa.array(rows)), people[rows]
            )
        for tag in sorted(tags, key=lambda t: t.position):
            self.truth.add_noise(name, relative, tag.position + 1, tag.key, tag.kind, tag.detail)

    # -- rows for later files ----------------------------------------------------------------

    def _hold_back(
        self, table, day, when, relative, batch, payload, written_keys, truth_keys, defects, order
    ):
        style = TABLE_FILES[table.qualified_name]
        picks, due, kinds, details = [], [], [], []
        rng = day_rng(self.seed, day, f"late:{table.qualified_name}")
        for defect in defects:
            if defect.kind == noise.LATE:
                delay = int(rng.integers(1, 4))
                detail = f"event of {when.isoformat()} delivered {delay} day(s) late"
            elif defect.kind == noise.RESENT:
                delay = 1
                row = int(np.searchsorted(order, defect.row)) + 1
                detail = f"re-sent, first delivered in {relative} row {row}"
            else:
                continue
            picks.append(defect.row)
            due.append(day + delay)
            kinds.append(defect.kind)
            details.append(detail)
        if not picks:
            return
        index = np.asarray(picks, dtype=np.int64)
        meta = {
            "_due": pa.array(np.asarray(due, dtype=np.int32)),
            "_person": pa.array(batch.person[index]),
            "_keyno": pa.array(batch.keyno[index]),
            "_key": written_keys.take(pa.array(index)),
            "_truth_key": truth_keys.take(pa.array(index)),
            "_kind": pa.array(kinds, pa.string()),
            "_detail": pa.array(details, pa.string()),
        }
        if style.fmt == "parquet":
            rows = payload.take(pa.array(index))
            columns = {c: rows[c].combine_chunks() for c in rows.column_names}
        else:
            columns = {"line": pa.concat_arrays(_take_sorted(payload, index))}
        held = pa.table({**columns, **meta})
        current = self.state.pending.get(table.qualified_name)
        self.state.pending[table.qualified_name] = (
            held if current is None else pa.concat_tables([current, held]).combine_chunks()
        )

    def _due(self, name: str, day: int) -> pa.Table | None:
        current = self.state.pending.get(name)
        if current is None:
            return None
        now = pc.equal(current["_due"], day)
        due = current.filter(now)
        rest = current.filter(pc.invert(now))
        if rest.num_rows:
            self.state.pending[name] = rest.combine_chunks()
        else:
            del self.state.pending[name]
        return due.combine_chunks() if due.num_rows else None


def _tags(defects: list[noise.Defect], order: np.ndarray, truth_keys: pa.Array) -> list[Tag]:
    """Positions in the final file of the defects that show in it (late/re-sent show later)."""
    tags = []
    for defect in defects:
        if defect.kind in (noise.LATE, noise.RESENT):
            continue
        first = int(np.searchsorted(order, defect.row))
        key = truth_keys[defect.row].as_py() or ""
        if defect.kind == noise.DUPLICATE:
            tags.append(Tag(first + 1, defect.kind, f"copy of row {first + 1}", key))
        else:
            tags.append(Tag(first, defect.kind, defect.detail, key))
    return tags


def _take_sorted(payload, order: np.ndarray):
    """Rows `order` (ascending) of a table, or of a list of line chunks chunk by chunk."""
    if isinstance(payload, pa.Table):
        return payload.take(pa.array(order))
    taken, begin = [], 0
    for chunk in payload:
        lo, hi = np.searchsorted(order, [begin, begin + len(chunk)])
        if hi > lo:
            taken.append(chunk.take(pa.array(order[lo:hi] - begin)))
        begin += len(chunk)
    return taken


def _runs(chunks: list[pa.Array], order: np.ndarray) -> list[pa.Array]:
    """Rows `order` (ascending, with repeats) of line chunks, as zero-copy slices.

    Consecutive rows stay one slice, so writing a million lines with a few defects costs a
    few thousand slices instead of a copy of the whole file.
    """
    if not len(order):
        return []
    breaks = np.flatnonzero(np.diff(order) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(order)]])
    pieces = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        row, count = int(order[start]), end - start
        while count:
            chunk, offset = divmod(row, CHUNK_ROWS)
            take = min(count, len(chunks[chunk]) - offset)
            pieces.append(chunks[chunk].slice(offset, take))
            row, count = row + take, count - take
    return pieces


def _held_payload(held: pa.Table, fmt: str):
    if fmt == "parquet":
        return held.drop_columns(list(_META))
    return [held["line"].combine_chunks()]


def _joined_key(columns: dict[str, pa.Array], key: tuple[str, ...]) -> pa.Array:
    parts = [columns[k].cast(pa.string()).fill_null("") for k in key]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "|")

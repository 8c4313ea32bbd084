"""Erasure beyond the warehouse's tables: the files that keep history.

The rebuild after an erasure writes the current BI snapshot, reports and models without the
people; what it leaves is history written before: earlier model versions (the segmentation
model keeps the ids it was trained on), earlier report pages and run logs. Model versions other
than the current one are removed; text files are redacted in place. The warehouse file itself
keeps the bytes of deleted rows in its freed blocks until DuckDB reuses them (in the test an
erased email was still readable there), so it is copied into a new file and swapped in.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

from sources.readers import quote_ident, quote_literal

REDACTED = b"[erased]"
TEXT_FILES = (".html", ".json", ".log", ".txt", ".md", ".csv", ".jsonl", ".svg")


def drop_earlier_model_versions(models_dir: Path) -> list[str]:
    """Keep, for each model, only the version folder written last (the one the rebuild trained
    or confirmed); returns the versions removed, as `<model>/<version>`."""
    removed = []
    if not models_dir.is_dir():
        return removed
    for model in sorted(p for p in models_dir.iterdir() if p.is_dir()):
        versions = sorted((p for p in model.iterdir() if p.is_dir()), key=last_written)
        for version in versions[:-1]:
            shutil.rmtree(version)
            removed.append(f"{model.name}/{version.name}")
    return removed


def last_written(folder: Path) -> float:
    """When a file in `folder` was last written (saving a model rewrites its files in place)."""
    return max((path.stat().st_mtime for path in folder.rglob("*")), default=0.0)


def redact_text_files(
    folders: list[Path], find: Callable[[bytes], list[tuple[int, int]]], skip: tuple[Path, ...]
) -> list[str]:
    """Replace every span `find` returns (privacy.verify.Traces.spans, given the lowercased
    content) in the text files under `folders` by [erased], each file rewritten in one rename;
    returns the files changed. Folders in `skip` are left to their own erasure (landing zone,
    BI snapshot, models)."""
    changed = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file() or path.suffix.lower() not in TEXT_FILES:
                continue
            if any(path.is_relative_to(place) for place in skip):
                continue
            content = path.read_bytes()
            spans = find(content.lower())
            if not spans:
                continue
            kept = [0, *(edge for span in spans for edge in span), len(content)]
            pieces = [content[kept[i] : kept[i + 1]] for i in range(0, len(kept), 2)]
            temporary = path.with_name(f".{path.name}.erasing")
            temporary.write_bytes(REDACTED.join(pieces))
            os.replace(temporary, path)
            changed.append(str(path))
    return changed


def compact_warehouse(warehouse: Path) -> tuple[int, int]:
    """Copy every schema, table and row of the warehouse into a new file and swap it in (one
    rename), so no freed block of the old file survives; file sizes before and after. The caller
    holds the run lock; a reader that had the old file open keeps it until it closes."""
    before = warehouse.stat().st_size
    staged = warehouse.with_name(f".{warehouse.name}.compacting-{uuid.uuid4().hex[:8]}")
    try:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("checkpoint")
            [(database,)] = con.execute("select current_database()").fetchall()
            con.execute(f"attach {quote_literal(str(staged))} as compacted")
            con.execute(f"copy from database {quote_ident(database)} to compacted")
            con.execute("detach compacted")
        os.replace(staged, warehouse)
    finally:
        for leftover in (staged, staged.with_name(staged.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return before, warehouse.stat().st_size

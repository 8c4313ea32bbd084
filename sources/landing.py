"""The landing zone on disk: which files a table has, what identifies them, how to read them.

Only file metadata and the first line of CSV files are read here; the data itself is read by
DuckDB (sources/readers.py).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sources.contract import FILE_FORMATS, LandingTable

CSV_DELIMITERS = ",;\t|"
HEADER_BYTES = 1 << 16


@dataclass(frozen=True)
class LandingFile:
    """One version of one landing file: its path relative to the landing dir and its hash."""

    path: Path
    relative: str
    digest: str
    format: str
    size: int

    def rescanned(self) -> LandingFile:
        """This file as it is on disk now (after a rewrite)."""
        return landing_file(self.path.parents[len(Path(self.relative).parts) - 1], self.path)

    @property
    def load_id(self) -> str:
        """Deterministic: loading the same version again would produce the same id."""
        return hashlib.sha256(f"{self.relative}\0{self.digest}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    columns: tuple[str, ...]  # normalised header names, in file order


def table_files(landing_dir: Path, table: LandingTable) -> tuple[list[Path], list[Path]]:
    """Files of one table, in path order (so files named by date load chronologically).

    Returns (loadable, ignored). Entries whose name starts with `.` (files being written) or
    `_` (such as the simulator's `_truth`) are skipped silently; other files with an unknown
    extension are returned as ignored so the caller can warn about them.
    """
    folder = landing_dir / table.source / table.name
    if not folder.is_dir():
        return [], []
    loadable, ignored = [], []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if not path.is_file() or any(part.startswith((".", "_")) for part in parts):
            continue
        (loadable if file_format(path) else ignored).append(path)
    return loadable, ignored


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FILE_FORMATS else None


def landing_file(landing_dir: Path, path: Path) -> LandingFile:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return LandingFile(
        path=path,
        relative=path.relative_to(landing_dir).as_posix(),
        digest=digest,
        format=file_format(path),
        size=path.stat().st_size,
    )


def csv_dialect(path: Path) -> CsvDialect | None:
    """Delimiter and header of a CSV file, from its first line; None when it has no header.

    DuckDB's own sniffer looks at the data too, and one stray quote or short row in a small file
    can make it guess a dialect that silently garbles every other row; the header alone decides.
    """
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES).decode("utf-8-sig", errors="replace")
    lines = head.splitlines()
    first = lines[0] if lines else ""
    if not first.strip():
        return None
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:  # a single column has nothing to sniff
        delimiter = ","
    header = next(csv.reader([first], delimiter=delimiter))
    return CsvDialect(delimiter, tuple(normalise_column_names(header)))


def normalise_column_names(names: list[str]) -> list[str]:
    """Headers become snake_case (`Lead Source` -> `lead_source`); clashes get a suffix."""
    seen: set[str] = set()
    result = []
    for name in names:
        clean = re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")
        clean = clean or "column"
        candidate, n = clean, 1
        while candidate in seen:
            n += 1
            candidate = f"{clean}_{n}"
        seen.add(candidate)
        result.append(candidate)
    return result


def landing_fingerprint(directory: Path) -> str:
    """A digest of every landing file's path, size and modification time.

    Cheap (no file contents read), and it changes whenever a file is added, replaced or removed.
    Hidden and `_`-prefixed entries are ignored, as the loader ignores them.
    """
    digest = hashlib.sha256()
    if directory.is_dir():
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in sorted(f for f in files if not f.startswith((".", "_"))):
                stat = (Path(root) / name).stat()
                relative = os.path.relpath(Path(root) / name, directory)
                digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()

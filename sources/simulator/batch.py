"""A day's rows for one landing table, before they become a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass
class Batch:
    """Columns in contract order (text for CSV/JSONL, typed for Parquet), plus who each row is.

    person: the person index behind each row (ground truth, never written to the file).
    keyno: a number identifying the row's record, for writing each identity once; -1 when the
    table has no identity ground truth.
    """

    columns: dict[str, pa.Array]
    person: np.ndarray
    keyno: np.ndarray

    def __post_init__(self) -> None:
        self.person = np.asarray(self.person, dtype=np.int64)
        self.keyno = np.asarray(self.keyno, dtype=np.int64)
        lengths = {len(v) for v in self.columns.values()} | {len(self.person), len(self.keyno)}
        if len(lengths) != 1:
            raise ValueError(f"batch columns differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.person)

    @staticmethod
    def concat(batches: Iterable[Batch | None]) -> Batch | None:
        parts = [b for b in batches if b is not None and len(b)]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        names = list(parts[0].columns)
        return Batch(
            {n: pa.concat_arrays([p.columns[n] for p in parts]) for n in names},
            np.concatenate([p.person for p in parts]),
            np.concatenate([p.keyno for p in parts]),
        )

    def take(self, rows: np.ndarray) -> Batch:
        index = pa.array(np.asarray(rows, dtype=np.int64))
        return Batch(
            {n: v.take(index) for n, v in self.columns.items()},
            self.person[rows],
            self.keyno[rows],
        )

"""The ground truth in <out>/_truth: who is behind every record, and every injected defect.

The pipeline never reads it (the loader skips folders starting with `_`); tests and evaluations
of identity resolution, churn and lead models do. identity.csv and noise.csv grow day by day
(append), persons.csv is rewritten at the end of every run with the people's state then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.simulator import formats
from sources.simulator.identity import Identities
from sources.simulator.lexicon import CHANNELS, PERSONAS
from sources.simulator.population import PATHS, Population
from sources.simulator.state import NEVER, State
from sources.simulator.writers import (
    FileStyle,
    csv_header,
    csv_line,
    csv_lines,
    join_lines,
    line_buffers,
)

TRUTH_DIR = "_truth"
STATE_DIR = "state"
IDENTITY_COLUMNS = ("source", "source_table", "source_key", "person_id")
NOISE_COLUMNS = ("source_table", "file", "row", "source_key", "kind", "detail")
PLAIN = FileStyle("csv")
PERSONS_CHUNK = 200_000


def person_ids(people: np.ndarray) -> pa.Array:
    return formats.numbered("P", np.asarray(people) + 1, 0, 7)


class TruthLog:
    """Buffers one day's identity and noise rows, then appends them to the CSV files."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.identity: list[bytes] = []
        self.noise: list[str] = []
        self.defects = 0

    def add_identity(self, source: str, table: str, keys: pa.Array, people: np.ndarray) -> None:
        if len(keys) == 0:
            return
        n = len(keys)
        lines = csv_lines(
            [formats.constant(source, n), formats.constant(table, n), keys, person_ids(people)],
            PLAIN,
        )
        self.identity.append(join_lines(lines))

    def add_noise(self, table: str, file: str, row: int, key: str, kind: str, detail: str) -> None:
        self.noise.append(csv_line([table, file, str(row), key, kind, detail], PLAIN))
        self.defects += 1

    def flush(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _append(self.folder / "identity.csv", IDENTITY_COLUMNS, b"".join(self.identity))
        _append(self.folder / "noise.csv", NOISE_COLUMNS, "".join(self.noise).encode())
        self.identity.clear()
        self.noise.clear()


def _append(path: Path, header: Sequence[str], body: bytes) -> None:
    new = not path.exists()
    with path.open("ab") as handle:
        if new:
            handle.write(csv_header(header, PLAIN).encode())
        handle.write(body)


def write_persons(folder: Path, pop: Population, ids: Identities, state: State) -> None:
    """One row per person: latent traits, canonical identity and where the run left them."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "persons.csv").open("wb") as handle:
        for begin in range(0, pop.n, PERSONS_CHUNK):
            people = np.arange(begin, min(begin + PERSONS_CHUNK, pop.n))
            columns = _person_columns(pop, ids, state, people)
            if begin == 0:
                handle.write(csv_header(list(columns), PLAIN).encode())
            for buffer in line_buffers(csv_lines(list(columns.values()), PLAIN)):
                handle.write(memoryview(buffer))


def _person_columns(pop: Population, ids: Identities, state: State, people: np.ndarray) -> dict:
    ordinal = pop.start_date.toordinal()
    churn_day = state.churn_day[people]
    churned = churn_day < NEVER
    hazard = pop.churn_hazard[people].astype(np.float64)
    household = pop.household[people]
    return {
        "person_id": person_ids(people),
        "persona": formats.lookup(PERSONAS, pop.persona[people]),
        "entry_path": formats.lookup(PATHS, pop.path[people]),
        "arrival_date": formats.dates(ordinal + pop.arrival_day[people].astype(np.int64)),
        "first_name": ids.first_names(people),
        "last_name": ids.last_names(people),
        "email": ids.primary_emails(people),
        "alternative_email": ids.alternative_emails(people),
        "household_id": formats.null_where(person_ids(np.maximum(household, 0)), household < 0),
        "city": ids.cities(people),
        "date_of_birth": formats.dates(pop.birth_ordinal[people]),
        "price_sensitivity": _decimals(pop.price_sensitivity[people], 3),
        "preferred_channel": formats.lookup(CHANNELS, pop.channel[people]),
        "preferred_hour": formats.integers(pop.preferred_hour[people]),
        "interests": ids.interests(people),
        "churn_hazard": _decimals(1 - np.exp(-365.0 * hazard), 4),  # yearly probability
        "lead_conversion_propensity": _decimals(pop.lead_propensity[people], 3),
        "email_engagement": _decimals(pop.email_engagement[people], 3),
        "churned_at": formats.dates(
            ordinal + np.where(churned, churn_day, 0).astype(np.int64), churned
        ),
        "dissatisfaction": _decimals(state.bad[people], 3),
        "orders": formats.integers(state.orders[people]),
        "revenue": formats.money(state.spend_pence[people]),
    }


def _decimals(values: np.ndarray, places: int) -> pa.Array:
    scaled = np.round(np.asarray(values, dtype=np.float64) * 10**places).astype(np.int64)
    whole = pc.cast(pa.array(scaled // 10**places), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(scaled % 10**places), pa.string()), places, "0")
    return pc.binary_join_element_wise(whole, ".", fraction, "")


def write_simulation(folder: Path, record: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    (folder / "simulation.json").write_text(text)


def read_simulation(folder: Path) -> dict | None:
    path = folder / "simulation.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())

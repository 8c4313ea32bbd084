"""Everything that carries over from one simulated day to the next, and its saved form.

Traits are recomputed from the seed; only what the days changed is kept here: who has which
account, lead statuses, churn, dissatisfaction, counters for keys, things scheduled for later
days (email opens, tickets, surveys, reviews) and rows held back for a later file. Saved as one
.npy file per array and Arrow IPC files for held-back rows: both are byte-for-byte
deterministic, so a continued simulation equals an uninterrupted one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

NEVER = np.int32(2**30)

# Lead status codes (see lexicon.LEAD_STATUSES) and CRM lifecycle codes.
LEAD_NEW, LEAD_CONTACTED, LEAD_QUALIFIED, LEAD_CONVERTED, LEAD_LOST = 1, 2, 3, 4, 5
STAGE_SUBSCRIBER, STAGE_LEAD, STAGE_MQL, STAGE_CUSTOMER, STAGE_EVANGELIST = 0, 1, 2, 3, 4

# name: (dtype, initial value)
PERSON_FIELDS = {
    "contact_no": (np.int64, -1),
    "contact_created": (np.int64, -1),
    "contact_updated": (np.int64, -1),
    "lifecycle": (np.int8, 0),
    "consent_email": (np.bool_, False),
    "consent_sms": (np.bool_, False),
    "bounced": (np.bool_, False),
    "lead_no": (np.int64, -1),
    "lead_created": (np.int64, -1),
    "lead_status": (np.int8, 0),
    "lead_status_day": (np.int32, 0),
    "lead_converted": (np.int64, -1),
    "lead_source": (np.int8, -1),
    "lead_campaign": (np.int64, -1),
    "lead_pages": (np.int16, 0),
    "customer_no": (np.int64, -1),
    "customer_created": (np.int64, -1),
    "churn_day": (np.int32, NEVER),
    "bad": (np.float32, 0.0),
    "orders": (np.int32, 0),
    "last_order_no": (np.int64, -1),
    "last_order_day": (np.int32, -NEVER),
    "spend_pence": (np.int64, 0),
    "coupon_key": (np.int64, -1),
    "coupon_until": (np.int32, -1),
}

COUNTERS = (
    "contact",
    "lead",
    "customer",
    "order",
    "ticket",
    "response",
    "review",
    "event",
    "session",
    "message",
)


@dataclass
class State:
    day: int  # the next day to simulate (0 = start_date)
    person: dict[str, np.ndarray]
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    agenda: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    pending: dict[str, pa.Table] = field(default_factory=dict)
    emitted: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls, n: int) -> State:
        person = {
            name: np.full(n, value, dtype=dtype) for name, (dtype, value) in PERSON_FIELDS.items()
        }
        return cls(day=0, person=person)

    def __getattr__(self, name: str) -> np.ndarray:
        # Person arrays read as attributes (state.churn_day) keep the day logic readable.
        person = self.__dict__.get("person")
        if person is not None and name in person:
            return person[name]
        raise AttributeError(name)

    def take(self, counter: str, count: int) -> np.ndarray:
        """Reserve `count` consecutive numbers of a counter (for keys)."""
        first = self.counters[counter]
        self.counters[counter] = first + count
        return np.arange(first, first + count, dtype=np.int64)

    # -- agenda: things due on a later day ---------------------------------------------------

    def schedule(self, name: str, **columns: np.ndarray) -> None:
        if not len(columns["due"]):
            return
        current = self.agenda.get(name)
        if current is None:
            self.agenda[name] = {k: np.asarray(v) for k, v in columns.items()}
        else:
            self.agenda[name] = {
                k: np.concatenate([current[k], np.asarray(columns[k], dtype=current[k].dtype)])
                for k in current
            }

    def due(self, name: str, day: int) -> dict[str, np.ndarray]:
        """Remove and return the entries due on `day` (in the order they were scheduled)."""
        current = self.agenda.get(name)
        if current is None:
            return {}
        now = current["due"] == day
        if not now.any():
            return {k: v[:0] for k, v in current.items()}
        self.agenda[name] = {k: v[~now] for k, v in current.items()}
        return {k: v[now] for k, v in current.items()}

    # -- identity bookkeeping ----------------------------------------------------------------

    def first_sightings(self, table: str, keyno: np.ndarray) -> np.ndarray:
        """Mask of rows whose key is written for the first time (for _truth/identity.csv)."""
        seen = self.emitted.get(table, np.zeros(0, dtype=bool))
        if len(keyno) and keyno.max() >= len(seen):
            grown = np.zeros(max(int(keyno.max()) + 1, 2 * len(seen)), dtype=bool)
            grown[: len(seen)] = seen
            seen = grown
        fresh = ~seen[keyno]
        _, first = np.unique(keyno, return_index=True)
        once = np.zeros(len(keyno), dtype=bool)
        once[first] = True
        fresh &= once
        seen[keyno[fresh]] = True
        self.emitted[table] = seen
        return fresh

    # -- persistence -------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        meta = {"day": self.day, "counters": self.counters, "agenda": {}}
        for name, values in self.person.items():
            np.save(folder / f"person.{name}.npy", values, allow_pickle=False)
        for name, columns in sorted(self.agenda.items()):
            meta["agenda"][name] = sorted(columns)
            for column, values in columns.items():
                np.save(folder / f"agenda.{name}.{column}.npy", values, allow_pickle=False)
        for name, seen in sorted(self.emitted.items()):
            np.save(folder / f"emitted.{name}.npy", seen, allow_pickle=False)
        for name, table in sorted(self.pending.items()):
            with pa.OSFile(str(folder / f"pending.{name}.arrow"), "wb") as sink:
                with pa.ipc.new_file(sink, table.schema) as writer:
                    writer.write_table(table)
        (folder / "state.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder: Path) -> State:
        meta = json.loads((folder / "state.json").read_text())
        person = {
            name: np.load(folder / f"person.{name}.npy", allow_pickle=False)
            for name in PERSON_FIELDS
        }
        state = cls(day=meta["day"], person=person, counters=meta["counters"])
        for name, columns in meta["agenda"].items():
            state.agenda[name] = {
                c: np.load(folder / f"agenda.{name}.{c}.npy", allow_pickle=False) for c in columns
            }
        for path in sorted(folder.glob("emitted.*.npy")):
            state.emitted[path.name[len("emitted.") : -len(".npy")]] = np.load(path)
        for path in sorted(folder.glob("pending.*.arrow")):
            with pa.OSFile(str(path), "rb") as source:
                table = pa.ipc.open_file(source).read_all()
            state.pending[path.name[len("pending.") : -len(".arrow")]] = table.combine_chunks()
        return state

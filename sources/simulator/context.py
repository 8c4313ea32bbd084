"""What a simulated day works with: the fixed world, the carried-over state, today's output."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from sources.simulator.batch import Batch
from sources.simulator.catalogue import Catalogue
from sources.simulator.identity import Identities
from sources.simulator.population import Population
from sources.simulator.seasons import day_start_seconds
from sources.simulator.state import State
from sources.simulator.streams import day_rng


@dataclass
class World:
    """Everything drawn once from the parameters; identical in every run of a simulation."""

    seed: int
    start_date: date
    pop: Population
    ids: Identities
    catalogue: Catalogue

    @classmethod
    def build(cls, seed: int, customers: int, start_date: date) -> World:
        pop = Population(seed, customers, start_date)
        return cls(seed, start_date, pop, Identities(pop, seed), Catalogue(seed, start_date))


@dataclass
class Clicks:
    """Email clicks of the day: they bring people to the site and nudge them to buy."""

    person: np.ndarray
    ts: np.ndarray
    campaign: np.ndarray


@dataclass
class Day:
    world: World
    state: State
    index: int
    batches: dict[str, list[Batch]] = field(default_factory=dict)
    touched_contacts: list[np.ndarray] = field(default_factory=list)
    touched_leads: list[np.ndarray] = field(default_factory=list)
    clicks: Clicks | None = None

    @property
    def date(self) -> date:
        return self.world.start_date + timedelta(days=self.index)

    @property
    def start(self) -> int:
        """Unix seconds at 00:00 UTC."""
        return day_start_seconds(self.date)

    @property
    def end(self) -> int:
        """Last second of the day."""
        return self.start + 86399

    def rng(self, purpose: str) -> np.random.Generator:
        return day_rng(self.world.seed, self.index, purpose)

    def add(self, table: str, batch: Batch | None) -> None:
        if batch is not None and len(batch):
            self.batches.setdefault(table, []).append(batch)

    def touch_contacts(self, people: np.ndarray) -> None:
        if len(people):
            self.touched_contacts.append(np.asarray(people, dtype=np.int64))

    def touch_leads(self, people: np.ndarray) -> None:
        if len(people):
            self.touched_leads.append(np.asarray(people, dtype=np.int64))

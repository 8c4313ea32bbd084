"""The product catalogue: a few hundred products in ten categories, launches and price changes.

The catalogue is a pure function of the seed and the date (launch days are drawn once for ten
years ahead; sales and yearly price rises follow the calendar), so it needs no saved state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sources.simulator.product_words import (
    CATEGORIES,
    CATEGORY_POPULARITY,
    PRODUCT_ADJECTIVES,
    PRODUCT_VARIANTS,
)
from sources.simulator.seasons import black_friday
from sources.simulator.streams import mix64, static_rng

INITIAL_PRODUCTS = 320
LAUNCHES_PER_WEEK = 1.5
HORIZON_DAYS = 3660


def retail_round(pence: np.ndarray) -> np.ndarray:
    """Shop prices end in .49 or .99."""
    return np.maximum(np.ceil(np.asarray(pence) / 50.0) * 50 - 1, 99).astype(np.int64)


@dataclass(frozen=True)
class Sale:
    start: date
    end: date  # inclusive
    code: int


def sales_of_year(year: int) -> tuple[Sale, ...]:
    friday = black_friday(year)
    return (
        Sale(date(year, 1, 1), date(year, 1, 31), 1),  # the January sale, continued
        Sale(date(year, 6, 26), date(year, 7, 31), 2),  # summer sale
        Sale(friday - timedelta(days=4), friday + timedelta(days=3), 3),  # Black Friday
        Sale(date(year, 12, 26), date(year, 12, 31), 4),  # Boxing Day
    )


class Catalogue:
    """Products, indexed 0..n-1 in launch order; product_id is SKU-<10001 + index>."""

    def __init__(self, seed: int, start_date: date):
        rng = static_rng(seed, "catalogue")
        self.seed = seed
        self.start_date = start_date
        future = rng.poisson(LAUNCHES_PER_WEEK * HORIZON_DAYS / 7)
        n = INITIAL_PRODUCTS + future
        launch = np.concatenate(
            [
                -rng.integers(30, 2000, INITIAL_PRODUCTS),
                np.sort(rng.integers(1, HORIZON_DAYS, future)),
            ]
        )
        order = np.argsort(launch, kind="stable")
        self.launch_day = launch[order].astype(np.int32)
        weights = np.array(CATEGORY_POPULARITY, dtype=np.float64)
        self.category = rng.choice(len(CATEGORIES), n, p=weights / weights.sum()).astype(np.int8)
        medians = np.array([c[2] for c in CATEGORIES])
        spreads = np.array([c[3] for c in CATEGORIES])
        raw = medians[self.category] * np.exp(rng.normal(0, spreads[self.category])) * 100
        self.base_price = retail_round(raw)
        # Latent quality drives ratings and defects; popularity follows a long tail.
        self.quality = rng.beta(5, 2, n).astype(np.float32)
        self.popularity = (rng.pareto(1.3, n) + 0.2).astype(np.float64)
        defect_base = np.array([c[4] for c in CATEGORIES])
        self.defect_rate = (defect_base[self.category] * (1.6 - self.quality)).astype(np.float32)
        nouns = [CATEGORIES[c][5][rng.integers(len(CATEGORIES[c][5]))] for c in self.category]
        adjectives = rng.integers(len(PRODUCT_ADJECTIVES), size=n)
        variants = rng.integers(len(PRODUCT_VARIANTS), size=n)
        with_variant = rng.random(n) < 0.55
        self.noun = nouns
        self.name = [
            f"{PRODUCT_ADJECTIVES[a]} {noun}" + (f" – {PRODUCT_VARIANTS[v]}" if w else "")
            for a, noun, v, w in zip(adjectives, nouns, variants, with_variant, strict=True)
        ]
        self._prices: dict[date, np.ndarray] = {}
        self.product_id = [f"SKU-{10001 + i}" for i in range(n)]
        self.url = [
            f"/p/{pid.lower()}-{'-'.join(name.lower().replace('–', '').split())}"
            for pid, name in zip(self.product_id, self.name, strict=True)
        ]

    def __len__(self) -> int:
        return len(self.launch_day)

    def day_of(self, when: date) -> int:
        return (when - self.start_date).days

    def _uniform(self, salt: int) -> np.ndarray:
        return mix64(np.arange(len(self)), self.seed * 7919 + salt).astype(np.float64) / 2.0**64

    def prices_on(self, when: date) -> np.ndarray:
        """Price in pence of every product on a day (launched or not)."""
        if when not in self._prices:
            if len(self._prices) > 4:
                self._prices.clear()
            self._prices[when] = self._compute_prices(when)
        return self._prices[when]

    def _compute_prices(self, when: date) -> np.ndarray:
        price = self.base_price.astype(np.float64)
        # Yearly price rise on 1 March for about half the range, compounding.
        first_year = self.start_date.year - 6
        for year in range(first_year, when.year + 1):
            if date(year, 3, 1) <= when:
                u = self._uniform(year)
                price = np.where(u < 0.5, price * (1.02 + 0.06 * u), price)
        price = retail_round(price)
        for sale in sales_of_year(when.year):
            if sale.start <= when <= sale.end:
                u = self._uniform(10_000 * when.year + sale.code)
                cut = 0.2 + 0.3 * (u * 3 % 1.0)
                price = np.where(u < 0.35, retail_round(price * (1 - cut)), price)
        return price

    def active(self, day: int) -> np.ndarray:
        return self.launch_day <= day

    def changed_on(self, day: int) -> np.ndarray:
        """Indexes of products to export on a day: launched that day, or repriced."""
        when = self.start_date + timedelta(days=day)
        if day == 0:
            return np.flatnonzero(self.active(0))
        launched = self.launch_day == day
        repriced = self.prices_on(when) != self.prices_on(when - timedelta(days=1))
        return np.flatnonzero(launched | (repriced & (self.launch_day < day)))

    def pick(self, day: int, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Product per requested category, by popularity among products on sale that day."""
        live = self.active(day)
        chosen = np.empty(len(category), dtype=np.int64)
        for c in np.unique(category):
            candidates = np.flatnonzero(live & (self.category == c))
            if len(candidates) == 0:
                candidates = np.flatnonzero(live)
            weights = np.cumsum(self.popularity[candidates])
            rows = category == c
            position = np.searchsorted(weights, u[rows] * weights[-1], side="right")
            chosen[rows] = candidates[np.minimum(position, len(candidates) - 1)]
        return chosen

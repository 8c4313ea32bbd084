"""The people: latent traits that drive behaviour, and the raw ingredients of their identities.

Drawn once from the seed. Person i is `P<i+1>` in the ground truth; people are numbered in
order of arrival, so the people arriving on a day are one contiguous range. About 60% exist
before start_date; the rest first turn up over the following 365 days, whatever the number of
days simulated, so a short run and a longer one agree on everyone's traits.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from sources.simulator.lexicon import (
    CITIES,
    EMAIL_DOMAINS,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    STORES,
    STREET_NAMES,
    STREET_TYPES,
    WORK_DOMAINS,
)
from sources.simulator.product_words import CATEGORIES, CATEGORY_POPULARITY
from sources.simulator.seasons import arrival_weight
from sources.simulator.streams import static_rng

PRE_EXISTING_SHARE = 0.60
ARRIVAL_HORIZON_DAYS = 365
HISTORY_DAYS = 1095

# Entry paths: how a person first becomes known to the business.
REGISTERED, LEAD, ANONYMOUS = 0, 1, 2
PATHS = ("registered", "lead", "anonymous")

WEB, APP, STORE = 0, 1, 2

# Per persona (bargain_hunter, loyal_regular, occasional_gifter, high_value_enthusiast,
# window_shopper). These tables are the whole "psychology" of the simulation.
PERSONA_SHARE = np.array([0.24, 0.20, 0.20, 0.10, 0.26])
PATH_SHARE = np.array(
    [
        [0.55, 0.30, 0.15],
        [0.70, 0.22, 0.08],
        [0.45, 0.30, 0.25],
        [0.65, 0.25, 0.10],
        [0.25, 0.40, 0.35],
    ]
)
CHANNEL_SHARE = np.array(
    [
        [0.55, 0.30, 0.15],
        [0.35, 0.30, 0.35],
        [0.50, 0.10, 0.40],
        [0.45, 0.40, 0.15],
        [0.70, 0.20, 0.10],
    ]
)
PRICE_SENSITIVITY_BETA = np.array([[6, 2], [3, 4], [3, 3], [2, 6], [4, 3]], dtype=float)
ANNUAL_CHURN = np.array([0.45, 0.12, 0.35, 0.15, 0.50])
ORDERS_PER_YEAR = np.array([4.5, 9.0, 2.5, 12.0, 0.6])
VISITS_PER_DAY = np.array([0.07, 0.07, 0.03, 0.10, 0.12])
EXTRA_ITEMS = np.array([0.6, 1.0, 0.5, 1.5, 0.3])
EMAIL_ENGAGEMENT_MEAN = np.array([0.40, 0.50, 0.28, 0.55, 0.22])
LEAD_PROPENSITY_SHIFT = np.array([0.0, 0.10, -0.02, 0.15, -0.15])
MEAN_AGE = np.array([35, 47, 52, 38, 29])
REVIEW_RATE = np.array([0.03, 0.05, 0.02, 0.09, 0.01])


class Population:
    """Arrays of length n, one entry per person."""

    def __init__(self, seed: int, n: int, start_date: date):
        rng = static_rng(seed, "population")
        self.n = n
        self.start_date = start_date
        self.arrival_day = self._arrivals(rng, n, start_date)
        self.arrival_second = np.zeros(n, dtype=np.int32)  # set below from preferred hour

        self.persona = rng.choice(5, n, p=PERSONA_SHARE).astype(np.int8)
        p = self.persona
        self.path = _choose_rows(rng, PATH_SHARE[p]).astype(np.int8)
        self.channel = _choose_rows(rng, CHANNEL_SHARE[p]).astype(np.int8)
        beta = PRICE_SENSITIVITY_BETA[p]
        self.price_sensitivity = rng.beta(beta[:, 0], beta[:, 1]).astype(np.float32)
        self.preferred_hour = self._preferred_hours(rng, n)
        self.arrival_second = (
            self.preferred_hour.astype(np.int32) * 3600 + rng.integers(0, 3600, n)
        ).astype(np.int32)
        self.interests, self.interest_rank, self.interest_count = self._interests(rng, n)
        annual = np.clip(ANNUAL_CHURN[p] * np.exp(rng.normal(0, 0.35, n)), 0.02, 0.95)
        self.churn_hazard = (-np.log1p(-annual) / 365.0).astype(np.float32)
        propensity = rng.beta(2.0, 3.0, n) + LEAD_PROPENSITY_SHIFT[p]
        self.lead_propensity = np.clip(propensity, 0.01, 0.99).astype(np.float32)
        mean = EMAIL_ENGAGEMENT_MEAN[p]
        self.email_engagement = rng.beta(mean * 6, (1 - mean) * 6).astype(np.float32)
        self.syncs_to_crm = rng.random(n) < np.where(self.path == LEAD, 1.0, 0.85)
        self.consents_email = rng.random(n) < 0.78
        self.consents_sms = rng.random(n) < 0.35

        self._demographics(rng, n)
        self._addresses(rng, n)
        self._contact_points(rng, n)
        self._households(rng, n)
        self._devices(rng, n)

    # -- arrival -----------------------------------------------------------------------------

    @staticmethod
    def _arrivals(rng: np.random.Generator, n: int, start: date) -> np.ndarray:
        before = rng.random(n) < PRE_EXISTING_SHARE
        # Long-standing relationships are rarer than recent ones.
        history = -(1 + np.floor(HISTORY_DAYS * rng.random(n) ** 1.6)).astype(np.int64)
        weights = np.array(
            [arrival_weight(start + timedelta(days=d)) for d in range(ARRIVAL_HORIZON_DAYS)]
        )
        later = rng.choice(ARRIVAL_HORIZON_DAYS, n, p=weights / weights.sum())
        return np.sort(np.where(before, history, later)).astype(np.int32)

    def arriving(self, day: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.arrival_day, [day, day + 1])
        return np.arange(lo, hi)

    def existing_before_start(self) -> np.ndarray:
        return np.arange(np.searchsorted(self.arrival_day, 0))

    def arrived_by(self, day: int) -> int:
        """People 0..k-1 have arrived by the end of `day`."""
        return int(np.searchsorted(self.arrival_day, day + 1))

    # -- traits ------------------------------------------------------------------------------

    @staticmethod
    def _preferred_hours(rng: np.random.Generator, n: int) -> np.ndarray:
        # Commuters at 7-8, lunch-breakers at 12-13, most in the evening.
        centre = rng.choice([7.5, 12.5, 20.0, 21.5], n, p=[0.15, 0.2, 0.45, 0.2])
        return np.clip(np.round(centre + rng.normal(0, 1.2, n)), 6, 23).astype(np.int8)

    @staticmethod
    def _interests(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
        # Gumbel top-k: a weighted sample without replacement of 1-3 categories per person.
        weights = np.log(np.array(CATEGORY_POPULARITY, dtype=float))
        keys = weights + rng.gumbel(size=(n, len(CATEGORIES)))
        ranked = np.argsort(-keys, axis=1)
        count = rng.choice([1, 2, 3], n, p=[0.35, 0.45, 0.20])
        mask = np.zeros(n, dtype=np.uint16)
        for k in range(3):
            mask |= np.where(count > k, 1 << ranked[:, k], 0).astype(np.uint16)
        return mask, ranked[:, :3].astype(np.int8), count.astype(np.int8)

    def pick_categories(self, people: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A category per entry: usually one of the person's interests, sometimes any."""
        n = len(people)
        pick = (rng.random(n) * self.interest_count[people]).astype(np.int64)
        liked = self.interest_rank[people, pick]
        weights = np.array(CATEGORY_POPULARITY, dtype=float)
        other = rng.choice(len(CATEGORIES), n, p=weights / weights.sum())
        return np.where(rng.random(n) < 0.75, liked, other).astype(np.int64)

    def likes(self, people: np.ndarray, category: np.ndarray) -> np.ndarray:
        return (self.interests[people] >> category.astype(np.uint16)) & 1 == 1

    def _demographics(self, rng: np.random.Generator, n: int) -> None:
        self.gender = rng.choice(3, n, p=[0.51, 0.47, 0.02]).astype(np.int8)  # f, m, other
        female = (self.gender == 0) | ((self.gender == 2) & (rng.random(n) < 0.5))
        self.first_name = np.where(
            female,
            rng.integers(len(FEMALE_FIRST_NAMES), size=n),
            rng.integers(len(MALE_FIRST_NAMES), size=n) + len(FEMALE_FIRST_NAMES),
        ).astype(np.int16)
        self.last_name = rng.integers(len(LAST_NAMES), size=n).astype(np.int16)
        age = np.clip(rng.normal(MEAN_AGE[self.persona], 12), 18, 88)
        birth = self.start_date.toordinal() - (age * 365.25).astype(np.int64)
        self.birth_ordinal = (birth - rng.integers(0, 365, n)).astype(np.int32)
        wealth = np.array([-0.6, 0.3, 0.2, 1.0, -0.4])[self.persona] + rng.normal(0, 0.8, n)
        self.income_band = np.digitize(wealth, [-0.9, 0.0, 0.8, 1.5]).astype(np.int8)

    def _addresses(self, rng: np.random.Generator, n: int) -> None:
        weights = np.array([c[2] for c in CITIES], dtype=float)
        self.city = rng.choice(len(CITIES), n, p=weights / weights.sum()).astype(np.int8)
        self.street = rng.integers(len(STREET_NAMES), size=n).astype(np.int16)
        self.street_type = rng.integers(len(STREET_TYPES), size=n).astype(np.int8)
        self.house = (1 + rng.geometric(0.025, n) % 240).astype(np.int16)
        self.flat = np.where(rng.random(n) < 0.12, rng.integers(1, 25, n), 0).astype(np.int8)
        self.postcode_area = rng.integers(0, 6, n).astype(np.int8)
        self.postcode_district = rng.integers(1, 30, n).astype(np.int8)
        self.postcode_sector = rng.integers(0, 10, n).astype(np.int8)
        self.postcode_unit = rng.integers(0, 400, n).astype(np.int16)
        # People shop at their city's store, or at one picked for their region.
        store_of_city = np.full(len(CITIES), -1)
        for i, (_, _, city) in reversed(list(enumerate(STORES))):
            store_of_city[city] = i
        fallback = rng.integers(len(STORES), size=n)
        own = store_of_city[self.city]
        self.home_store = np.where(own >= 0, own, fallback).astype(np.int8)
        two_london = (self.city == 0) & (rng.random(n) < 0.5)
        self.home_store[two_london] = 1

    def _contact_points(self, rng: np.random.Generator, n: int) -> None:
        domain_weights = np.array([d[1] for d in EMAIL_DOMAINS], dtype=float)
        self.email_domain = rng.choice(
            len(EMAIL_DOMAINS), n, p=domain_weights / domain_weights.sum()
        ).astype(np.int8)
        # 0 first.last, 1 firstlast, 2 flast, 3 first_last, 4 last.first, 5 family address
        self.email_pattern = rng.choice(5, n, p=[0.35, 0.2, 0.2, 0.1, 0.15]).astype(np.int8)
        with_digits = rng.random(n) < 0.6
        self.email_digits = np.where(with_digits, rng.integers(1, 2000, n), -1).astype(np.int32)
        self.alt_email = rng.random(n) < 0.08
        self.alt_domain = rng.integers(len(WORK_DOMAINS), size=n).astype(np.int8)
        self.alt_digits = np.full(n, -1, dtype=np.int32)
        self.phone = rng.integers(100_000_000, 999_999_999, n, dtype=np.int64)
        self.phone = _make_unique(self.phone)

    def _households(self, rng: np.random.Generator, n: int) -> None:
        """A few households share an address and one family email address."""
        self.household = np.full(n, -1, dtype=np.int32)
        members = np.flatnonzero(rng.random(n) < 0.03)
        members = members[members > 0]
        heads = (rng.random(len(members)) * members).astype(np.int64)
        heads = heads[self.household[heads] < 0]  # guard: heads are not themselves members
        members = members[: len(heads)]
        keep = ~np.isin(heads, members)
        heads, members = heads[keep], members[keep]
        self.household[members] = heads
        self.household[heads] = heads
        same_name = rng.random(len(members)) < 0.7
        self.last_name[members[same_name]] = self.last_name[heads[same_name]]
        for field in (
            "city",
            "street",
            "street_type",
            "house",
            "flat",
            "postcode_area",
            "postcode_district",
            "postcode_sector",
            "postcode_unit",
            "home_store",
        ):
            values = getattr(self, field)
            values[members] = values[heads]
        family = self.household >= 0
        self.email_pattern[family] = 5
        owner = np.where(family, self.household, np.arange(n))
        self.email_owner = owner.astype(np.int32)
        self.email_domain[family] = self.email_domain[owner[family]]
        self.email_digits[family] = self.email_digits[owner[family]]
        self._unique_emails(n)

    def _unique_emails(self, n: int) -> None:
        """Two strangers never share an address: bump digits until every address is distinct."""
        owner = self.email_owner

        def code(k: np.ndarray) -> np.ndarray:
            first = np.where(self.email_pattern[k] == 5, 0, self.first_name[owner[k]])
            parts = (
                first.astype(np.int64),
                self.last_name[owner[k]],
                self.email_pattern[k],
                self.email_domain[k],
                self.email_digits[k] + 1,
            )
            value = np.zeros(len(k), dtype=np.int64)
            for part, size in zip(parts, (256, 512, 8, 16, 1 << 20), strict=True):
                value = value * size + part.astype(np.int64)
            return value

        people = np.flatnonzero(owner == np.arange(n))  # family members reuse their head's
        for _ in range(50):
            clash = _repeats(code(people))
            if len(clash) == 0:
                break
            bumped = people[clash]
            self.email_digits[bumped] = np.where(
                self.email_digits[bumped] < 0, 1, self.email_digits[bumped] + 1 + clash % 97
            )
        family = self.household >= 0
        self.email_digits[family] = self.email_digits[owner[family]]
        alt = np.flatnonzero(self.alt_email)
        alt_code = (
            self.first_name[alt].astype(np.int64) * 512 + self.last_name[alt]
        ) * 16 + self.alt_domain[alt]
        clash = _repeats(alt_code)
        self.alt_digits[alt[clash]] = 2 + clash % 89

    def _devices(self, rng: np.random.Generator, n: int) -> None:
        """1-3 devices (browser cookies or app installs), each with its own anonymous_id."""
        self.devices = (1 + (rng.random(n) < 0.35) + (rng.random(n) < 0.10)).astype(np.int8)
        # 0 desktop, 1 mobile, 2 tablet, 3 ios_app, 4 android_app
        first = np.where(rng.random(n) < 0.45, 0, 1)
        app = np.where(rng.random(n) < 0.55, 3, 4)
        self.device_kind = np.stack(
            [np.where(self.channel == APP, app, first), 1 - first, np.full(n, 2)], axis=1
        ).astype(np.int8)


def _choose_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities))[:, None]
    return np.minimum((u > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _make_unique(values: np.ndarray) -> np.ndarray:
    """Nudge repeated phone numbers until each person has their own."""
    values = values.copy()
    for _ in range(50):
        clash = _repeats(values)
        if len(clash) == 0:
            break
        values[clash] = 100_000_000 + (values[clash] + 7919 * (1 + clash)) % 899_999_999
    return values


def _repeats(values: np.ndarray) -> np.ndarray:
    """Positions holding a value already seen at an earlier position."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    again = np.zeros(len(values), dtype=bool)
    again[1:] = ordered[1:] == ordered[:-1]
    return np.sort(order[again])

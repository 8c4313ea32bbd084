"""The retail calendar of a UK shop: weekly rhythm, seasons, Black Friday and Christmas.

All functions depend on the date only, so any day of any year can be simulated on its own.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np

# Relative demand by month (mid-month anchors), interpolated between: a summer dip and a
# November-December peak, as UK non-food retail shows.
_MONTH_DEMAND = (0.95, 0.80, 0.90, 0.95, 0.95, 0.90, 0.82, 0.78, 0.92, 1.00, 1.20, 1.55)

# Monday..Sunday. Stores peak on Saturday; online peaks on Sunday evening and Monday.
STORE_WEEKDAY = np.array([0.85, 0.85, 0.90, 0.95, 1.05, 1.60, 1.15])
ONLINE_WEEKDAY = np.array([1.10, 1.00, 1.00, 0.98, 0.90, 1.00, 1.20])

# Share of online activity per hour of the day (UTC; close enough to UK time for a shop).
ONLINE_HOURS = np.array(
    [
        1.0,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.5,
        3.5,
        4.0,
        4.2,
        4.4,
        5.2,
        5.0,
        4.4,
        4.2,
        4.4,
        4.8,
        5.6,
        6.6,
        7.2,
        6.8,
        4.8,
        2.4,
    ]
)
ONLINE_HOURS = ONLINE_HOURS / ONLINE_HOURS.sum()
STORE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 6, 8, 8, 7, 7, 6, 5, 3, 1, 0, 0, 0, 0.0])
STORE_HOURS = STORE_HOURS / STORE_HOURS.sum()


@lru_cache(maxsize=64)
def easter_sunday(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@lru_cache(maxsize=64)
def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def mothering_sunday(year: int) -> date:
    return easter_sunday(year) - timedelta(days=21)


def fathers_day(year: int) -> date:
    first = date(year, 6, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 14)


def _month_curve(day: date) -> float:
    # Interpolate between mid-month anchors so the season changes smoothly, not in steps.
    position = day.month - 1 + (day.day - 15) / 30.0
    lower = int(np.floor(position))
    weight = position - lower
    return (1 - weight) * _MONTH_DEMAND[lower % 12] + weight * _MONTH_DEMAND[(lower + 1) % 12]


def _event_boost(day: date) -> float:
    """Sales events on top of the season."""
    friday = black_friday(day.year)
    offset = (day - friday).days
    if offset == 0:
        return 2.6
    if offset in (1, 2):
        return 1.7
    if offset == 3:  # Cyber Monday
        return 2.0
    if -4 <= offset < 0:
        return 1.35
    if day.month == 12:
        if day.day <= 20:
            return 1.15
        return {21: 1.3, 22: 1.3, 23: 1.2, 24: 0.55, 25: 0.2, 26: 1.9}.get(day.day, 1.2)
    if day.month == 1 and day.day == 1:
        return 0.6
    return 1.0


def purchase_factor(day: date) -> float:
    """Multiplier on everyone's daily chance of buying something."""
    return _month_curve(day) * _event_boost(day)


def visit_factor(day: date) -> float:
    """Browsing is less peaky than buying: people look around before sales, too."""
    return float(np.sqrt(purchase_factor(day)))


def gift_factor(day: date) -> float:
    """Extra pull for people who mostly buy presents."""
    if day.month == 12 and day.day <= 23:
        return 2.8
    for occasion, window in (
        (date(day.year, 2, 14), 7),
        (mothering_sunday(day.year), 7),
        (fathers_day(day.year), 5),
    ):
        if 0 <= (occasion - day).days <= window:
            return 1.9
    return 1.0


def store_closed(day: date) -> bool:
    return (day.month, day.day) == (12, 25) or day == easter_sunday(day.year)


def arrival_weight(day: date) -> float:
    """How many new people first turn up on a day, relative to an ordinary day."""
    return purchase_factor(day) ** 0.7 * (1.15 if day.weekday() >= 5 else 1.0)


def day_start_seconds(day: date) -> int:
    """Unix seconds at 00:00 UTC of the day."""
    return (day - date(1970, 1, 1)).days * 86400

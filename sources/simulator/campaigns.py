"""The marketing calendar: weekly newsletters, monthly category promotions, seasonal pushes and
always-on paid media, each a pure function of the date.

A/B tests come in two kinds. Subject-line tests (B has the stronger subject: more opens and
clicks) and offer tests (B has the deeper discount and its own coupon code: more clicks and more
redemptions), so a variant's lift shows up both in messages and in orders.coupon_code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sources.simulator.product_words import CATEGORIES
from sources.simulator.seasons import black_friday, easter_sunday, fathers_day, mothering_sunday

EMAIL, PAID_SOCIAL, PAID_SEARCH, AFFILIATE = "email", "paid_social", "paid_search", "affiliate"
_CATEGORY = {slug: i for i, (slug, *_rest) in enumerate(CATEGORIES)}
# The category pushed by the monthly promotion, January to December.
_MONTHLY_FOCUS = (
    "home",
    "beauty",
    "garden",
    "sports",
    "garden",
    "clothing",
    "toys",
    "books",
    "clothing",
    "home",
    "electronics",
    "toys",
)


@dataclass(frozen=True)
class Campaign:
    key: int  # yyyymmdd * 1000 + slot * 10 + variant (0 none, 1 A, 2 B)
    name: str
    channel: str
    start: int  # unix seconds
    end: int
    created: int
    offer: str | None = None
    coupon: str | None = None
    variant: str | None = None
    discount: float = 0.0
    category: int = -1  # -1: everyone
    open_lift: float = 1.0
    click_lift: float = 1.0

    @property
    def campaign_id(self) -> str:
        day, rest = divmod(self.key, 1000)
        slot, variant = divmod(rest, 10)
        suffix = {0: "", 1: "-A", 2: "-B"}[variant]
        return f"CMP-{day}-{slot:02d}{suffix}"


def _seconds(when: date, hour: int = 0) -> int:
    return int(datetime(when.year, when.month, when.day, hour, tzinfo=UTC).timestamp())


def _key(when: date, slot: int, variant: int) -> int:
    return (when.year * 10000 + when.month * 100 + when.day) * 1000 + slot * 10 + variant


def _email(
    when: date,
    slot: int,
    name: str,
    hour: int,
    days: int,
    *,
    test: str = "",
    offers: tuple = (),
    category: str | None = None,
) -> list[Campaign]:
    """One email campaign, as one row per variant when it is A/B tested.

    offers: (offer text, coupon code or None, discount) for A (and B for an offer test).
    """
    common = dict(
        channel=EMAIL,
        start=_seconds(when, hour),
        end=_seconds(when + timedelta(days=days), 23) + 3599,
        created=_seconds(when - timedelta(days=5), 11),
        category=_CATEGORY[category] if category else -1,
    )
    offer_a = offers[0] if offers else (None, None, 0.0)
    if not test:
        return [
            Campaign(
                _key(when, slot, 0),
                name,
                offer=offer_a[0],
                coupon=offer_a[1],
                discount=offer_a[2],
                **common,
            )
        ]
    offer_b = offers[1] if test == "offer" else offer_a
    lifts_b = (1.25, 1.12) if test == "subject" else (1.0, 1.15)
    return [
        Campaign(
            _key(when, slot, 1),
            name,
            offer=offer_a[0],
            coupon=offer_a[1],
            discount=offer_a[2],
            variant="A",
            **common,
        ),
        Campaign(
            _key(when, slot, 2),
            name,
            offer=offer_b[0],
            coupon=offer_b[1],
            discount=offer_b[2],
            variant="B",
            open_lift=lifts_b[0],
            click_lift=lifts_b[1],
            **common,
        ),
    ]


@lru_cache(maxsize=16)
def campaigns_of_year(year: int) -> tuple[Campaign, ...]:
    found: list[Campaign] = []
    day = date(year, 1, 1)
    while day.year == year:
        if day.weekday() == 3:
            found += _email(day, 1, f"Weekly Edit {day:%d %b %Y}", 7, 6, test="subject")
        if day.weekday() == 1 and 8 <= day.day <= 14:
            focus = _MONTHLY_FOCUS[day.month - 1]
            label = dict((c[0], c[1]) for c in CATEGORIES)[focus]
            code = focus.upper()
            found += _email(
                day,
                2,
                f"{label} Month {day:%b %Y}",
                10,
                9,
                test="offer",
                category=focus,
                offers=(
                    (f"15% off {label}", f"{code}15", 0.15),
                    (f"20% off {label}", f"{code}20", 0.20),
                ),
            )
        day += timedelta(days=1)
    friday = black_friday(year)
    found += _email(
        date(year, 1, 2),
        3,
        f"New Year Savings {year}",
        9,
        6,
        offers=(("10% off everything", "NEWYEAR10", 0.10),),
    )
    found += _email(
        date(year, 2, 6),
        3,
        f"Valentine's Gifts {year}",
        9,
        8,
        category="beauty",
        offers=(("10% off Beauty", "LOVE10", 0.10),),
    )
    found += _email(
        mothering_sunday(year) - timedelta(days=10),
        3,
        f"Mother's Day {year}",
        9,
        10,
        test="subject",
        category="beauty",
        offers=(("15% off gifts for Mum", "MUM15", 0.15),),
    )
    found += _email(easter_sunday(year) - timedelta(days=9), 3, f"Easter {year}", 9, 9)
    found += _email(
        fathers_day(year) - timedelta(days=9),
        3,
        f"Father's Day {year}",
        9,
        9,
        test="subject",
        category="electronics",
        offers=(("15% off gifts for Dad", "DAD15", 0.15),),
    )
    found += _email(
        date(year, 6, 26), 4, f"Summer Sale {year}", 8, 14, offers=(("Up to 50% off", None, 0.0),)
    )
    found += _email(
        date(year, 8, 14),
        3,
        f"Back to School {year}",
        9,
        10,
        category="books",
        offers=(("10% off Stationery", "SCHOOL10", 0.10),),
    )
    found += _email(
        friday,
        5,
        f"Black Friday {year}",
        6,
        3,
        test="offer",
        offers=(("20% off everything", "BF20", 0.20), ("25% off everything", "BF25", 0.25)),
    )
    found += _email(
        date(year, 12, 2),
        3,
        f"Christmas Gift Guide {year}",
        9,
        20,
        test="subject",
        offers=(("Free delivery on everything", None, 0.0),),
    )
    found += _email(
        date(year, 12, 26),
        4,
        f"Boxing Day Sale {year}",
        8,
        6,
        offers=(("Up to 50% off", None, 0.0),),
    )
    for quarter in range(4):
        first = date(year, 3 * quarter + 1, 1)
        last = date(year + 1, 1, 1) if quarter == 3 else date(year, 3 * quarter + 4, 1)
        last -= timedelta(days=1)
        for slot, channel, label in (
            (7, PAID_SOCIAL, "Paid Social"),
            (8, PAID_SEARCH, "Paid Search"),
            (9, AFFILIATE, "Affiliates"),
        ):
            found.append(
                Campaign(
                    _key(first, slot, 0),
                    f"{label} {year} Q{quarter + 1}",
                    channel,
                    start=_seconds(first),
                    end=_seconds(last, 23) + 3599,
                    created=_seconds(first),
                )
            )
    return tuple(sorted(found, key=lambda c: (c.created, c.key)))


@lru_cache(maxsize=16)
def _index_of_year(year: int) -> dict[int, Campaign]:
    return {c.key: c for c in campaigns_of_year(year)}


def by_key(key: int) -> Campaign:
    return _index_of_year(key // 10**7)[key]


def _between(first: int, last: int, attribute: str) -> list[Campaign]:
    # A campaign belongs to the year it starts in, but is set up before it starts: one of
    # early January is created in December, so next year's campaigns are looked at too.
    years = range(
        datetime.fromtimestamp(first, UTC).year - 1,
        datetime.fromtimestamp(last, UTC).year + 2,
    )
    return [
        c for y in years for c in campaigns_of_year(y) if first <= getattr(c, attribute) <= last
    ]


def created_between(first: int, last: int) -> list[Campaign]:
    return _between(first, last, "created")


def sending_between(first: int, last: int) -> list[Campaign]:
    return [c for c in _between(first, last, "start") if c.channel == EMAIL]


def paid_running(when: int, channel: str) -> Campaign:
    """The always-on campaign of a paid channel at a moment."""
    moment = datetime.fromtimestamp(when, UTC).date()
    first = date(moment.year, 3 * ((moment.month - 1) // 3) + 1, 1)
    slot = {PAID_SOCIAL: 7, PAID_SEARCH: 8, AFFILIATE: 9}[channel]
    return by_key(_key(first, slot, 0))

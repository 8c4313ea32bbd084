"""The shop: who visits and buys today, what they buy, coupons, and the shop's export rows.

Daily chances come from the person's persona, the season and weekday, churn (activity fades
after churned_at), email clicks and live coupons. Open leads buy at a rate set by their
lead-conversion propensity (their first order is the conversion); anonymous visitors rarely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.simulator import formats, keys
from sources.simulator.batch import Batch
from sources.simulator.campaigns import by_key
from sources.simulator.context import Day
from sources.simulator.history import lead_conversion_rate
from sources.simulator.lexicon import CHANNELS, STORES
from sources.simulator.population import (
    EXTRA_ITEMS,
    ORDERS_PER_YEAR,
    REGISTERED,
    STORE,
    VISITS_PER_DAY,
    WEB,
)
from sources.simulator.product_words import CATEGORIES
from sources.simulator.seasons import (
    ONLINE_WEEKDAY,
    STORE_HOURS,
    STORE_WEEKDAY,
    gift_factor,
    purchase_factor,
    store_closed,
    visit_factor,
)
from sources.simulator.state import LEAD_CONTACTED, LEAD_NEW, LEAD_QUALIFIED
from sources.simulator.streams import mix64
from sources.simulator.writers import TABLE_FILES

GIFTER = 2
ENTHUSIAST = 3
CANCELLED_SHARE = 0.02
FADE_DAYS = 20.0
STATUSES = ("completed", "cancelled")
# Books and food are often bought two at a time.
BULK_CATEGORIES = [i for i, c in enumerate(CATEGORIES) if c[0] in ("books", "food")]


@dataclass
class Shopping:
    """Today's decisions. Orders are indexed 0..m-1; lines point at their order."""

    visitors: np.ndarray
    registering: np.ndarray  # people opening a shop account today without buying
    buyer: np.ndarray
    channel: np.ndarray  # per order: 0 web, 1 app, 2 store
    clicked: np.ndarray  # per order: came from an email click today
    line_order: np.ndarray
    line_product: np.ndarray
    line_quantity: np.ndarray
    line_price: np.ndarray  # pence
    coupon: np.ndarray  # per order: campaign key of the redeemed coupon, else -1
    discount: np.ndarray  # per order, pence
    cancelled: np.ndarray
    ts: np.ndarray  # per order, filled once sessions are built
    number: np.ndarray  # per order, order counter, filled by settle()

    @property
    def subtotal(self) -> np.ndarray:
        return np.bincount(
            self.line_order, weights=self.line_quantity * self.line_price, minlength=len(self.buyer)
        ).astype(np.int64)


def activity_fade(day: Day, k: int) -> np.ndarray:
    """1 for active people; decays after churned_at, so churners fade out rather than stop."""
    since = day.index - day.state.churn_day[:k].astype(np.int64)
    return np.where(since >= 0, 0.02 + 0.98 * np.exp(-np.maximum(since, 0) / FADE_DAYS), 1.0)


def decide(day: Day) -> Shopping:
    world, state = day.world, day.state
    pop = world.pop
    k = pop.arrived_by(day.index)
    rng = day.rng("shop")
    when = day.date
    weekday = when.weekday()
    persona = pop.persona[:k]
    fade = activity_fade(day, k)
    gift = np.where(persona == GIFTER, gift_factor(when), 1.0)

    clicked = np.zeros(k, dtype=bool)
    if day.clicks is not None and len(day.clicks.person):
        clicked[day.clicks.person[day.clicks.person < k]] = True
    is_customer = state.customer_no[:k] >= 0
    arriving = pop.arrival_day[:k] == day.index
    registering = arriving & (pop.path[:k] == REGISTERED) & ~is_customer
    open_lead = np.isin(state.lead_status[:k], (LEAD_NEW, LEAD_CONTACTED, LEAD_QUALIFIED))

    store_people = pop.channel[:k] == STORE
    p_visit = (
        VISITS_PER_DAY[persona]
        * visit_factor(when)
        * ONLINE_WEEKDAY[weekday]
        * fade
        * np.where(store_people, 0.5, 1.0)
        * np.sqrt(gift)
    )
    visiting = rng.random(k) < p_visit

    base = ORDERS_PER_YEAR[persona] / 365.0 * purchase_factor(when) * gift
    lead_rate = (
        lead_conversion_rate(pop.lead_propensity[:k])
        * purchase_factor(when)
        * np.where(visiting | clicked, 2.5, 1.0)
    )
    p_buy = np.where(is_customer, base, np.where(open_lead, lead_rate, 0.3 * base))
    p_buy = np.where(registering, 0.35, p_buy) * fade
    coupon_live = (state.coupon_key[:k] >= 0) & (state.coupon_until[:k] >= day.index)
    price_sensitivity = pop.price_sensitivity[:k]
    p_buy *= 1 + 0.8 * price_sensitivity * coupon_live
    p_buy = np.where(clicked, p_buy + 0.06 + 0.12 * price_sensitivity * coupon_live, p_buy)

    preferred = pop.channel[:k]
    other = (preferred + rng.integers(1, 3, k)) % 3
    channel = np.where(rng.random(k) < 0.78, preferred, other)
    if store_closed(when):
        channel = np.where(channel == STORE, WEB, channel)
    channel = np.where(clicked & (channel == STORE), WEB, channel)
    p_buy *= np.where(channel == STORE, STORE_WEEKDAY[weekday], ONLINE_WEEKDAY[weekday])
    buying = rng.random(k) < np.clip(p_buy, 0, 0.9)

    buyer = np.flatnonzero(buying)
    shopping = _basket(day, buyer, channel[buyer].astype(np.int8), clicked[buyer], rng)
    # Newcomers get their own first visit; browsing starts the day after.
    shopping.visitors = np.flatnonzero(visiting & ~buying & ~arriving)
    shopping.registering = np.flatnonzero(registering & ~buying)
    return shopping


def _basket(day: Day, buyer, channel, clicked, rng) -> Shopping:
    pop, catalogue = day.world.pop, day.world.catalogue
    m = len(buyer)
    count = 1 + np.minimum(rng.poisson(EXTRA_ITEMS[pop.persona[buyer]]), 7)
    line_order = np.repeat(np.arange(m), count)
    who = buyer[line_order]
    category = pop.pick_categories(who, rng)
    first = catalogue.pick(day.index, category, rng.random(len(who)))
    second = catalogue.pick(day.index, category, rng.random(len(who)))
    prices = catalogue.prices_on(day.date)
    cheaper = np.where(prices[first] <= prices[second], first, second)
    dearer = np.where(prices[first] > prices[second], first, second)
    thrifty = rng.random(len(who)) < pop.price_sensitivity[who]
    lavish = (pop.persona[who] == ENTHUSIAST) & (rng.random(len(who)) < 0.5)
    product = np.where(thrifty, cheaper, np.where(lavish, dearer, first))
    u = rng.random(len(who))
    bulk = np.isin(catalogue.category[product], BULK_CATEGORIES)
    quantity = 1 + (u < np.where(bulk, 0.25, 0.1)) + (u < 0.03)

    # One line per product and order (the natural key of order_items).
    key = line_order.astype(np.int64) * len(catalogue) + product
    _, first_index, inverse = np.unique(key, return_index=True, return_inverse=True)
    quantity = np.bincount(inverse, weights=quantity).astype(np.int64)
    line_order, product = line_order[first_index], product[first_index]
    price = prices[product]

    coupon, discount = _coupons(
        day, buyer, channel, clicked, line_order, product, quantity, price, rng
    )
    cancelled = (channel != STORE) & (rng.random(m) < CANCELLED_SHARE)
    return Shopping(
        visitors=np.zeros(0, np.int64),
        registering=np.zeros(0, np.int64),
        buyer=buyer,
        channel=channel,
        clicked=clicked,
        line_order=line_order,
        line_product=product,
        line_quantity=quantity,
        line_price=price,
        coupon=coupon,
        discount=discount,
        cancelled=cancelled,
        ts=np.full(m, -1, np.int64),
        number=np.full(m, -1, np.int64),
    )


def _coupons(day, buyer, channel, clicked, line_order, product, quantity, price, rng):
    """Online orders of people holding a live coupon redeem it, more so the thriftier."""
    state, pop, catalogue = day.state, day.world.pop, day.world.catalogue
    m = len(buyer)
    coupon = np.full(m, -1, np.int64)
    discount = np.zeros(m, np.int64)
    held = state.coupon_key[buyer]
    live = (held >= 0) & (state.coupon_until[buyer] >= day.index) & (channel != STORE)
    u = rng.random(m)
    for campaign_key in np.unique(held[live]):
        campaign = by_key(int(campaign_key))
        orders = np.flatnonzero(live & (held == campaign_key))
        lines = np.isin(line_order, orders)
        if campaign.category >= 0:
            lines &= catalogue.category[product] == campaign.category
        eligible = np.bincount(line_order[lines], weights=(quantity * price)[lines], minlength=m)
        depth = (campaign.discount / 0.15) ** 0.8
        p_use = (0.2 + 0.6 * pop.price_sensitivity[buyer[orders]]) * depth + 0.3 * clicked[orders]
        use = orders[(u[orders] < p_use) & (eligible[orders] > 0)]
        coupon[use] = campaign_key
        discount[use] = np.round(eligible[use] * campaign.discount).astype(np.int64)
    return coupon, discount


def store_times(day: Day, n: int, rng) -> np.ndarray:
    hours = rng.choice(24, n, p=STORE_HOURS)
    if day.date.weekday() == 6:
        hours = np.clip(hours, 10, 15)  # Sunday trading hours
    return day.start + hours.astype(np.int64) * 3600 + rng.integers(0, 3600, n)


def settle(day: Day, shopping: Shopping) -> tuple[Batch | None, Batch | None]:
    """Number the orders in time order, update the people, and build the shop's rows."""
    state = day.state
    m = len(shopping.buyer)
    if m == 0:
        return None, None
    # A code only works while its campaign runs (to the second, now that times are known).
    for key in np.unique(shopping.coupon[shopping.coupon >= 0]):
        campaign = by_key(int(key))
        void = (shopping.coupon == key) & (
            (shopping.ts < campaign.start) | (shopping.ts > campaign.end)
        )
        shopping.coupon[void] = -1
        shopping.discount[void] = 0
    order = np.lexsort((shopping.buyer, shopping.ts))
    shopping.number[order] = state.take("order", m)
    amount = shopping.subtotal - shopping.discount
    buyer = shopping.buyer
    done = ~shopping.cancelled
    np.add.at(state.orders, buyer[done], 1)
    np.add.at(state.spend_pence, buyer[done], amount[done])
    state.last_order_day[buyer[done]] = day.index
    state.last_order_no[buyer[done]] = shopping.number[done]
    return _order_rows(day, shopping, amount, order), _line_rows(day, shopping)


def _order_rows(day: Day, shopping: Shopping, amount: np.ndarray, order: np.ndarray) -> Batch:
    state = day.state
    style = TABLE_FILES["ecommerce__orders"].timestamps
    buyer = shopping.buyer[order]
    channel = shopping.channel[order]
    store_codes = np.array([s[0] for s in STORES], dtype=object)
    stores = np.where(channel == STORE, store_codes[day.world.pop.home_store[buyer]], None)
    codes = [by_key(int(c)).coupon if c >= 0 else None for c in shopping.coupon[order]]
    columns = {
        "order_id": keys.order_ids(shopping.number[order]),
        "customer_id": keys.customer_ids(state.customer_no[buyer]),
        "ordered_at": formats.timestamps(shopping.ts[order], style),
        "amount": formats.money(amount[order]),
        "currency": formats.constant("GBP", len(order)),
        "channel": formats.lookup(CHANNELS, channel),
        "store_id": formats.strings(stores.tolist()),
        "status": formats.lookup(STATUSES, shopping.cancelled[order].astype(np.int64)),
        "coupon_code": formats.strings(codes),
        "discount_amount": formats.money(shopping.discount[order]),
    }
    return Batch(columns, buyer, np.full(len(order), -1))


def _line_rows(day: Day, shopping: Shopping) -> Batch:
    catalogue = day.world.catalogue
    order = np.lexsort((shopping.line_product, shopping.number[shopping.line_order]))
    line_order = shopping.line_order[order]
    product_ids = np.asarray(catalogue.product_id, dtype=object)
    columns = {
        "order_id": keys.order_ids(shopping.number[line_order]),
        "product_id": formats.strings(product_ids[shopping.line_product[order]].tolist()),
        "quantity": formats.integers(shopping.line_quantity[order]),
        "unit_price": formats.money(shopping.line_price[order]),
    }
    return Batch(columns, shopping.buyer[line_order], np.full(len(order), -1))


def open_customers(day: Day, people: np.ndarray, ts: np.ndarray) -> None:
    state = day.state
    fresh = state.customer_no[people] < 0
    people, ts = people[fresh], ts[fresh]
    state.customer_no[people] = state.take("customer", len(people))
    state.customer_created[people] = ts


def customer_rows(day: Day, people: np.ndarray, in_store: np.ndarray) -> Batch | None:
    """Shop customer records; accounts opened at a till often lack an email and address."""
    if not len(people):
        return None
    state, world = day.state, day.world
    pop, ids = world.pop, world.ids
    order = np.argsort(state.customer_no[people], kind="stable")
    people, in_store = people[order], in_store[order]
    style = TABLE_FILES["ecommerce__customers"].timestamps
    u = mix64(people, world.seed * 131 + 7).astype(np.float64) / 2.0**64
    no_email = in_store & (u < 0.15)
    no_address = in_store & (u > 0.5)
    columns = {
        "customer_id": keys.customer_ids(state.customer_no[people]),
        "email": formats.null_where(ids.emails(people, "shop"), no_email),
        "first_name": ids.first_names(people, "shop"),
        "last_name": ids.last_names(people, "shop"),
        "phone": ids.phones(people, "shop"),
        "date_of_birth": formats.dates(pop.birth_ordinal[people], (u * 7 % 1.0) < 0.3),
        "street": formats.null_where(ids.streets(people, "shop"), no_address),
        "city": formats.null_where(ids.cities(people), no_address),
        "postcode": formats.null_where(ids.postcodes(people, "shop"), no_address),
        "country": formats.constant("GB", len(people)),
        "created_at": formats.timestamps(state.customer_created[people], style),
    }
    return Batch(columns, people, state.customer_no[people])


def product_rows(day: Day) -> Batch | None:
    catalogue = day.world.catalogue
    changed = catalogue.changed_on(day.index)
    if not len(changed):
        return None
    names = [c[1] for c in CATEGORIES]
    columns = {
        "product_id": formats.strings([catalogue.product_id[i] for i in changed]),
        "name": formats.strings([catalogue.name[i] for i in changed]),
        "category": formats.lookup(names, catalogue.category[changed]),
        "price": formats.money(catalogue.prices_on(day.date)[changed]),
    }
    return Batch(columns, np.full(len(changed), -1), np.full(len(changed), -1))

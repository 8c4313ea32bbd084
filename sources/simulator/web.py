"""Web and app analytics events, built session by session in vectorised form.

A session is a run of events on one device (one anonymous_id): a landing page view carrying
the traffic source (utm_* and referrer), some browsing, then maybe a login, a cart, a sign-up,
a checkout and a purchase. Events carry customer_id only once the visitor is identified (app
sessions of account holders, after a login, after a sign-up), which is what lets the pipeline
stitch anonymous browsing to a customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sources.simulator import keys
from sources.simulator.batch import Batch
from sources.simulator.campaigns import AFFILIATE, PAID_SEARCH, PAID_SOCIAL, by_key, paid_running
from sources.simulator.context import Day
from sources.simulator.lexicon import REFERRAL_SITES
from sources.simulator.product_words import CATEGORIES
from sources.simulator.seasons import ONLINE_HOURS

DIRECT, ORGANIC, PAID_SEARCH_SRC, PAID_SOCIAL_SRC, EMAIL_SRC, REFERRAL, AFFILIATE_SRC = range(7)
BROWSE_SOURCE_SHARE = np.array([0.33, 0.32, 0.13, 0.11, 0.0, 0.06, 0.05])
BROWSE_SOURCE_SHARE /= BROWSE_SOURCE_SHARE.sum()
DEVICES = ("desktop", "mobile", "tablet", "ios_app", "android_app")
# Segments of a session, in the order they happen.
LANDING, BROWSE, LOGIN, CART, SIGN_UP, CHECKOUT, PURCHASE = range(7)
EVENT_TYPES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "checkout",
    "purchase",
    "sign_up",
    "login",
)
PAGE_VIEW, PRODUCT_VIEW, SEARCH, ADD_TO_CART, CHECKOUT_EV, PURCHASE_EV, SIGN_UP_EV, LOGIN_EV = (
    range(8)
)
MEAN_BROWSE = np.array([3.0, 3.0, 2.5, 4.0, 5.0])
NOT_IDENTIFIED = 99

SCHEMA = pa.schema(
    [("event_id", pa.string()), ("occurred_at", pa.timestamp("ms", tz="UTC"))]
    + [
        (name, pa.string())
        for name in (
            "event_type",
            "anonymous_id",
            "customer_id",
            "session_id",
            "page_url",
            "product_id",
            "search_query",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "referrer",
            "device",
        )
    ]
)


@dataclass
class SessionPlan:
    """Sessions to build today. start -1 means: pick a time from the person's habits."""

    person: np.ndarray
    start: np.ndarray
    source: np.ndarray
    campaign: np.ndarray  # campaign key for email clicks, else -1
    order: np.ndarray  # index of today's online order this session ends in, else -1
    signup: np.ndarray  # the visitor creates an account in this session
    customer: np.ndarray  # customer number to attach once identified, else -1

    @classmethod
    def concat(cls, plans: list[SessionPlan]) -> SessionPlan:
        return cls(*(np.concatenate([getattr(p, f) for p in plans]) for f in cls.__annotations__))


@dataclass
class SessionOutcome:
    events: Batch | None
    purchase_ts: np.ndarray  # per session; -1 if none
    signup_ts: np.ndarray  # per session; -1 if none
    pages: np.ndarray  # events per session


def plan(person, start, source, *, campaign=None, order=None, signup=None, customer=None):
    n = len(person)
    return SessionPlan(
        np.asarray(person, np.int64),
        np.asarray(start, np.int64),
        np.asarray(source, np.int8),
        np.full(n, -1, np.int64) if campaign is None else np.asarray(campaign, np.int64),
        np.full(n, -1, np.int64) if order is None else np.asarray(order, np.int64),
        np.zeros(n, bool) if signup is None else np.asarray(signup, bool),
        np.full(n, -1, np.int64) if customer is None else np.asarray(customer, np.int64),
    )


def build_sessions(
    day: Day, sessions: SessionPlan, item_order: np.ndarray, item_product: np.ndarray
) -> SessionOutcome:
    """Events for the planned sessions. item_order/item_product: today's online order lines."""
    world = day.world
    pop, catalogue = world.pop, world.catalogue
    rng = day.rng("web")
    s = len(sessions.person)
    if s == 0:
        empty = np.zeros(0, np.int64)
        return SessionOutcome(None, empty, empty, empty)
    person = sessions.person
    persona = pop.persona[person]

    # Device: app people mostly use the app; others use whichever device is at hand.
    devices = pop.devices[person]
    slot = np.minimum((rng.random(s) ** 1.8 * devices).astype(np.int64), devices - 1)
    slot = np.where((pop.channel[person] == 1) & (rng.random(s) < 0.7), 0, slot)
    kind = pop.device_kind[person, slot]
    is_app = kind >= 3

    has_account = sessions.customer >= 0
    existing = has_account & ~sessions.signup
    buying = sessions.order >= 0
    login = existing & ~is_app & (rng.random(s) < np.where(buying, 0.9, 0.3))
    identified_from = np.full(s, NOT_IDENTIFIED, np.int64)
    identified_from[sessions.signup] = SIGN_UP
    identified_from[login] = LOGIN
    identified_from[existing & is_app] = LANDING

    # Segment sizes per session.
    browse = rng.geometric(1.0 / MEAN_BROWSE[persona]) - 1
    browse = np.where(rng.random(s) < 0.28, 0, browse)  # bounces
    items_per_order = np.bincount(item_order, minlength=max(int(sessions.order.max()) + 1, 1))
    cart_items = np.where(buying, items_per_order[np.maximum(sessions.order, 0)], 0)
    abandon = ~buying & (rng.random(s) < 0.12)
    cart_items = np.where(abandon, 1 + (rng.random(s) < 0.3), cart_items)
    checkout = buying | (abandon & (rng.random(s) < 0.35))
    counts = np.stack(
        [
            np.ones(s, np.int64),
            browse,
            login.astype(np.int64),
            2 * cart_items,
            sessions.signup.astype(np.int64),
            checkout.astype(np.int64),
            buying.astype(np.int64),
        ],
        axis=1,
    )
    per_session = counts.sum(axis=1)
    total = int(per_session.sum())

    session_of = np.repeat(np.arange(s), per_session)
    segment = np.repeat(np.tile(np.arange(7), s), counts.ravel())
    first_of_session = np.cumsum(per_session) - per_session
    position = np.arange(total) - first_of_session[session_of]
    first_of_segment = np.cumsum(counts.ravel()) - counts.ravel()
    within = np.arange(total) - np.repeat(first_of_segment, counts.ravel())

    event_type = np.full(total, PAGE_VIEW, np.int64)
    u = rng.random(total)
    browse_rows = segment == BROWSE
    event_type[browse_rows] = np.where(
        u[browse_rows] < 0.35, PAGE_VIEW, np.where(u[browse_rows] < 0.82, PRODUCT_VIEW, SEARCH)
    )
    cart_rows = segment == CART
    event_type[cart_rows] = np.where(within[cart_rows] % 2 == 0, PRODUCT_VIEW, ADD_TO_CART)
    event_type[segment == LOGIN] = LOGIN_EV
    event_type[segment == SIGN_UP] = SIGN_UP_EV
    event_type[segment == CHECKOUT] = CHECKOUT_EV
    event_type[segment == PURCHASE] = PURCHASE_EV

    # Products: the ones ordered for a purchase's cart, otherwise from the person's interests.
    interest = pop.pick_categories(person[session_of], rng)
    product = catalogue.pick(day.index, interest, rng.random(total))
    if len(item_order):
        order_start = np.cumsum(items_per_order) - items_per_order
        buying_cart = cart_rows & buying[session_of]
        line = order_start[sessions.order[session_of[buying_cart]]] + within[buying_cart] // 2
        product[buying_cart] = item_product[line]
    landing_source = sessions.source[session_of]
    paid_landing = (segment == LANDING) & (landing_source == PAID_SEARCH_SRC)
    event_type[paid_landing] = PRODUCT_VIEW  # paid search ads land on a product page
    has_product = np.isin(event_type, (PRODUCT_VIEW, ADD_TO_CART))

    # Timing: seconds between events, then the session fitted inside the day.
    gaps = rng.exponential(np.where(event_type == PRODUCT_VIEW, 55.0, 30.0)) + 2
    gaps[position == 0] = 0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[first_of_session], per_session)
    duration = offset[first_of_session + per_session - 1]
    start = np.where(sessions.start >= 0, sessions.start, _habit_start(day, person, rng))
    start = np.minimum(start, day.end - duration.astype(np.int64) - 1)
    start = np.maximum(start, day.start)
    occurred = start[session_of] + offset.astype(np.int64)

    purchase_ts = np.full(s, -1, np.int64)
    purchase_rows = segment == PURCHASE
    purchase_ts[session_of[purchase_rows]] = occurred[purchase_rows]
    signup_ts = np.full(s, -1, np.int64)
    signup_rows = segment == SIGN_UP
    signup_ts[session_of[signup_rows]] = occurred[signup_rows]

    events = _columns(
        day,
        sessions,
        session_of,
        segment,
        event_type,
        product,
        has_product,
        interest,
        occurred,
        slot,
        kind,
        identified_from,
        rng,
    )
    keyno = person[session_of] * keys.SLOTS + slot[session_of]
    return SessionOutcome(
        Batch(events, person[session_of], keyno), purchase_ts, signup_ts, per_session
    )


def _habit_start(day: Day, people: np.ndarray, rng) -> np.ndarray:
    """Mostly around the person's preferred hour, otherwise anywhere on the daily curve."""
    pop = day.world.pop
    n = len(people)
    habit = pop.preferred_hour[people].astype(np.int64) + np.round(rng.normal(0, 1.0, n))
    anywhere = rng.choice(24, n, p=ONLINE_HOURS)
    hour = np.where(rng.random(n) < 0.6, habit, anywhere) % 24
    return day.start + hour.astype(np.int64) * 3600 + rng.integers(0, 3600, n)


def _columns(
    day,
    sessions,
    session_of,
    segment,
    event_type,
    product,
    has_product,
    interest,
    occurred,
    slot,
    kind,
    identified_from,
    rng,
) -> dict[str, pa.Array]:
    world, state = day.world, day.state
    catalogue, seed = world.catalogue, world.seed
    total = len(session_of)
    s = len(sessions.person)
    session_numbers = state.take("session", s)
    event_numbers = state.take("event", total)

    customer = sessions.customer[session_of]
    show_customer = segment >= identified_from[session_of]
    customer_text = keys.customer_ids(np.maximum(customer, 0))
    customer_text = pa.array(
        np.where(
            show_customer,
            np.asarray(customer_text.to_numpy(zero_copy_only=False), dtype=object),
            None,
        ),
        pa.string(),
    )

    categories = [c[0] for c in CATEGORIES]
    product_urls = pa.array(catalogue.url, pa.string())
    category_urls = pa.array([f"/c/{c}" for c in categories], pa.string())
    terms = [(i, term) for i, c in enumerate(CATEGORIES) for term in c[6]]
    term_category = np.array([t[0] for t in terms])
    term_text = [t[1] for t in terms]
    page = np.full(total, "", dtype=object)
    page[:] = np.asarray(category_urls.take(pa.array(interest)).to_numpy(zero_copy_only=False))
    landing = segment == LANDING
    home = landing & np.isin(sessions.source[session_of], (DIRECT, EMAIL_SRC, REFERRAL))
    page[home] = "/"
    # Category promotions land on their category's page.
    promoted = landing & (sessions.source[session_of] == EMAIL_SRC)
    if promoted.any():
        targets = {
            k: by_key(int(k)).category for k in np.unique(sessions.campaign[session_of[promoted]])
        }
        category = np.array([targets[k] for k in sessions.campaign[session_of[promoted]]])
        rows = np.flatnonzero(promoted)[category >= 0]
        page[rows] = [f"/c/{categories[c]}" for c in category[category >= 0]]
    page[has_product] = np.asarray(
        product_urls.take(pa.array(product[has_product])).to_numpy(zero_copy_only=False)
    )
    is_search = event_type == SEARCH
    queries = np.full(total, None, dtype=object)
    if is_search.any():
        # A search term from the category of interest.
        rows = np.flatnonzero(is_search)
        choice = []
        for cat, u in zip(interest[rows], rng.random(len(rows)), strict=True):
            options = np.flatnonzero(term_category == cat)
            choice.append(term_text[options[int(u * len(options))]])
        queries[rows] = choice
        page[rows] = ["/search?q=" + q.replace(" ", "+") for q in choice]
    page[event_type == LOGIN_EV] = "/account/login"
    page[event_type == SIGN_UP_EV] = "/account/register"
    page[event_type == CHECKOUT_EV] = "/checkout"
    page[event_type == PURCHASE_EV] = "/checkout/confirmation"

    utm_source, utm_medium, utm_campaign, referrer = _traffic(day, sessions, rng)
    at_landing = np.where(landing, session_of, -1)

    def landing_only(values: np.ndarray) -> pa.Array:
        picked = np.where(at_landing >= 0, values[np.maximum(at_landing, 0)], None)
        return pa.array(picked, pa.string())

    product_ids = np.full(total, None, dtype=object)
    product_ids[has_product] = np.asarray(catalogue.product_id, dtype=object)[product[has_product]]
    return {
        "event_id": keys.event_ids(event_numbers, seed),
        "occurred_at": pa.array(occurred * 1000, pa.timestamp("ms", tz="UTC")),
        "event_type": pa.array(np.asarray(EVENT_TYPES, dtype=object)[event_type], pa.string()),
        "anonymous_id": keys.anonymous_ids(sessions.person, slot, seed).take(pa.array(session_of)),
        "customer_id": customer_text,
        "session_id": keys.session_ids(session_numbers, seed).take(pa.array(session_of)),
        "page_url": pa.array(page, pa.string()),
        "product_id": pa.array(product_ids, pa.string()),
        "search_query": pa.array(queries, pa.string()),
        "utm_source": landing_only(utm_source),
        "utm_medium": landing_only(utm_medium),
        "utm_campaign": landing_only(utm_campaign),
        "referrer": landing_only(referrer),
        "device": pa.array(np.asarray(DEVICES, dtype=object)[kind[session_of]], pa.string()),
    }


def _traffic(day: Day, sessions: SessionPlan, rng):
    """utm_* and referrer of each session's landing event."""
    s = len(sessions.person)
    source = sessions.source
    utm_source = np.full(s, None, dtype=object)
    utm_medium = np.full(s, None, dtype=object)
    utm_campaign = np.full(s, None, dtype=object)
    referrer = np.full(s, None, dtype=object)
    u = rng.random(s)
    organic = source == ORGANIC
    referrer[organic] = np.where(
        u[organic] < 0.88, "https://www.google.com/", "https://www.bing.com/"
    )
    for code, channel, src, medium in (
        (PAID_SEARCH_SRC, PAID_SEARCH, None, "cpc"),
        (PAID_SOCIAL_SRC, PAID_SOCIAL, None, "paid_social"),
        (AFFILIATE_SRC, AFFILIATE, "awin", "affiliate"),
    ):
        rows = source == code
        if not rows.any():
            continue
        utm_campaign[rows] = paid_running(day.start + 43200, channel).campaign_id
        utm_medium[rows] = medium
        if code == PAID_SEARCH_SRC:
            utm_source[rows] = "google"
            referrer[rows] = "https://www.google.com/"
        elif code == PAID_SOCIAL_SRC:
            social = np.where(u[rows] < 0.55, "facebook", "instagram")
            utm_source[rows] = social
            referrer[rows] = np.where(
                social == "facebook", "https://l.facebook.com/", "https://l.instagram.com/"
            )
        else:
            utm_source[rows] = src
            referrer[rows] = "https://www.vouchercodes.co.uk/"
    email = source == EMAIL_SRC
    if email.any():
        ids = {k: by_key(int(k)).campaign_id for k in np.unique(sessions.campaign[email])}
        utm_campaign[email] = [ids[k] for k in sessions.campaign[email]]
        utm_source[email] = "newsletter"
        utm_medium[email] = "email"
    referral = source == REFERRAL
    referrer[referral] = np.asarray(REFERRAL_SITES, dtype=object)[
        (u[referral] * len(REFERRAL_SITES)).astype(int)
    ]
    return utm_source, utm_medium, utm_campaign, referrer


def browse_sources(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(len(BROWSE_SOURCE_SHARE), n, p=BROWSE_SOURCE_SHARE).astype(np.int8)

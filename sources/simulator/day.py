"""One simulated day, in the order things happen: marketing, arrivals, shopping and browsing,
orders, leads, after-sales, churn. Returns the day's batches per landing table."""

from __future__ import annotations

import numpy as np

from sources.simulator import commerce, crm, feedback, marketing, service
from sources.simulator.batch import Batch
from sources.simulator.context import Day
from sources.simulator.history import LEAD_SOURCE_SHARE, arrival_seconds, lead_campaigns
from sources.simulator.lexicon import LEAD_SOURCES
from sources.simulator.population import ANONYMOUS, LEAD, STORE
from sources.simulator.state import NEVER, STAGE_CUSTOMER, STAGE_LEAD
from sources.simulator.web import (
    EMAIL_SRC,
    ORGANIC,
    PAID_SOCIAL_SRC,
    SessionPlan,
    browse_sources,
    build_sessions,
    plan,
)

# Lead sources that start with a visit to the site (the others: a store event, a referral).
_ONLINE_LEAD_SOURCES = {
    "web_form",
    "newsletter_popup",
    "paid_social",
    "organic_search",
    "competition",
}
ONLINE_LEAD = np.array([s[0] in _ONLINE_LEAD_SOURCES for s in LEAD_SOURCES])
# A bad experience (about 1 point) multiplies the daily churn hazard by 1 + 1.5 = 2.5, and is
# half forgotten after about seven months.
CHURN_PER_DISSATISFACTION = 1.5
DISSATISFACTION_MEMORY = 0.997
LEAD_SOURCES_CODE = np.array(
    [PAID_SOCIAL_SRC if s[0] == "paid_social" else ORGANIC for s in LEAD_SOURCES]
)


def simulate_day(day: Day) -> dict[str, Batch]:
    state, pop = day.state, day.world.pop
    day.add("marketing__campaigns", marketing.campaign_rows(day))
    day.add("marketing__messages", marketing.send_and_engage(day))
    first_export = []
    if day.index == 0:
        first_export = _first_export(day)

    arrivals = pop.arriving(day.index)
    arrived_at = arrival_seconds(pop, arrivals)
    lead_sessions = _new_leads(day, arrivals, arrived_at)

    shopping = commerce.decide(day)
    sessions, online = _plan_sessions(day, shopping, arrivals, lead_sessions)
    lines = np.isin(shopping.line_order, online)
    # Online orders are renumbered 0.. in session order for the web module.
    online_index = np.full(len(shopping.buyer), -1)
    online_index[online] = np.arange(len(online))
    outcome = build_sessions(
        day, sessions, online_index[shopping.line_order[lines]], shopping.line_product[lines]
    )
    day.add("web__events", outcome.events)
    pages = dict(
        zip(lead_sessions.tolist(), outcome.pages[: len(lead_sessions)].tolist(), strict=True)
    )
    for person, count in pages.items():
        state.lead_pages[person] += count

    new_customers = _open_accounts(day, shopping, sessions, outcome)
    orders, lines_batch = commerce.settle(day, shopping)
    day.add("ecommerce__orders", orders)
    day.add("ecommerce__order_items", lines_batch)
    service.schedule_after_orders(day, shopping)

    engaged = np.zeros(pop.n, dtype=bool)
    engaged[sessions.person] = True
    crm.advance_leads(day, engaged)
    service.run(day)
    feedback.run(day)
    _churn(day)

    day.add("ecommerce__products", commerce.product_rows(day))
    day.add("ecommerce__customers", Batch.concat(first_export + [new_customers]))
    day.add("crm__contacts", crm.contact_rows(day))
    day.add("crm__leads", crm.lead_rows(day))
    return {table: Batch.concat(parts) for table, parts in day.batches.items()}


def _first_export(day: Day) -> list[Batch | None]:
    """The first files are full exports of what the systems already hold."""
    state = day.state
    day.touch_contacts(np.flatnonzero(state.contact_no >= 0))
    day.touch_leads(np.flatnonzero(state.lead_no >= 0))
    existing = np.flatnonzero(state.customer_no >= 0)
    in_store = day.world.pop.channel[existing] == STORE
    return [commerce.customer_rows(day, existing, in_store)]


def _new_leads(day: Day, arrivals: np.ndarray, arrived_at: np.ndarray):
    """People who arrive as leads: a CRM contact and lead, often after a first visit."""
    state, pop = day.state, day.world.pop
    is_lead = pop.path[arrivals] == LEAD
    people, ts = arrivals[is_lead], arrived_at[is_lead]
    rng = day.rng("new-leads")
    source = rng.choice(len(LEAD_SOURCES), len(people), p=LEAD_SOURCE_SHARE).astype(np.int8)
    crm.open_contacts(state, people, ts + 30, STAGE_LEAD, pop)
    pages = rng.poisson(1 + 3 * pop.lead_propensity[people]).astype(np.int16)
    crm.open_leads(state, people, ts + 30, source, lead_campaigns(source, ts), pages)
    day.touch_contacts(people)
    day.touch_leads(people)
    return people[ONLINE_LEAD[source]]


def _plan_sessions(day, shopping, arrivals, online_leads):
    """Sessions of the day; returns the plan and the online orders in plan order."""
    state, pop = day.state, day.world.pop
    rng = day.rng("sessions")
    plans: list[SessionPlan] = []

    # Arrival visits of new leads (first, so their page counts can be read back).
    lead_source = np.where(
        LEAD_SOURCES_CODE[state.lead_source[online_leads]] == PAID_SOCIAL_SRC,
        PAID_SOCIAL_SRC,
        browse_sources(rng, len(online_leads)),
    )
    plans.append(plan(online_leads, arrival_seconds(pop, online_leads) - 600, lead_source))

    # Online orders: the visit of an email click if there was one, otherwise a fresh session.
    online = np.flatnonzero(shopping.channel != STORE)
    buyer = shopping.buyer[online]
    click_ts, click_campaign = _first_click(day, buyer)
    from_email = click_ts >= 0
    needs_account = state.customer_no[buyer] < 0
    signup = needs_account
    customer = _reserve_customers(day, buyer)
    plans.append(
        plan(
            buyer,
            np.where(from_email, click_ts, -1),
            np.where(from_email, EMAIL_SRC, browse_sources(rng, len(buyer))),
            campaign=np.where(from_email, click_campaign, -1),
            order=np.arange(len(online)),
            signup=signup,
            customer=customer,
        )
    )

    # New registrations that do not buy today: online ones sign up in a session.
    registering = shopping.registering
    online_reg = registering[pop.channel[registering] != STORE]
    plans.append(
        plan(
            online_reg,
            arrival_seconds(pop, online_reg),
            browse_sources(rng, len(online_reg)),
            signup=np.ones(len(online_reg), bool),
            customer=_reserve_customers(day, online_reg),
        )
    )

    # Anonymous newcomers, email clicks without an order, and everyday browsing.
    newcomers = arrivals[pop.path[arrivals] == ANONYMOUS]
    plans.append(plan(newcomers, arrival_seconds(pop, newcomers), np.full(len(newcomers), ORGANIC)))
    clicks = day.clicks
    if clicks is not None and len(clicks.person):
        keep = ~np.isin(clicks.person, buyer)
        who = clicks.person[keep]
        plans.append(
            plan(
                who,
                clicks.ts[keep],
                np.full(len(who), EMAIL_SRC),
                campaign=clicks.campaign[keep],
                customer=state.customer_no[who],
            )
        )
    visitors = shopping.visitors
    repeat = visitors[rng.random(len(visitors)) < 0.15]
    browsing = np.concatenate([visitors, repeat])
    plans.append(
        plan(
            browsing,
            np.full(len(browsing), -1),
            browse_sources(rng, len(browsing)),
            customer=state.customer_no[browsing],
        )
    )
    return SessionPlan.concat(plans), online


def _first_click(day: Day, people: np.ndarray):
    clicks = day.clicks
    ts = np.full(len(people), -1, np.int64)
    campaign = np.full(len(people), -1, np.int64)
    if clicks is None or not len(clicks.person):
        return ts, campaign
    order = np.lexsort((clicks.ts, clicks.person))
    who, first = np.unique(clicks.person[order], return_index=True)
    position = np.searchsorted(who, people)
    position = np.minimum(position, len(who) - 1)
    found = who[position] == people
    ts[found] = clicks.ts[order][first][position[found]]
    campaign[found] = clicks.campaign[order][first][position[found]]
    return ts, campaign


def _reserve_customers(day: Day, people: np.ndarray) -> np.ndarray:
    """Customer numbers for people who get a shop account today (created_at set later)."""
    state = day.state
    missing = people[state.customer_no[people] < 0]
    missing = np.unique(missing)
    state.customer_no[missing] = state.take("customer", len(missing))
    return state.customer_no[people]


def _open_accounts(day: Day, shopping, sessions: SessionPlan, outcome) -> Batch | None:
    """Stamp new accounts with their sign-up time; store sign-ups happen at the till."""
    state, pop = day.state, day.world.pop
    rng = day.rng("accounts")
    # Online orders and sign-ups: times come from the sessions.
    online_orders = sessions.order >= 0
    shopping.ts[np.flatnonzero(shopping.channel != STORE)] = outcome.purchase_ts[online_orders]
    signed_up = sessions.signup & (outcome.signup_ts >= 0)
    new_people = sessions.person[signed_up]
    new_ts = outcome.signup_ts[signed_up]
    fresh = state.customer_created[new_people] < 0
    new_people, new_ts = new_people[fresh], new_ts[fresh]
    state.customer_created[new_people] = new_ts

    # Store orders, and store registrations without an order.
    in_store = np.flatnonzero(shopping.channel == STORE)
    shopping.ts[in_store] = commerce.store_times(day, len(in_store), rng)
    till = shopping.buyer[in_store]
    needs = state.customer_no[till] < 0
    registering = shopping.registering
    store_reg = registering[pop.channel[registering] == STORE]
    till_people = np.concatenate([till[needs], store_reg])
    till_ts = np.concatenate(
        [shopping.ts[in_store][needs] - 90, commerce.store_times(day, len(store_reg), rng)]
    )
    keep = np.unique(till_people, return_index=True)[1]
    till_people, till_ts = till_people[keep], till_ts[keep]
    commerce.open_customers(day, till_people, till_ts)

    people = np.concatenate([new_people, till_people])
    ts = np.concatenate([new_ts, till_ts])
    if not len(people):
        return None
    # The CRM syncs new shop customers; leads who become customers have converted.
    sync = pop.syncs_to_crm[people] & (state.contact_no[people] < 0)
    contact_ts = np.minimum(ts + rng.integers(60, 1800, len(people)), day.end)
    crm.open_contacts(state, people[sync], contact_ts[sync], STAGE_CUSTOMER, pop)
    day.touch_contacts(people[sync])
    crm.raise_stage(day, people, STAGE_CUSTOMER, contact_ts)
    crm.convert_leads(day, people, ts)
    store_made = np.concatenate([np.zeros(len(new_people), bool), np.ones(len(till_people), bool)])
    return commerce.customer_rows(day, people, store_made)


def _churn(day: Day) -> None:
    """Each day some people quietly leave; dissatisfaction makes it likelier."""
    state, pop = day.state, day.world.pop
    k = pop.arrived_by(day.index)
    rng = day.rng("churn")
    active = state.churn_day[:k] == NEVER
    hazard = pop.churn_hazard[:k] * (1 + CHURN_PER_DISSATISFACTION * state.bad[:k])
    leaving = active & (rng.random(k) < hazard)
    state.churn_day[:k][leaving] = day.index
    state.bad[:k] *= np.float32(DISSATISFACTION_MEMORY)

"""What happened before start_date: the accounts, leads and churn that the first export finds.

Event history (orders, visits, emails) starts at start_date; entities that existed before it
appear in the first day's files with their original created_at, as in a first full export.
"""

from __future__ import annotations

import numpy as np

from sources.simulator import crm
from sources.simulator.campaigns import PAID_SOCIAL, paid_running
from sources.simulator.lexicon import LEAD_SOURCES
from sources.simulator.population import ANONYMOUS, LEAD, REGISTERED, Population
from sources.simulator.seasons import day_start_seconds
from sources.simulator.state import (
    LEAD_CONTACTED,
    LEAD_CONVERTED,
    LEAD_LOST,
    LEAD_NEW,
    LEAD_QUALIFIED,
    STAGE_CUSTOMER,
    STAGE_LEAD,
    STAGE_MQL,
    State,
)
from sources.simulator.streams import static_rng

LEAD_SOURCE_SHARE = np.array([s[1] for s in LEAD_SOURCES], dtype=float)
LEAD_SOURCE_SHARE /= LEAD_SOURCE_SHARE.sum()
PAID_SOCIAL_SOURCE = [s[0] for s in LEAD_SOURCES].index("paid_social")
# Daily chance that an open lead places a first order, at average propensity.
LEAD_DAILY_CONVERSION = 0.0035


def lead_conversion_rate(propensity: np.ndarray) -> np.ndarray:
    return LEAD_DAILY_CONVERSION * (np.asarray(propensity, dtype=np.float64) / 0.4) ** 2


def arrival_seconds(pop: Population, people: np.ndarray) -> np.ndarray:
    start = day_start_seconds(pop.start_date)
    return start + pop.arrival_day[people].astype(np.int64) * 86400 + pop.arrival_second[people]


def lead_campaigns(source: np.ndarray, ts: np.ndarray) -> np.ndarray:
    campaign = np.full(len(source), -1, dtype=np.int64)
    for i in np.flatnonzero(source == PAID_SOCIAL_SOURCE):
        campaign[i] = paid_running(int(ts[i]), PAID_SOCIAL).key
    return campaign


def initial_state(pop: Population, seed: int) -> State:
    state = State.empty(pop.n)
    rng = static_rng(seed, "history")
    people = pop.existing_before_start()
    m = len(people)
    start = day_start_seconds(pop.start_date)
    arrived = arrival_seconds(pop, people)
    tenure = (start - arrived) / 86400.0
    path = pop.path[people]

    # Churn before the first export: lapsed people are still in the systems.
    lifetime = rng.exponential(1.0 / pop.churn_hazard[people].astype(np.float64))
    lapsed = lifetime < tenure
    state.churn_day[people[lapsed]] = np.floor(
        pop.arrival_day[people[lapsed]] + lifetime[lapsed]
    ).astype(np.int32)

    # Leads: converted, lost or still open, depending on propensity and age.
    is_lead = path == LEAD
    window = np.minimum(tenure, 75.0)
    converted = is_lead & (
        rng.random(m) < 1 - np.exp(-lead_conversion_rate(pop.lead_propensity[people]) * window)
    )
    conversion_ts = arrived + (rng.random(m) * window * 86400).astype(np.int64) + 600
    # Anonymous visitors who went on to buy before start_date.
    bought = (path == ANONYMOUS) & (rng.random(m) < 0.5 * (1 - np.exp(-tenure / 200.0)))
    bought_ts = arrived + (rng.random(m) * tenure * 86400).astype(np.int64)

    customer_ts = np.where(converted, conversion_ts, np.where(bought, bought_ts, arrived))
    is_customer = (path == REGISTERED) | converted | bought
    order = np.lexsort((people, customer_ts))
    new = people[order][is_customer[order]]
    state.customer_no[new] = state.take("customer", len(new))
    state.customer_created[people[is_customer]] = customer_ts[is_customer]

    has_contact = is_lead | (is_customer & pop.syncs_to_crm[people])
    contact_ts = np.where(is_lead, arrived, customer_ts + rng.integers(60, 3600, m))
    crm.open_contacts(state, people[has_contact], contact_ts[has_contact], STAGE_LEAD, pop)
    state.lifecycle[people[has_contact & is_customer]] = STAGE_CUSTOMER
    unsubscribed = has_contact & lapsed & (rng.random(m) < 0.3)
    state.consent_email[people[unsubscribed]] = False

    leads = people[is_lead]
    source = rng.choice(len(LEAD_SOURCES), len(leads), p=LEAD_SOURCE_SHARE).astype(np.int8)
    pages = rng.poisson(3 + 6 * pop.lead_propensity[leads]).astype(np.int16)
    crm.open_leads(
        state, leads, arrived[is_lead], source, lead_campaigns(source, arrived[is_lead]), pages
    )
    lead_tenure = tenure[is_lead]
    status = np.where(lead_tenure < 2, LEAD_NEW, LEAD_CONTACTED)
    status = np.where(
        (status == LEAD_CONTACTED) & (pop.lead_propensity[leads] > 0.55) & (lead_tenure > 10),
        LEAD_QUALIFIED,
        status,
    )
    status = np.where(lead_tenure > 60, LEAD_LOST, status)
    status = np.where(converted[is_lead], LEAD_CONVERTED, status)
    state.lead_status[leads] = status
    state.lifecycle[leads[status == LEAD_QUALIFIED]] = STAGE_MQL
    state.lead_status_day[leads] = -1
    state.lead_converted[leads[converted[is_lead]]] = conversion_ts[converted & is_lead]
    return state

"""CRM contacts and leads: records opened on arrival or by sync, re-exported when they change.

The CRM export of a day lists every contact and lead created or changed that day, with its
current values (so the latest row per key is the truth, as staging expects). A lead moves
new -> contacted -> qualified -> converted (its first order) or lost (no purchase in about two
months); how fast depends on the person's lead-conversion propensity and engagement.
"""

from __future__ import annotations

import numpy as np

from sources.simulator import formats, keys
from sources.simulator.batch import Batch
from sources.simulator.campaigns import by_key
from sources.simulator.context import Day
from sources.simulator.lexicon import (
    HOW_HEARD,
    INCOME_BANDS,
    LEAD_SOURCES,
    LEAD_STATUSES,
    LIFECYCLE_STAGES,
    STORES,
)
from sources.simulator.schema import TABLE_COLUMNS
from sources.simulator.state import (
    LEAD_CONTACTED,
    LEAD_CONVERTED,
    LEAD_LOST,
    LEAD_NEW,
    LEAD_QUALIFIED,
    STAGE_MQL,
    State,
)
from sources.simulator.streams import mix64
from sources.simulator.writers import TABLE_FILES

OPEN_LEAD = (LEAD_NEW, LEAD_CONTACTED, LEAD_QUALIFIED)
GENDERS = ("female", "male", "non_binary")


def open_contacts(state: State, people: np.ndarray, ts: np.ndarray, stage: int, pop) -> None:
    """Create CRM contacts (numbered in order of creation)."""
    fresh = state.contact_no[people] < 0
    people, ts = people[fresh], ts[fresh]
    order = np.lexsort((people, ts))
    people, ts = people[order], ts[order]
    state.contact_no[people] = state.take("contact", len(people))
    state.contact_created[people] = ts
    state.contact_updated[people] = ts
    state.lifecycle[people] = stage
    state.consent_email[people] = pop.consents_email[people]
    state.consent_sms[people] = pop.consents_sms[people]


def open_leads(state: State, people, ts, source, campaign, pages) -> None:
    order = np.lexsort((people, ts))
    people = people[order]
    state.lead_no[people] = state.take("lead", len(people))
    state.lead_created[people] = ts[order]
    state.lead_status[people] = LEAD_NEW
    state.lead_source[people] = source[order]
    state.lead_campaign[people] = campaign[order]
    state.lead_pages[people] = pages[order]


def raise_stage(day: Day, people: np.ndarray, stage: int, ts: np.ndarray) -> None:
    """Move contacts up the lifecycle (never down), marking them changed today."""
    state = day.state
    move = (state.contact_no[people] >= 0) & (state.lifecycle[people] < stage)
    people, ts = people[move], ts[move]
    state.lifecycle[people] = stage
    state.contact_updated[people] = np.maximum(state.contact_updated[people], ts)
    day.touch_contacts(people)


def advance_leads(day: Day, engaged: np.ndarray) -> None:
    """Daily status moves of open leads; conversion itself happens at the first order."""
    state, pop = day.state, day.world.pop
    k = pop.arrived_by(day.index)
    status = state.lead_status[:k]
    rng = day.rng("leads")
    u = rng.random(k)
    age = day.index - state.lead_status_day[:k]
    created_days = (day.start - state.lead_created[:k]) // 86400
    ts = day.start + 8 * 3600 + rng.integers(0, 10 * 3600, k)
    propensity = pop.lead_propensity[:k]
    engaged = engaged[:k]
    contacted = (status == LEAD_NEW) & (age >= 1) & (u < 0.45)
    qualified = (status == LEAD_CONTACTED) & (
        u < 0.01 + 0.04 * propensity + 0.25 * engaged * propensity
    )
    lost = np.isin(status, OPEN_LEAD) & ~contacted & ~qualified & (created_days > 60) & (u > 0.97)
    for mask, new in ((contacted, LEAD_CONTACTED), (qualified, LEAD_QUALIFIED), (lost, LEAD_LOST)):
        people = np.flatnonzero(mask)
        state.lead_status[people] = new
        state.lead_status_day[people] = day.index
        day.touch_leads(people)
        if new == LEAD_QUALIFIED:
            raise_stage(day, people, STAGE_MQL, ts[people])


def convert_leads(day: Day, people: np.ndarray, ts: np.ndarray) -> None:
    state = day.state
    converting = np.isin(state.lead_status[people], OPEN_LEAD)
    people, ts = people[converting], ts[converting]
    state.lead_status[people] = LEAD_CONVERTED
    state.lead_status_day[people] = day.index
    state.lead_converted[people] = ts
    day.touch_leads(people)


def _touched(parts: list[np.ndarray], number: np.ndarray) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    people = np.unique(np.concatenate(parts))
    people = people[number[people] >= 0]
    return people[np.argsort(number[people], kind="stable")]


def _static_u(seed: int, people: np.ndarray, purpose: int) -> np.ndarray:
    """A fixed uniform number per person and purpose: a record's values stay put."""
    return mix64(people, seed * 977 + purpose).astype(np.float64) / 2.0**64


def contact_rows(day: Day) -> Batch | None:
    state, world = day.state, day.world
    pop, ids = world.pop, world.ids
    people = _touched(day.touched_contacts, state.contact_no)
    if not len(people):
        return None
    style = TABLE_FILES["crm__contacts"].timestamps
    u_dob, u_gender, u_income, u_interest = (_static_u(world.seed, people, i) for i in range(4))
    columns = {
        "contact_id": keys.contact_ids(state.contact_no[people]),
        "first_name": ids.first_names(people, "crm"),
        "last_name": ids.last_names(people, "crm"),
        "email": ids.emails(people, "crm"),
        "phone": ids.phones(people, "crm"),
        "date_of_birth": formats.dates(pop.birth_ordinal[people], u_dob < 0.55),
        "gender": formats.lookup(GENDERS, pop.gender[people], u_gender < 0.9),
        "street": ids.streets(people, "crm"),
        "city": ids.cities(people),
        "postcode": ids.postcodes(people, "crm"),
        "country": formats.constant("United Kingdom", len(people)),
        "income_band": formats.lookup(INCOME_BANDS, pop.income_band[people], u_income < 0.4),
        "interests": formats.null_where(ids.interests(people), u_interest >= 0.6),
        "lifecycle_stage": formats.lookup(LIFECYCLE_STAGES, state.lifecycle[people]),
        "consent_email": formats.booleans(state.consent_email[people]),
        "consent_sms": formats.booleans(state.consent_sms[people]),
        "created_at": formats.timestamps(state.contact_created[people], style),
        "updated_at": formats.timestamps(state.contact_updated[people], style),
    }
    return Batch(_ordered("crm__contacts", columns), people, state.contact_no[people])


def lead_rows(day: Day) -> Batch | None:
    state, world = day.state, day.world
    ids = world.ids
    people = _touched(day.touched_leads, state.lead_no)
    if not len(people):
        return None
    style = TABLE_FILES["crm__leads"].timestamps
    u_email, u_heard, u_store = (_static_u(world.seed, people, 10 + i) for i in range(3))
    plist = people.tolist()
    campaign = state.lead_campaign[people]
    campaign_ids = [by_key(int(c)).campaign_id if c >= 0 else None for c in campaign]
    converted = state.lead_converted[people] >= 0
    has_contact = state.contact_no[people] >= 0
    stores = [
        STORES[world.pop.home_store[p]][1] if u < 0.5 else None
        for p, u in zip(plist, u_store, strict=True)
    ]
    columns = {
        "lead_id": keys.lead_ids(state.lead_no[people]),
        "contact_id": formats.null_where(
            keys.contact_ids(np.maximum(state.contact_no[people], 0)), ~has_contact
        ),
        "email": ids.typed_emails(people, u_email),
        "created_at": formats.timestamps(state.lead_created[people], style),
        "source_channel": formats.lookup([s[0] for s in LEAD_SOURCES], state.lead_source[people]),
        "campaign_id": formats.strings(campaign_ids),
        "status": formats.lookup(LEAD_STATUSES, state.lead_status[people]),
        "converted_at": formats.timestamps(state.lead_converted[people], style, converted),
        "pages_viewed_before_signup": formats.integers(state.lead_pages[people]),
        # A fifth leave the optional "how did you hear about us" question blank.
        "how_heard": formats.lookup(
            HOW_HEARD,
            np.minimum(u_heard / 0.8 * len(HOW_HEARD), len(HOW_HEARD) - 1).astype(int),
            u_heard < 0.8,
        ),
        "preferred_store": formats.strings(stores),
    }
    return Batch(_ordered("crm__leads", columns), people, state.lead_no[people])


def _ordered(table: str, columns: dict) -> dict:
    return {name: columns[name] for name in TABLE_COLUMNS[table]}

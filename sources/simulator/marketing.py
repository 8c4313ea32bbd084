"""Campaign rows and the ESP's message events (sent, delivered, bounced, opened, clicked,
unsubscribed), with opens and clicks spread over the following days.

Who opens and clicks follows the person: email engagement, interest in the promoted category,
price sensitivity for coupon offers, dissatisfaction and churn. Clicks are handed to the rest of
the day (they start a web session and raise the chance of an order).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sources.simulator import formats, keys
from sources.simulator.batch import Batch
from sources.simulator.campaigns import (
    Campaign,
    by_key,
    campaigns_of_year,
    created_between,
    sending_between,
)
from sources.simulator.context import Clicks, Day
from sources.simulator.population import HISTORY_DAYS
from sources.simulator.writers import TABLE_FILES

SENT, DELIVERED, BOUNCED, OPENED, CLICKED, UNSUBSCRIBED = range(6)
EVENT_NAMES = ("sent", "delivered", "bounced", "opened", "clicked", "unsubscribed")
MAX_DELAY = 4 * 86400


def campaign_rows(day: Day) -> Batch | None:
    """Campaigns set up today; the first file also holds every earlier campaign (the backlog)."""
    if day.index == 0:
        first = day.start - HISTORY_DAYS * 86400
        found = [
            c
            for y in range(day.date.year - 4, day.date.year + 2)
            for c in campaigns_of_year(y)
            if first <= c.start and c.created <= day.end
        ]
    else:
        found = created_between(day.start, day.end)
    if not found:
        return None
    style = TABLE_FILES["marketing__campaigns"].timestamps
    columns = {
        "campaign_id": formats.strings([c.campaign_id for c in found]),
        "name": formats.strings([c.name for c in found]),
        "channel": formats.strings([c.channel for c in found]),
        "started_at": formats.timestamps(np.array([c.start for c in found]), style),
        "ended_at": formats.timestamps(np.array([c.end for c in found]), style),
        "offer": formats.strings([c.offer for c in found]),
        "coupon_code": formats.strings([c.coupon for c in found]),
        "variant": formats.strings([c.variant for c in found]),
    }
    n = len(found)
    return Batch(columns, np.full(n, -1), np.full(n, -1))


def send_and_engage(day: Day) -> Batch | None:
    """Today's message events: new sends plus opens/clicks scheduled by earlier sends."""
    state = day.state
    parts = [_send(day, c) for c in sending_between(day.start, day.end)]
    due = state.due("engagement", day.index)
    if due and len(due["due"]):
        parts.append((due["person"], due["campaign"], due["ts"], due["event"]))
    parts = [p for p in parts if p is not None and len(p[0])]
    if not parts:
        day.clicks = Clicks(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        return None
    person, campaign, ts, event = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((event, ts))
    person, campaign, ts, event = person[order], campaign[order], ts[order], event[order]

    clicked = event == CLICKED
    day.clicks = Clicks(person[clicked], ts[clicked], campaign[clicked])
    gone = event == UNSUBSCRIBED
    if gone.any():
        state.consent_email[person[gone]] = False
        state.contact_updated[person[gone]] = ts[gone]
        day.touch_contacts(person[gone])
    return _message_rows(day, person, campaign, ts, event)


def _send(day: Day, campaign: Campaign):
    """Send one campaign variant; returns today's events and schedules later ones."""
    state, pop, ids = day.state, day.world.pop, day.world.ids
    rng = day.rng(f"send:{campaign.key}")
    arrived = pop.arrived_by(day.index)
    crm = ids.profile["crm"]
    eligible = (
        (state.contact_no[:arrived] >= 0)
        & (state.contact_created[:arrived] <= campaign.start)
        & state.consent_email[:arrived]
        & ~state.bounced[:arrived]
        & ~crm["email_missing"][:arrived]
    )
    people = np.flatnonzero(eligible)
    # Variants of one campaign share these draws, so each person gets exactly one variant.
    shared = day.rng(f"audience:{campaign.key // 10}")
    targeted, split = shared.random(arrived), shared.random(arrived)
    if campaign.category >= 0:
        keep = pop.likes(people, np.full(len(people), campaign.category)) | (
            targeted[people] < 0.25
        )
        people = people[keep]
    if campaign.variant is not None:
        people = people[(split[people] < 0.5) == (campaign.variant == "A")]
    m = len(people)
    if m == 0:
        return None
    sent = campaign.start + rng.integers(0, 2400, m)
    hard = crm["email_domain_typo"][people] & ~crm["use_alt"][people]
    bounced = hard | (rng.random(m) < 0.006)
    state.bounced[people[hard]] = True
    delivered = sent + rng.integers(2, 40, m)

    churned = state.churn_day[people] <= day.index
    fade = np.where(churned, 0.35, 1.0) * np.where(state.bad[people] > 1.5, 0.6, 1.0)
    p_open = np.clip(pop.email_engagement[people] * fade * campaign.open_lift, 0, 0.97)
    opens = ~bounced & (rng.random(m) < p_open)
    at_habit = rng.random(m) < 0.55
    habit_wait = (
        (pop.preferred_hour[people].astype(np.int64) * 3600 - (delivered - day.start)) % 86400
        + rng.integers(0, 3000, m)
        + 86400 * (rng.random(m) < 0.2)
    )
    wait = np.where(at_habit, habit_wait, rng.exponential(4 * 3600, m).astype(np.int64) + 30)
    opened = delivered + wait
    opens &= wait < MAX_DELAY

    likes = (
        pop.likes(people, np.full(m, max(campaign.category, 0)))
        if campaign.category >= 0
        else np.ones(m, dtype=bool)
    )
    appeal = 1 + 1.2 * pop.price_sensitivity[people] * (campaign.discount > 0)
    interest = np.where(likes, 1.7, 0.8)
    p_click = np.clip(0.13 * campaign.click_lift * interest * appeal * fade, 0, 0.9)
    clicks = opens & (rng.random(m) < p_click)
    clicked = opened + rng.integers(5, 600, m)
    p_unsub = 0.004 + 0.02 * (state.bad[people] > 1.0) + 0.01 * churned
    unsubs = opens & ~clicks & (rng.random(m) < p_unsub)
    unsubscribed = opened + rng.integers(20, 900, m)

    if campaign.coupon:
        got = people[~bounced]
        state.coupon_key[got] = campaign.key
        state.coupon_until[got] = (campaign.end - day.start) // 86400 + day.index

    events = [
        (people, sent, SENT, np.ones(m, bool)),
        (people, delivered, DELIVERED, ~bounced),
        (people, delivered, BOUNCED, bounced),
        (people, opened, OPENED, opens),
        (people, clicked, CLICKED, clicks),
        (people, unsubscribed, UNSUBSCRIBED, unsubs),
    ]
    now_p, now_t, now_e = [], [], []
    for who, when, code, mask in events:
        today = mask & (when <= day.end)
        later = mask & (when > day.end)
        now_p.append(who[today])
        now_t.append(when[today])
        now_e.append(np.full(int(today.sum()), code, np.int8))
        if later.any():
            state.schedule(
                "engagement",
                due=((when[later] - day.start) // 86400 + day.index).astype(np.int32),
                ts=when[later].astype(np.int64),
                person=who[later].astype(np.int64),
                campaign=np.full(int(later.sum()), campaign.key, np.int64),
                event=np.full(int(later.sum()), code, np.int8),
            )
    person = np.concatenate(now_p)
    return (
        person,
        np.full(len(person), campaign.key, np.int64),
        np.concatenate(now_t),
        np.concatenate(now_e),
    )


def _message_rows(day: Day, person, campaign, ts, event) -> Batch:
    state, ids = day.state, day.world.ids
    n = len(person)
    numbers = state.take("message", n)
    unique_keys, inverse = np.unique(campaign, return_inverse=True)
    campaign_ids = np.array([by_key(int(k)).campaign_id for k in unique_keys], dtype=object)
    style = TABLE_FILES["marketing__messages"].timestamps
    columns = {
        "message_id": keys.message_ids(numbers, day.world.seed),
        "campaign_id": pa.array(campaign_ids[inverse], pa.string()),
        "occurred_at": formats.timestamps(ts, style),
        "event_type": formats.lookup(EVENT_NAMES, event),
        "contact_id": keys.contact_ids(state.contact_no[person]),
        "email": ids.esp_emails(person),
    }
    return Batch(columns, person, np.full(n, -1))

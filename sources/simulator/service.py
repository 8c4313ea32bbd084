"""After the order: delivery problems and support tickets, and the surveys they schedule.

An order may arrive late, be the wrong item or hold a faulty product (more often for low-quality
products and in the December rush). A problem makes the person less satisfied (which raises
their churn hazard), often produces a ticket, and drags down the scores of their surveys and
reviews. Long queues and unhelpful tickets (low CSAT) add to the dissatisfaction.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np

from sources.simulator import formats, keys
from sources.simulator.batch import Batch
from sources.simulator.commerce import Shopping
from sources.simulator.context import Day
from sources.simulator.phrases import (
    TICKET_TEXTS,
)
from sources.simulator.population import REVIEW_RATE
from sources.simulator.seasons import ONLINE_HOURS, black_friday
from sources.simulator.writers import TABLE_FILES

LATE, DEFECT, WRONG = 1, 2, 4  # problem bits
TICKET_CATEGORIES = ("delivery", "product_defect", "wrong_item", "returns", "billing", "account")
TICKET_CHANNELS = ("phone", "chat", "email")
PHONE, CHAT, EMAIL = range(3)
TYPICAL_QUEUE = np.array([240.0, 60.0, 5 * 3600.0])
RESOLUTION_HOURS = np.array([20.0, 60.0, 40.0, 30.0, 24.0, 0.5])
DISSATISFACTION = {LATE: 1.0, DEFECT: 1.5, WRONG: 1.0}
TICKET_CHANCE = {LATE: 0.55, DEFECT: 0.75, WRONG: 0.85}
SURVEY_REPLY = np.array([0.22, 0.40, 0.20, 0.35, 0.12])
NPS, CSAT = 0, 1


def schedule_after_orders(day: Day, shopping: Shopping) -> None:
    """Decide now what each order will lead to later; it happens on the due day."""
    state, world = day.state, day.world
    pop, catalogue = world.pop, world.catalogue
    rng = day.rng("aftercare")
    done = np.flatnonzero(~shopping.cancelled)
    if not len(done):
        return
    when = day.date
    rush = black_friday(when.year) <= when <= date(when.year, 12, 24)
    online = shopping.channel[done] != 2
    person = shopping.buyer[done]
    number = shopping.number[done]
    m = len(done)
    late = online & (rng.random(m) < (0.11 if rush else 0.05))
    wrong = online & (rng.random(m) < 0.01)

    is_line = np.isin(shopping.line_order, done)
    lines = np.flatnonzero(is_line)
    line_product = shopping.line_product[lines]
    defect = rng.random(len(lines)) < catalogue.defect_rate[line_product]
    slot_of_order = np.full(len(shopping.buyer), -1)
    slot_of_order[done] = np.arange(m)
    line_slot = slot_of_order[shopping.line_order[lines]]
    problem = (late * LATE | wrong * WRONG).astype(np.int8)
    np.bitwise_or.at(problem, line_slot[defect], DEFECT)

    first_product = np.full(m, -1, np.int64)
    first_product[line_slot[::-1]] = line_product[::-1]
    # A late parcel is about the order, a wrong item about one of its products.
    for mask, kind, wait, about in (
        (late, LATE, (3, 7), np.full(m, -1)),
        (wrong, WRONG, (2, 5), first_product),
    ):
        rows = np.flatnonzero(mask)
        state.schedule(
            "problems",
            due=(day.index + rng.integers(*wait, len(rows))).astype(np.int32),
            person=person[rows],
            order=number[rows],
            product=about[rows],
            kind=np.full(len(rows), kind, np.int8),
        )
    rows = np.flatnonzero(defect)
    state.schedule(
        "problems",
        due=(day.index + rng.integers(2, 9, len(rows))).astype(np.int32),
        person=person[line_slot[rows]],
        order=number[line_slot[rows]],
        product=line_product[rows],
        kind=np.full(len(rows), DEFECT, np.int8),
    )

    reply = SURVEY_REPLY[pop.persona[person]]
    nps = rng.random(m) < 0.12 * reply
    csat = rng.random(m) < np.where(online, 0.2, 0.1) * reply
    for mask, kind, due in (
        (nps, NPS, day.index + 12 + rng.geometric(0.5, m) - 1),
        (csat, CSAT, day.index + np.where(online, rng.integers(5, 8, m), rng.integers(1, 3, m))),
    ):
        rows = np.flatnonzero(mask)
        state.schedule(
            "surveys",
            due=due[rows].astype(np.int32),
            person=person[rows],
            order=number[rows],
            kind=np.full(len(rows), kind, np.int8),
            problem=problem[rows],
        )

    owner = person[line_slot]
    chance = REVIEW_RATE[pop.persona[owner]] * np.where(defect, 2.5, 1.0)
    rows = np.flatnonzero(rng.random(len(lines)) < chance)
    line_problem = (problem[line_slot] & ~DEFECT) | np.where(defect, DEFECT, 0)
    state.schedule(
        "reviews",
        due=(day.index + rng.integers(4, 21, len(rows))).astype(np.int32),
        person=owner[rows],
        order=number[line_slot[rows]],
        product=line_product[rows],
        problem=line_problem[rows].astype(np.int8),
    )


def run(day: Day) -> None:
    """Today's support tickets (feedback.py: surveys and reviews)."""
    _tickets(day)


# -- tickets ---------------------------------------------------------------------------------


def _tickets(day: Day) -> None:
    state, pop = day.state, day.world.pop
    rng = day.rng("tickets")
    problems = state.due("problems", day.index)
    person = np.zeros(0, np.int64)
    category = np.zeros(0, np.int64)
    order = np.zeros(0, np.int64)
    product = np.zeros(0, np.int64)
    if problems and len(problems["due"]):
        kind = problems["kind"]
        weights = np.vectorize(DISSATISFACTION.get)(kind)
        np.add.at(state.bad, problems["person"], weights.astype(np.float32))
        chance = np.vectorize(TICKET_CHANCE.get)(kind)
        raise_it = rng.random(len(kind)) < chance
        person = problems["person"][raise_it]
        category = np.select([kind == LATE, kind == DEFECT], [0, 1], 2)[raise_it]
        order = problems["order"][raise_it]
        product = problems["product"][raise_it]

    # Questions that are not about a problem: returns, billing, account.
    k = pop.arrived_by(day.index)
    customers = np.flatnonzero((state.customer_no[:k] >= 0) & (state.churn_day[:k] > day.index))
    asking = customers[rng.random(len(customers)) < 0.0004]
    ask_category = rng.choice([3, 4, 5], len(asking), p=[0.4, 0.3, 0.3])
    person = np.concatenate([person, asking])
    category = np.concatenate([category, ask_category])
    order = np.concatenate([order, state.last_order_no[asking]])
    product = np.concatenate([product, np.full(len(asking), -1)])

    new = _open_tickets(day, person, category, order, product, rng)
    resolved = state.due("tickets", day.index)
    rows = [_ticket_rows(day, new, final=False)]
    if resolved and len(resolved["due"]):
        _after_resolution(day, resolved)
        rows.append(_ticket_rows(day, resolved, final=True))
    day.add("support__tickets", Batch.concat(rows))


def _open_tickets(day: Day, person, category, order, product, rng) -> dict[str, np.ndarray]:
    state, pop = day.state, day.world.pop
    n = len(person)
    age = (day.date.toordinal() - pop.birth_ordinal[person]) / 365.25
    p_phone = 0.15 + 0.4 * (age > 55)
    u = rng.random(n)
    channel = np.where(u < p_phone, PHONE, np.where(u < p_phone + 0.4, CHAT, EMAIL))
    hour = np.where(
        channel == EMAIL,
        rng.choice(24, n, p=ONLINE_HOURS),
        np.where(channel == PHONE, rng.integers(9, 18, n), rng.integers(8, 22, n)),
    )
    created = day.start + hour * 3600 + rng.integers(0, 3600, n)
    load = 1.0 + 0.8 * (day.date.month == 12) + 0.3 * (day.date.weekday() == 0)
    queue = np.maximum(5, TYPICAL_QUEUE[channel] * load * np.exp(rng.normal(0, 0.7, n))).astype(
        np.int64
    )
    hours = RESOLUTION_HOURS[category] * np.exp(rng.normal(0, 0.8, n))
    resolved = created + queue + (hours * 3600).astype(np.int64)
    never = rng.random(n) < 0.03  # left pending
    days_to_fix = hours / 24.0
    problem = category <= 2
    score = (
        4.5
        - 0.55 * np.log(queue / TYPICAL_QUEUE[channel])
        - 0.22 * days_to_fix
        - 0.5 * problem
        - 0.3 * state.bad[person]
        + rng.normal(0, 0.8, n)
    )
    csat = np.where(rng.random(n) < 0.55, np.clip(np.round(score), 1, 5), -1).astype(np.int64)
    order_by_time = np.argsort(created, kind="stable")
    tickets = {
        "number": np.zeros(n, np.int64),
        "person": person,
        "created": created,
        "channel": channel,
        "category": category,
        "order": order,
        "product": product,
        "queue": queue,
        "resolved": np.where(never, -1, resolved),
        "csat": csat,
        "email_u": rng.random(n),
        "customer_u": rng.random(n),
        "text_key": rng.integers(0, 2**62, n),
    }
    tickets = {k: np.asarray(v)[order_by_time] for k, v in tickets.items()}
    tickets["number"] = state.take("ticket", n)
    later = (tickets["resolved"] > day.end) | (tickets["resolved"] < 0)
    pending = later & (tickets["resolved"] > 0)
    if pending.any():
        due = day.index + (tickets["resolved"][pending] - day.start) // 86400
        state.schedule(
            "tickets", due=due.astype(np.int32), **{k: v[pending] for k, v in tickets.items()}
        )
    solved_today = ~later
    if solved_today.any():
        _after_resolution(day, {k: v[solved_today] for k, v in tickets.items()})
    return tickets


def _after_resolution(day: Day, tickets: dict[str, np.ndarray]) -> None:
    """Unhelpful support adds to a person's dissatisfaction."""
    hurt = 1.0 * (tickets["csat"] >= 1) * (tickets["csat"] <= 2)
    hurt += 0.5 * (tickets["queue"] > 1800) * (tickets["channel"] != EMAIL)
    np.add.at(day.state.bad, tickets["person"], hurt.astype(np.float32))


def _ticket_rows(day: Day, t: dict[str, np.ndarray], final: bool) -> Batch | None:
    if not t or not len(t["person"]):
        return None
    state, world = day.state, day.world
    ids, catalogue = world.ids, world.catalogue
    style = TABLE_FILES["support__tickets"].timestamps
    responded = t["created"] + t["queue"] <= day.end
    solved = (t["resolved"] >= 0) & (t["resolved"] <= day.end)
    status = np.where(solved, "solved", np.where(responded, "open", "new"))
    if not final:
        status = np.where(t["resolved"] < 0, np.where(responded, "pending", "new"), status)
    show_email = t["email_u"] < np.array([0.25, 0.6, 0.95])[t["channel"]]
    show_customer = t["customer_u"] < np.array([0.6, 0.45, 0.2])[t["channel"]]
    emails = formats.null_where(ids.typed_emails(t["person"], t["email_u"]), ~show_email)
    has_product = t["product"] >= 0
    product_ids = np.asarray(catalogue.product_id, dtype=object)
    texts = [
        _ticket_text(int(key), int(cat), int(o), int(prod), catalogue, int(created))
        for key, cat, o, prod, created in zip(
            t["text_key"], t["category"], t["order"], t["product"], t["created"], strict=True
        )
    ]
    columns = {
        "ticket_id": keys.ticket_ids(t["number"]),
        "created_at": formats.timestamps(t["created"], style),
        "email": emails,
        "customer_id": formats.null_where(
            keys.customer_ids(np.maximum(state.customer_no[t["person"]], 0)),
            ~show_customer | (state.customer_no[t["person"]] < 0),
        ),
        "channel": formats.lookup(TICKET_CHANNELS, t["channel"]),
        "category": formats.lookup(TICKET_CATEGORIES, t["category"]),
        "product_id": formats.strings(
            np.where(has_product, product_ids[np.maximum(t["product"], 0)], None).tolist()
        ),
        "first_response_at": formats.timestamps(t["created"] + t["queue"], style, responded),
        "resolved_at": formats.timestamps(t["resolved"], style, solved),
        "queue_seconds": formats.integers(t["queue"], responded),
        "status": formats.strings(status.tolist()),
        "csat_score": formats.integers(t["csat"], solved & (t["csat"] > 0)),
        "text": formats.strings(texts),
    }
    return Batch(columns, t["person"], t["number"])


def _ticket_text(key: int, category: int, order: int, product: int, catalogue, created) -> str:
    """The customer's first message; the same words in every export of the ticket."""
    chooser = random.Random(key)
    today = date(1970, 1, 1) + timedelta(days=created // 86400)
    template = chooser.choice(TICKET_TEXTS[TICKET_CATEGORIES[category]])
    item = catalogue.noun[product].lower() if product >= 0 else "item"
    order_text = f"ORD-{order + 1_000_001}" if order >= 0 else "my last order"
    due = (today - timedelta(days=chooser.randint(1, 4))).strftime("%d %B")
    return template.format(order=order_text, item=item, due=due)

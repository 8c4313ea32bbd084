"""What customers say after the order: CSAT/NPS survey responses and reviews, their scores dragged
down by delivery problems and poor support (sources/simulator/service.py records those)."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from sources.simulator import crm, formats, keys
from sources.simulator.batch import Batch
from sources.simulator.context import Day
from sources.simulator.phrases import REVIEW_COMPANY_SENTENCES, REVIEW_SENTENCES, SURVEY_COMMENTS
from sources.simulator.seasons import ONLINE_HOURS
from sources.simulator.service import CSAT, DEFECT, LATE, NPS
from sources.simulator.state import STAGE_EVANGELIST
from sources.simulator.writers import TABLE_FILES

NPS_BASE = np.array([7.2, 8.8, 7.8, 8.5, 6.8])
RATING_SHIFT = np.array([-0.2, 0.2, 0.0, 0.1, -0.1])
PLATFORMS = ("website", "trustpilot", "google")


def run(day: Day) -> None:
    """Today's survey responses and reviews."""
    day.add("surveys__responses", survey_responses(day))
    day.add("feedback__reviews", reviews(day))


# -- surveys and reviews ---------------------------------------------------------------------


def _submitted(day: Day, people: np.ndarray, rng) -> np.ndarray:
    hour = np.where(
        rng.random(len(people)) < 0.6,
        day.world.pop.preferred_hour[people],
        rng.choice(24, len(people), p=ONLINE_HOURS),
    )
    return day.start + hour.astype(np.int64) * 3600 + rng.integers(0, 3600, len(people))


def survey_responses(day: Day) -> Batch | None:
    state, world = day.state, day.world
    pop, ids = world.pop, world.ids
    due = state.due("surveys", day.index)
    if not due or not len(due["due"]):
        return None
    rng = day.rng("surveys")
    person, kind, problem = due["person"], due["kind"], due["problem"]
    n = len(person)
    hit = (problem > 0).astype(float)
    bad = state.bad[person]
    nps = np.clip(
        np.round(NPS_BASE[pop.persona[person]] - 1.6 * bad - 2.5 * hit + rng.normal(0, 1.4, n)),
        0,
        10,
    )
    csat = np.clip(np.round(4.4 - 1.5 * hit - 0.4 * bad + rng.normal(0, 0.7, n)), 1, 5)
    score = np.where(kind == NPS, nps, csat).astype(np.int64)
    group = np.where(kind == NPS, np.digitize(score, [7, 9]), np.digitize(score, [3, 4]))
    with_comment = rng.random(n) < np.where(kind == NPS, 0.5, 0.3)
    chooser = random.Random(int(rng.integers(0, 2**62)))
    names = ("detractor", "passive", "promoter")
    comments = [
        chooser.choice(SURVEY_COMMENTS[names[g]]) if c else None
        for g, c in zip(group, with_comment, strict=True)
    ]
    email_u = rng.random(n)
    show_email = email_u < 0.65
    emails = formats.null_where(ids.typed_emails(person, email_u), ~show_email)
    show_customer = rng.random(n) < 0.6
    show_order = (kind == CSAT) | (rng.random(n) < 0.4)
    submitted = _submitted(day, person, rng)
    order = np.lexsort((person, submitted))
    numbers = state.take("response", n)
    style = TABLE_FILES["surveys__responses"].timestamps
    promoters = person[(kind == NPS) & (score >= 9) & (rng.random(n) < 0.3)]
    crm.raise_stage(day, promoters, STAGE_EVANGELIST, np.full(len(promoters), day.end - 60))
    columns = {
        "response_id": keys.response_ids(numbers, world.seed),
        "submitted_at": formats.timestamps(submitted[order], style),
        "survey_type": formats.lookup(("nps", "csat"), kind[order]),
        "score": formats.integers(score[order]),
        "comment": formats.strings([comments[i] for i in order]),
        "email": emails.take(pa.array(order)),
        "customer_id": formats.null_where(
            keys.customer_ids(state.customer_no[person[order]]), ~show_customer[order]
        ),
        "order_id": formats.null_where(keys.order_ids(due["order"][order]), ~show_order[order]),
    }
    return Batch(columns, person[order], numbers)


def reviews(day: Day) -> Batch | None:
    state, world = day.state, day.world
    pop, ids, catalogue = world.pop, world.ids, world.catalogue
    due = state.due("reviews", day.index)
    if not due or not len(due["due"]):
        return None
    rng = day.rng("reviews")
    person, product, problem = due["person"], due["product"], due["problem"]
    n = len(person)
    platform = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    on_site = platform == 0
    defect = (problem & DEFECT) > 0
    late = (problem & LATE) > 0
    bad = state.bad[person]
    product_score = (
        3.4
        + 1.6 * catalogue.quality[product]
        + RATING_SHIFT[pop.persona[person]]
        - 0.5 * bad
        - 0.8 * late
        + rng.normal(0, 0.7, n)
    )
    product_score = np.where(defect, 1 + (rng.random(n) < 0.4), product_score)
    company_score = 4.3 - 0.9 * bad - 1.5 * late - 1.5 * defect + rng.normal(0, 0.8, n)
    rating = np.clip(np.round(np.where(on_site, product_score, company_score)), 1, 5)
    rating = rating.astype(np.int64)
    chooser = random.Random(int(rng.integers(0, 2**62)))
    texts = []
    for stars, site, prod in zip(rating.tolist(), on_site.tolist(), product.tolist(), strict=True):
        pool = REVIEW_SENTENCES[stars] if site else REVIEW_COMPANY_SENTENCES[stars]
        picked = chooser.sample(pool, k=min(len(pool), chooser.randint(1, 3)))
        item = catalogue.noun[prod].lower()
        texts.append(" ".join(s.format(item=item) for s in picked))
    style_u = rng.random(n)
    authors = ids.author_names(person, style_u)
    email_u = rng.random(n)
    show_email = (platform == 1) & (email_u < 0.3)
    emails = formats.null_where(ids.typed_emails(person, email_u), ~show_email)
    posted = _submitted(day, person, rng)
    order = np.lexsort((person, posted))
    numbers = state.take("review", n)
    style = TABLE_FILES["feedback__reviews"].timestamps
    product_ids = np.asarray(catalogue.product_id, dtype=object)
    columns = {
        "review_id": keys.review_ids(numbers, world.seed),
        "posted_at": formats.timestamps(posted[order], style),
        "rating": formats.integers(rating[order]),
        "text": formats.strings([texts[i] for i in order]),
        "product_id": formats.strings(
            np.where(on_site[order], product_ids[product[order]], None).tolist()
        ),
        "platform": formats.lookup(PLATFORMS, platform[order]),
        "author_name": authors.take(pa.array(order)),
        "email": emails.take(pa.array(order)),
        "customer_id": formats.null_where(
            keys.customer_ids(state.customer_no[person[order]]), ~on_site[order]
        ),
    }
    return Batch(columns, person[order], numbers)

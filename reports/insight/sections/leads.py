"""Lead scores: how open leads convert by grade, against what the model predicted.

Actual conversion needs time after the scoring day: a report built with a scoring day in the past
(`binesh run --as-of`) shows it; today's scores show the prediction alone. Grades compared in the
headline each rest on at least MIN_SAMPLE leads.
"""

from __future__ import annotations

from reports import charts
from reports.formatting import percent
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent, too_few
from reports.warehouse import Warehouse

ANCHOR, NAME = "leads", "Lead scores"


def build(warehouse: Warehouse) -> Section:
    if not warehouse.has("ml.lead_scores"):
        return absent(ANCHOR, NAME, "No lead scores: ml.lead_scores is absent.")
    outcome = warehouse.has("marts.customer_360")
    rows = warehouse.query(
        "select scores.grade, count(*) as leads, avg(scores.conversion_probability) as predicted, "
        + (
            "count(*) filter (profiles.last_order_at::date > scores.as_of) as converted, "
            "max(profiles.as_of_at)::date - min(scores.as_of) as days_since "
            "from ml.lead_scores as scores "
            "left join marts.customer_360 as profiles using (customer_id) "
            if outcome
            else "null as converted, 0 as days_since from ml.lead_scores as scores "
        )
        + "group by scores.grade order by scores.grade",
        "ml.lead_scores",
    )
    if rows is None:
        return absent(
            ANCHOR,
            NAME,
            "No lead scores: no open CRM leads, or too little lead history to train the model "
            "(ml.lead_scores is empty).",
        )
    days_since = int(rows["days_since"].max() or 0)
    has_outcome = days_since > 0
    rows["actual"] = rows["converted"] / rows["leads"] if has_outcome else float("nan")
    compared = rows[rows["leads"] >= MIN_SAMPLE]
    if len(compared) < 2:
        title = too_few(int(rows["leads"].max()), "leads in two grades")
    else:
        best, worst = compared.iloc[0], compared.iloc[-1]
        measure, verb = ("actual", "converted") if has_outcome else ("predicted", "are predicted")
        title = (
            f"Grade {best['grade']} leads {verb} "
            f"{'at' if has_outcome else 'to convert at'} {percent(best[measure])} against "
            f"{percent(worst[measure])} for grade {worst['grade']}"
        )
    if has_outcome:
        caption = (
            f"Open leads scored on the scoring day, by grade: the share that bought in the "
            f"{days_since} days since (bars) against the predicted conversion (diamonds)."
        )
    else:
        caption = (
            "Predicted conversion of today's open leads by grade (diamonds). What they actually "
            "do is not known yet: build the report with a scoring day in the past "
            "(binesh run --as-of) to see it beside the prediction."
        )
    figure = charts.dots_over_bars(
        [f"Grade {grade}" for grade in rows["grade"]],
        rows["actual"] if has_outcome else None, rows["predicted"], percent,
        bar_label="converted since scoring", dot_label="predicted", counts=list(rows["leads"]),
    )  # fmt: skip
    section = Section(ANCHOR, NAME, title=title)
    section.charts.append(Chart(charts.svg(figure, title), caption))
    return section

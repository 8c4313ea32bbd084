"""Feedback and NPS: what customers write about, in which tone, and the NPS by month."""

from __future__ import annotations

import pandas as pd

from reports import charts
from reports.formatting import label, number, percent, score
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent, sentence
from reports.warehouse import Warehouse


def build(warehouse: Warehouse) -> Section:
    section = Section("feedback", "Feedback & NPS")
    themes = warehouse.query(
        "select theme, sum(texts) as texts, sum(average_sentiment * texts) / nullif(sum(texts), 0) "
        "as sentiment from marts.insight_feedback where theme <> 'all' group by theme "
        "having sum(texts) > 0 order by texts desc, theme limit 12",
        "marts.insight_feedback",
    )
    months = warehouse.query(
        "select period_month, nps, nps_responses, average_csat from marts.insight_feedback "
        "where theme = 'all' order by period_month",
        "marts.insight_feedback",
    )
    if themes is None and months is None:
        return absent(
            section.anchor,
            section.name,
            "No feedback: no surveys, reviews or support tickets "
            "(marts.insight_feedback is empty).",
        )
    titles = []
    if themes is not None:
        total = themes["texts"].sum()
        top = themes.iloc[0]
        sizeable = themes[themes["texts"] >= MIN_SAMPLE]
        worst = (sizeable if len(sizeable) else themes).sort_values("sentiment").iloc[0]
        titles.append(
            f"customers write most about {top['theme']} ({percent(top['texts'] / total)})"
        )
        colours = [
            charts.BAD if s < -0.05 else charts.GOOD if s > 0.05 else charts.GREY
            for s in themes["sentiment"]
        ]
        figure = charts.bars(
            [label(theme) for theme in themes["theme"]],
            list(themes["texts"]),
            number,
            colours=colours,
            annotations=[
                f"{number(t)} · sentiment {s:+.2f}"
                for t, s in zip(themes["texts"], themes["sentiment"], strict=True)
            ],
            xlabel="texts mentioning the theme",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Feedback themes"),
                f"Themes of reviews, survey comments and tickets; colour is the tone (blue "
                "positive, vermillion negative, grey neutral). Most negative: "
                f"{label(worst['theme']).lower()} ({worst['sentiment']:+.2f} on a −1 to 1 scale).",
            )
        )
    nps = months.dropna(subset=["nps"]) if months is not None else None
    if nps is not None and len(nps):
        # The latest month resting on enough responses (a month just begun may have one).
        enough = nps[nps["nps_responses"] >= MIN_SAMPLE]
        if len(enough):
            latest = enough.iloc[-1]
            month = pd.Timestamp(latest["period_month"])
            titles.append(f"NPS is {score(latest['nps'])} in {month:%B}")
        figure = charts.line(
            pd.to_datetime(nps["period_month"]),
            {"NPS": nps["nps"]},
            score,
            counts=nps["nps_responses"],
            counts_label="NPS responses",
            reference=0,
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "NPS by month"),
                "Net promoter score by month (−100 to 100; above 0, promoters outnumber "
                "detractors); grey bars are the responses each point rests on.",
            )
        )
    section.title = sentence(*titles)
    return section

"""Funnel: where web and app sessions drop out, by traffic channel, and lead conversion."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, number, percent
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent, sentence
from reports.warehouse import Warehouse


def build(warehouse: Warehouse) -> Section:
    section = Section("funnel", "Funnel")
    steps = warehouse.query(
        "select funnel, step_number, step_name, sum(entrants) as entrants "
        "from marts.journey_funnel where channel = 'all' group by all order by funnel, step_number",
        "marts.journey_funnel",
    )
    if steps is None:
        return absent(
            section.anchor, section.name, "No sessions or leads: marts.journey_funnel is empty."
        )
    titles = []
    web = steps[steps["funnel"] == "web_session"]
    if len(web):
        first = web["entrants"].iloc[0]
        rates = web["entrants"] / first
        previous = web["entrants"].shift(1)
        losses = 1 - web["entrants"] / previous
        worst = losses.iloc[1:].idxmax()
        titles.append(f"{percent(rates.iloc[-1])} of sessions end in a purchase")
        titles.append(
            f"the biggest drop is {label(web.loc[worst - 1, 'step_name']).lower()} → "
            f"{web.loc[worst, 'step_name'].replace('_', ' ')} ({percent(losses[worst])} lost)"
        )
        figure = charts.bars(
            [label(step) for step in web["step_name"]],
            list(web["entrants"]),
            number,
            colours=[charts.BLUE] * len(web),
            annotations=[
                f"{number(e)} · {percent(r)}" for e, r in zip(web["entrants"], rates, strict=True)
            ],
            xlabel="sessions reaching the step",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Web and app session funnel"),
                "Sessions (web and app, identified or not) reaching each step, with the share "
                "of all sessions.",
            )
        )
        by_channel = warehouse.con.execute(
            "select channel, sum(entrants) filter (step_name = 'purchase') / "
            "nullif(sum(entrants) filter (step_number = 1), 0) as rate, "
            "sum(entrants) filter (step_number = 1) as sessions from marts.journey_funnel "
            "where funnel = 'web_session' and channel <> 'all' group by channel "
            f"having sessions >= {MIN_SAMPLE} order by rate desc, channel"
        ).df()
        if len(by_channel) > 1:
            figure = charts.bars(
                [label(channel) for channel in by_channel["channel"]],
                list(by_channel["rate"].fillna(0)),
                percent,
                colours=charts.SKY,
                annotations=[
                    f"{percent(r)} of {number(s)}"
                    for r, s in zip(
                        by_channel["rate"].fillna(0), by_channel["sessions"], strict=True
                    )
                ],
                xlabel="sessions ending in a purchase",
            )
            section.charts.append(
                Chart(
                    charts.svg(figure, "Conversion by traffic channel"),
                    f"{label(by_channel['channel'].iloc[0])} traffic converts best; channels "
                    f"with at least {MIN_SAMPLE} sessions.",
                )
            )
    leads = steps[steps["funnel"] == "lead"]
    if len(leads) > 1 and leads["entrants"].iloc[0] > 0:
        rate = leads["entrants"].iloc[-1] / leads["entrants"].iloc[0]
        titles.append(f"{percent(rate)} of leads became customers")
    section.title = sentence(*titles)
    return section

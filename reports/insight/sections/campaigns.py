"""Campaign A/B tests: which tested variants beat their control beyond chance."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, signed_percent
from reports.insight.page import Chart, Section, absent
from reports.warehouse import Warehouse

SIGNIFICANCE = 0.05
AB_TESTS_SHOWN = 12

AB_TESTS_SHOWN = 12


def build(warehouse: Warehouse) -> Section:
    section = Section("campaigns", "Campaign A/B tests")
    rows = warehouse.query(
        "select ab_test_name, started_date, variant, click_rate_lift, click_rate_p_value, "
        "conversion_rate_lift, conversion_rate_p_value, delivered from marts.campaign_ab_results "
        "where not is_control and variant is not null "
        f"order by started_date desc, ab_test_name, variant limit {AB_TESTS_SHOWN}",
        "marts.campaign_ab_results",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No A/B tests: no campaign was sent in several variants (marts.campaign_ab_results "
            "has no tested variants).",
        )
    rows = rows.iloc[::-1]  # oldest on top, so the latest tests sit next to the caption
    names = [
        f"{name} · {variant}"
        for name, variant in zip(rows["ab_test_name"], rows["variant"], strict=True)
    ]
    winners = []
    for metric in ("click_rate", "conversion_rate"):
        known = rows.dropna(subset=[f"{metric}_lift"])
        significant = known[known[f"{metric}_p_value"] < SIGNIFICANCE]
        winners += [(metric, row) for row in significant.itertuples()]
        if not len(known):
            continue
        figure = charts.lift_dots(
            [n for n, keep in zip(names, rows[f"{metric}_lift"].notna(), strict=True) if keep],
            list(known[f"{metric}_lift"]),
            list(known[f"{metric}_p_value"] < SIGNIFICANCE),
            signed_percent,
            xlabel=f"{metric.replace('_', ' ')} lift over the control (variant A)",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, f"{label(metric)} lift by variant"),
                f"{label(metric)} of each tested variant against its control; filled dots are "
                f"differences unlikely to be chance (two-proportion test, p < {SIGNIFICANCE}).",
            )
        )
    tests = rows["ab_test_name"].nunique()
    if winners:
        metric, row = max(winners, key=lambda pair: abs(getattr(pair[1], f"{pair[0]}_lift")))
        lift = getattr(row, f"{metric}_lift")
        section.title = (
            f"{len(winners)} results of the last {tests} A/B tests beat chance; the largest: "
            f"variant {row.variant} of “{row.ab_test_name}” {'raised' if lift > 0 else 'cut'} "
            f"the {metric.replace('_', ' ')} by {signed_percent(abs(lift))[1:]}"
        )
    else:
        section.title = (
            f"None of the last {tests} A/B tests found a difference beyond chance "
            f"(p < {SIGNIFICANCE})"
        )
    return section

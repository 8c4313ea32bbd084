"""Data quality: the latest result of every check by layer, and the rows quarantined per source
table. The page links the full data-quality report under it."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, number, percent
from reports.insight.page import Chart, Section, absent, sentence
from reports.warehouse import Warehouse

STATUS_COLOURS = {"passed": charts.BLUE, "warned": charts.ORANGE, "failed": charts.VERMILLION}


def build(warehouse: Warehouse) -> Section:
    section = Section("quality", "Data quality")
    checks = warehouse.query(
        """
        select layer,
            count(*) filter (success) as passed,
            count(*) filter (not success and severity = 'warn') as warned,
            count(*) filter (not success and coalesce(severity, 'error') <> 'warn') as failed
        from (
            select * from audit.quality_results
            qualify row_number() over (partition by asset, check_name order by checked_at desc) = 1
        )
        group by layer order by case layer when 'raw' then 1 when 'staging' then 2 else 3 end
        """,
        "audit.quality_results",
    )
    loads = warehouse.query(
        "select source_table, sum(rows_landed) as landed, sum(rows_quarantined) as quarantined "
        "from audit.load_log where superseded_at is null group by source_table "
        "having sum(rows_landed) > 0 order by quarantined / landed desc, source_table",
        "audit.load_log",
    )
    if checks is None and loads is None:
        return absent(
            section.anchor,
            section.name,
            "No quality results or loads recorded (audit tables absent or empty).",
        )
    titles = []
    if checks is not None:
        total = int(checks[["passed", "warned", "failed"]].to_numpy().sum())
        titles.append(f"{number(checks['passed'].sum())} of {number(total)} quality checks passed")
        if checks["failed"].sum():
            titles.append(f"{number(checks['failed'].sum())} failed")
        figure = charts.stacked_bars(
            [label(layer) for layer in checks["layer"]],
            {name: checks[name] for name in STATUS_COLOURS},
            STATUS_COLOURS,
            xlabel="checks (latest result of each)",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Quality checks by layer"),
                "The latest result of every data-quality check, by layer: failed checks on raw "
                "and staging stop the run; warnings are reported.",
            )
        )
    if loads is not None:
        rate = loads["quarantined"].sum() / loads["landed"].sum()
        titles.append(f"{percent(rate)} of landed rows were quarantined")
        loads["rate"] = loads["quarantined"] / loads["landed"]
        figure = charts.bars(
            list(loads["source_table"]),
            list(loads["rate"]),
            percent,
            colours=[
                charts.VERMILLION if r > 0.05 else charts.ORANGE if r > 0 else charts.BLUE
                for r in loads["rate"]
            ],
            annotations=[
                f"{percent(r)} · {number(q)} of {number(n)}"
                for r, q, n in zip(
                    loads["rate"], loads["quarantined"], loads["landed"], strict=True
                )
            ],
            xlabel="rows quarantined / rows landed",
        )
        quarantine = ""
        if warehouse.has("audit.quarantine"):
            reasons = warehouse.con.execute(
                "select reason, count(*) as rows from audit.quarantine group by reason "
                "order by rows desc limit 1"
            ).fetchall()
            if reasons:
                quarantine = (
                    f" The most common reason: “{reasons[0][0]}” ({number(reasons[0][1])} rows)."
                )
        section.charts.append(
            Chart(
                charts.svg(figure, "Quarantined rows by source table"),
                "Share of each landing table's rows set aside in audit.quarantine instead of "
                "loaded (current file versions)." + quarantine,
            )
        )
    section.title = sentence(*titles)
    return section

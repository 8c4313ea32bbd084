"""The quality report: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
fetched), rebuilt on every run from audit.quality_results, audit.quarantine and
audit.quality_acceptances. It opens with what blocks or warns now and the way out of each. The
page is the template report.html.j2 beside this file.

    <warehouse folder>/reports/quality/latest.html        the latest state
    <warehouse folder>/reports/quality/runs/<run>.html    the page as that run left it
    <warehouse folder>/reports/quality/quarantine/<table>.csv   every quarantined row of a table
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from data_quality.checks import LAYERS
from data_quality.quarantine import summarise_quarantine
from data_quality.samples import failing_file
from reports import charts
from sources.readers import table_exists

HISTORY_RUNS = 30
BLOCKING_LAYERS = ("raw", "staging")  # marts failures warn, never block
# What became of a table's failing rows in a run, stacked in this order in its chart.
OUTCOMES = {
    "blocked the run": charts.VERMILLION,
    "quarantined": charts.ORANGE,
    "warned, flowed on": charts.PURPLE,
    "within tolerance": charts.SKY,
}


def build_quality_report(con: duckdb.DuckDBPyConnection, directory: Path, run_id: str) -> Path:
    """Write the report (and the quarantine CSVs it links to); returns latest.html."""
    directory = Path(directory)
    (directory / "runs").mkdir(parents=True, exist_ok=True)
    (directory / "quarantine").mkdir(exist_ok=True)
    quarantine = summarise_quarantine(con, sample_rows=5, top_files=50)
    for entry in quarantine.by_table:
        csv = directory / "quarantine" / f"{entry['table']}.csv"
        con.execute(
            f"copy (select source_file, source_row, reason, original_row, quarantined_at "
            f"from audit.quarantine where source_table = '{entry['table']}' "
            f"order by source_file, source_row) to '{csv}' (header)"
        )
    layers = latest_results(con)
    history = failure_history(con)
    page = render(
        run_id=run_id,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        run=run_totals(con, run_id),
        attention=needs_attention(layers, {entry["table"] for entry in quarantine.by_table}),
        layers=layers,
        charts={
            asset: history_chart(asset, runs)
            for asset, runs in history.items()
            if any(run["failing"] for run in runs)
        },
        history_runs=HISTORY_RUNS,
        acceptances=accepted_failures(con),
        quarantine=quarantine,
    )
    run_page = directory / "runs" / f"{run_id}.html"
    run_page.write_text(page, encoding="utf-8")
    latest = directory / "latest.html"
    shutil.copyfile(run_page, latest)
    return latest


def accepted_failures(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Blocking failures people let through with `binesh accept`, newest first."""
    if not table_exists(con, "audit", "quality_acceptances"):
        return []
    columns = ("asset", "check_name", "accepted_by", "accepted_at", "reason", "accepted_through")
    rows = con.execute(
        f"select {', '.join(columns)} from audit.quality_acceptances order by accepted_at desc"
    ).fetchall()
    return [dict(zip(columns, row, strict=True)) for row in rows]


def has_results(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "audit", "quality_results")


def run_totals(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    """The run's checks by outcome; `tolerated` counts the passed checks that found failing rows
    within their tolerance."""
    if not has_results(con):
        return dict(checks=0, passed=0, tolerated=0, warned=0, failed=0, quarantined=0)
    checks, passed, tolerated, warned, failed, quarantined = con.execute(
        """
        select count(*), count(*) filter (success),
            count(*) filter (success and failing_count > 0), count(*) filter (severity = 'warn'),
            count(*) filter (severity = 'error'), coalesce(sum(quarantined_count), 0)
        from audit.quality_results where run_id = ?
        """,
        [run_id],
    ).fetchone()
    return dict(
        checks=checks, passed=passed, tolerated=tolerated, warned=warned, failed=failed,
        quarantined=quarantined,
    )  # fmt: skip


def latest_results(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, list[dict]]]:
    """layer -> asset -> the latest result of each of its checks."""
    layers: dict[str, dict[str, list[dict]]] = {layer: {} for layer in LAYERS}
    if not has_results(con):
        return layers
    cursor = con.execute(
        """
        select layer, asset, check_name, expectation, description, success, severity,
            rows_checked, failing_count, quarantined_count, observed_value, sample_values,
            message, run_id, checked_at
        from audit.quality_results
        qualify row_number() over (partition by asset, check_name order by checked_at desc) = 1
        order by layer, asset, success, check_name
        """
    )
    names = [column[0] for column in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["samples"] = json.loads(row["sample_values"] or "[]")
        layers.setdefault(row["layer"], {}).setdefault(row["asset"], []).append(row)
    return layers


def failure_history(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """asset -> per run (oldest first, the last HISTORY_RUNS): its failing rows by what became of
    them (blocked the run, quarantined, warned and flowed on, passed within tolerance)."""
    if not has_results(con):
        return {}
    rows = con.execute(
        f"""
        with runs as (
            select run_id, min(checked_at) as started_at from audit.quality_results
            group by run_id order by started_at desc limit {HISTORY_RUNS}
        )
        select asset, results.run_id, runs.started_at,
            coalesce(sum(failing_count) filter (severity = 'error'), 0) as blocked,
            coalesce(sum(quarantined_count), 0) as quarantined,
            coalesce(sum(failing_count - quarantined_count) filter (severity = 'warn'), 0)
                as warned,
            coalesce(sum(failing_count) filter (success), 0) as tolerated,
            bool_or(severity = 'error') as has_error
        from audit.quality_results as results inner join runs using (run_id)
        group by all order by asset, runs.started_at
        """
    ).fetchall()
    history: dict[str, list[dict]] = {}
    for asset, run_id, started_at, blocked, quarantined, warned, tolerated, has_error in rows:
        counts = dict(blocked=int(blocked), quarantined=int(quarantined), warned=int(warned))
        history.setdefault(asset, []).append(
            dict(
                run_id=run_id,
                started_at=started_at.strftime("%b %d %H:%M"),
                **counts,
                tolerated=int(tolerated),
                failing=sum(counts.values()) + int(tolerated),
                has_error=bool(has_error),
            )
        )
    return history


def history_chart(asset: str, runs: list[dict]) -> str:
    """A table's failing rows per run (by run date), stacked by what became of them, as SVG."""
    stacks = {
        outcome: [run[key] for run in runs]
        for outcome, key in zip(
            OUTCOMES, ("blocked", "quarantined", "warned", "tolerated"), strict=True
        )
    }
    figure = charts.stacked_columns(
        ["\n".join(run["started_at"].rsplit(" ", 1)) for run in runs],  # date over time
        stacks,
        OUTCOMES,
        xlabel="run (started, UTC)",
        ylabel="failing rows",
    )
    total = sum(run["failing"] for run in runs)
    return charts.svg(figure, f"{asset}: {total:,} failing rows over the last {len(runs)} runs")


def needs_attention(layers: dict[str, dict[str, list[dict]]], quarantined: set[str]) -> list[dict]:
    """What blocks or warns now (the latest result of each check): each failure with severity
    error first (those of raw and staging block the nightly run), then each warning; each with
    the way out. `quarantined` names the tables whose rows wait in audit.quarantine."""
    items = []
    for layer_rank, (layer, assets) in enumerate(layers.items()):
        for asset, results in assets.items():
            for result in results:
                if result["success"]:
                    continue
                error = result["severity"] == "error"
                table = asset.split(".", 1)[-1]
                item = dict(
                    result,
                    blocks=error and layer in BLOCKING_LAYERS,
                    file=failing_file(result["samples"]),
                    csv=f"quarantine/{table}.csv" if table in quarantined else None,
                    detail=message_detail(result),
                    accepted="; accepted by " in (result["message"] or ""),
                    rank=(0 if error else 1, layer_rank),
                )
                items.append(item)
    return sorted(items, key=lambda item: item["rank"])


def message_detail(result: dict) -> str:
    """The check's message without its heading (table, check, expectation, description)."""
    message = result["message"] or ""
    head = f"{result['description']}): "
    detail = message.split(head, 1)[1] if head in message else message
    return detail.removeprefix("failed, ")


def rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def status_of(result: dict) -> str:
    """What a check's latest result reads: never plain "passed" when it found failing rows."""
    if result["success"]:
        if not result["failing_count"]:
            return "passed"
        count = result["quarantined_count"] or result["failing_count"]
        what = "quarantined" if result["quarantined_count"] else "failing"
        return f"passed within tolerance · {rows(count)} {what}"
    return "failed" if result["severity"] == "error" else "warned"


def status_class(result: dict) -> str:
    """The badge colour: a pass within tolerance differs from a clean pass."""
    if result["success"]:
        return "tolerated" if result["failing_count"] else "passed"
    return "failed" if result["severity"] == "error" else "warned"


def table_badge(results: list[dict]) -> dict:
    """A table's badge: its clean passes of its checks, and what else its checks found."""
    classes = [status_class(result) for result in results]
    parts = [f"{classes.count('passed')} / {len(results)} passed"]
    for outcome, label in (
        ("tolerated", "within tolerance"), ("warned", "warned"), ("failed", "failed")
    ):  # fmt: skip
        if outcome in classes:
            parts.append(f"{classes.count(outcome)} {label}")
    worst = next(
        (outcome for outcome in ("failed", "warned", "tolerated") if outcome in classes), "passed"
    )
    return dict(text=" · ".join(parts), css=worst)


ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
)
ENVIRONMENT.filters["status"] = status_of
ENVIRONMENT.filters["status_class"] = status_class
ENVIRONMENT.filters["table_badge"] = table_badge
ENVIRONMENT.filters["rows"] = rows


def render(**context) -> str:
    return ENVIRONMENT.get_template("report.html.j2").render(**context)

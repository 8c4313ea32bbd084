"""The quality report: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
fetched), rebuilt on every run from audit.quality_results, audit.quarantine and
audit.quality_acceptances. It opens with what blocks or warns now and the way out of each.

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
from jinja2 import Environment, select_autoescape

from data_quality.quarantine import summarise_quarantine
from data_quality.suites import LAYERS
from data_quality.validation import failing_file
from reports import charts
from sources.readers import table_exists

HISTORY_RUNS = 30
BLOCKING_LAYERS = ("raw", "staging")  # marts failures warn, never block
# A failing value's origin in a sample: `... at <file> row <n>` or `... in <file> (<n> rows)`
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


ENVIRONMENT = Environment(autoescape=select_autoescape(default=True), trim_blocks=True)
ENVIRONMENT.filters["status"] = status_of
ENVIRONMENT.filters["status_class"] = status_class
ENVIRONMENT.filters["table_badge"] = table_badge
ENVIRONMENT.filters["rows"] = rows

TEMPLATE = ENVIRONMENT.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Binesh data quality — {{ generated_at }}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
header{background:#243b53;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#d9e2ec}
header .run{color:#fff;font:600 13px ui-monospace,SFMono-Regular,Menlo,monospace;
background:#102a43;border:1px solid #829ab1;border-radius:4px;padding:1px 6px}
main{padding:20px 28px;max-width:1200px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.tile{background:#fff;border-radius:8px;padding:10px 16px;min-width:120px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tile b{display:block;font-size:24px}
.passed{color:#1f7a4d}.warned{color:#b7791f}.failed{color:#c53030}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;color:#fff}
.badge.passed{background:#2f9e66}.badge.warned{background:#b7791f}.badge.failed{background:#c53030}
.badge.tolerated{background:#fff;color:#1f5f8b;border:1px solid #1f5f8b;padding:0 7px}
.tolerated{color:#1f5f8b}
section.attention{background:#fff;border-left:6px solid #c53030;border-radius:8px;
margin:0 0 18px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
section.attention.warn-only{border-left-color:#b7791f}
section.attention.clear{border-left-color:#2f9e66}
section.attention h2{margin:0 0 6px;font-size:18px}
section.attention p{margin:0 0 6px}
section.attention td.num{min-width:9em}
svg.chart{display:block;width:100%;height:auto;margin:4px 0 8px}
section.table{background:#fff;border-radius:8px;margin:12px 0;padding:12px 16px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
section.table h3{margin:0 0 6px;font-size:16px;display:flex;gap:10px;align-items:center}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{color:#52606d;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.samples{color:#52606d;font-size:12px;word-break:break-word}
details summary{cursor:pointer;color:#334e68}
code{font-size:12px;background:#f0f4f8;padding:0 3px;border-radius:3px}
nav a{margin-right:12px;color:#334e68}
</style></head><body>
<header><h1>Binesh data quality</h1>
<p>Run <span class="run">{{ run_id }}</span> · generated {{ generated_at }}</p></header>
<main>
{% set blocking = attention | selectattr("blocks") | list %}
{% set warnings = attention | rejectattr("severity", "equalto", "error") | list %}
{% set unblocking = attention | selectattr("severity", "equalto", "error")
 | rejectattr("blocks") | list %}
{% if not attention %}
<section id="attention" class="attention clear">
<p><b>Nothing blocks the nightly run; no warnings.</b></p></section>
{% else %}
<section id="attention" class="attention{{ '' if blocking else ' warn-only' }}">
<h2>Needs attention</h2>
<p>{% if blocking %}<b class="failed">{{ blocking | length }} blocking
 failure{{ "s" if blocking | length > 1 }}</b>: the nightly run stops at
 {{ "these checks" if blocking | length > 1 else "this check" }} and builds nothing
 downstream until each is cleared.{% else %}Nothing blocks the nightly run.{% endif %}
{% if unblocking %} {{ unblocking | length }} mart check{{ "s" if unblocking | length > 1 }}
 failed (marts never block).{% endif %}
{% if warnings %} {{ warnings | length }} warning{{ "s" if warnings | length > 1 }}: the run goes
 on.{% endif %} Each line is the latest result of a check.</p>
<table><tr><th>status</th><th>table</th><th>check</th><th class="num">failing</th>
<th>what to do</th></tr>
{% for a in attention %}
<tr><td><span class="badge {{ a | status_class }}">
{{- "blocks the run" if a.blocks else a | status }}</span></td>
<td>{{ a.asset }}</td><td><code>{{ a.check_name }}</code><br>
<span class="samples">{{ a.description }}</span></td>
<td class="num">{{ "{:,}".format(a.failing_count) }}<br>
<span class="samples">{{ a.observed_value }}</span></td>
<td>{% if a.blocks %}Correct the source and re-deliver
 {% if a.file %}<code>{{ a.file }}</code>{% else %}the file{% endif %} under the same path (or
 remove it from the landing zone), or let the rows loaded so far through:
 <code>binesh accept {{ a.asset }} {{ a.check_name }} --reason "…"</code>
{% elif a.severity == "error" %}Does not block (marts
 checks never do): correct the source or the model; the next run checks the whole table
 again.
{% elif a.quarantined_count %}{{ a.quarantined_count | rows }} quarantined; the run
 goes on without them.{% if a.csv %} Review them in
 <a href="{{ a.csv }}">{{ a.csv.split("/")[-1] }}</a> and re-deliver corrected files to bring
 them back.{% endif %}
{% elif a.accepted %}Accepted (see <a href="#accepted">accepted failures</a>):
 <span class="samples">{{ a.detail }}</span>
{% else %}Does not block: <span class="samples">{{ a.detail }}</span>{% endif %}</td></tr>
{% endfor %}</table></section>
{% endif %}
<div class="tiles">
<div class="tile"><b>{{ run.checks }}</b>checks this run</div>
<div class="tile passed"><b>{{ run.passed }}</b>passed{% if run.tolerated %}
 <span class="tolerated">({{ run.tolerated }} within tolerance)</span>{% endif %}</div>
<div class="tile warned"><b>{{ run.warned }}</b>warned</div>
<div class="tile failed"><b>{{ run.failed }}</b>failed (blocking in raw/staging)</div>
<div class="tile"><b>{{ run.quarantined }}</b>rows quarantined this run</div>
<div class="tile"><b>{{ quarantine.rows }}</b>rows in quarantine</div>
</div>
<nav><a href="#attention">needs attention</a>
{% for layer in layers %}<a href="#{{ layer }}">{{ layer }}</a>{% endfor %}
<a href="#accepted">accepted</a> <a href="#quarantine">quarantine</a></nav>
<p>Each table shows the latest result of each of its checks. A check that passed while finding
failing rows within its tolerance says so (<span class="badge tolerated">passed within
tolerance</span>). Raw and staging checks validate the rows loaded since the last validation;
mart checks the whole table. The chart under a table counts its failing rows in each of the last
{{ history_runs }} runs, by what became of them; it is drawn only for the tables with failing
rows in those runs.</p>
{% for layer, assets in layers.items() %}
<h2 id="{{ layer }}">{{ layer }}</h2>
{% if not assets %}<p>No results yet.</p>{% endif %}
{% for asset, results in assets.items() %}
{% set badge = results | table_badge %}
<section class="table"><h3>{{ asset }}
<span class="badge {{ badge.css }}">{{ badge.text }}</span></h3>
{% if asset in charts %}{{ charts[asset] | safe }}{% endif %}
<table><tr><th>check</th><th>status</th><th>rule</th><th class="num">rows checked</th>
<th class="num">failing</th><th>observed · samples</th><th>run</th></tr>
{% for r in results %}
<tr><td><code>{{ r.check_name }}</code></td>
<td><span class="badge {{ r | status_class }}">{{ r | status }}</span></td>
<td>{{ r.description }}<br><span class="samples">{{ r.expectation }}</span></td>
<td class="num">{{ "{:,}".format(r.rows_checked) }}</td>
<td class="num">{{ "{:,}".format(r.failing_count) }}{% if r.quarantined_count %}<br>
<span class="warned">{{ "{:,}".format(r.quarantined_count) }} quarantined</span>{% endif %}</td>
<td>{{ r.observed_value }}{% if r.samples %}<div class="samples">
{% for s in r.samples %}{{ s }}<br>{% endfor %}</div>{% endif %}</td>
<td class="samples">{{ r.checked_at.strftime("%Y-%m-%d %H:%M") }}</td></tr>
{% endfor %}</table></section>
{% endfor %}{% endfor %}
<h2 id="accepted">Accepted failures</h2>
{% if acceptances %}
<p>Blocking failures a person let through with <code>binesh accept</code>, each for the rows
loaded up to its time; later rows are judged as usual.</p>
<section class="table"><table><tr><th>table</th><th>check</th><th>accepted by</th><th>when</th>
<th>reason</th><th>rows loaded up to</th></tr>
{% for a in acceptances %}
<tr><td>{{ a.asset }}</td><td><code>{{ a.check_name }}</code></td><td>{{ a.accepted_by }}</td>
<td class="samples">{{ a.accepted_at.strftime("%Y-%m-%d %H:%M") }}</td><td>{{ a.reason }}</td>
<td class="samples">{{ a.accepted_through.strftime("%Y-%m-%d %H:%M:%S") }}</td></tr>
{% endfor %}</table></section>
{% else %}<p>None: no blocking failure has been accepted.</p>{% endif %}
<h2 id="quarantine">Quarantine</h2>
<p>{{ "{:,}".format(quarantine.rows) }} rows from {{ quarantine.files }} files wait in
<code>audit.quarantine</code>. Re-deliver a corrected file under the same path and its rows
replace the quarantined ones. <code>binesh quarantine</code> lists them too.</p>
{% if quarantine.unreadable_files %}
<p class="failed">{{ quarantine.unreadable_files | length }} files could not be read at all:</p>
<ul>{% for f in quarantine.unreadable_files %}<li><code>{{ f.file }}</code> — {{ f.reason }}</li>
{% endfor %}</ul>
{% endif %}
{% for t in quarantine.by_table %}
<section class="table"><h3>{{ t.table }} <span class="badge warned">{{ "{:,}".format(t.rows) }}
 rows · {{ t.files }} files</span> <a href="quarantine/{{ t.table }}.csv">all rows (CSV)</a></h3>
<table><tr><th>rule</th><th class="num">rows</th></tr>
{% for r in quarantine.by_rule if r.table == t.table %}{% if loop.index <= 8 %}
<tr><td>{{ r.rule }}</td><td class="num">{{ "{:,}".format(r.rows) }}</td></tr>
{% endif %}{% endfor %}</table>
<details><summary>sample rows</summary><table>
<tr><th>file</th><th class="num">row</th><th>reason</th><th>original row</th></tr>
{% for s in quarantine.samples if s.table == t.table %}
<tr><td>{{ s.file }}</td><td class="num">{{ s.row if s.row is not none else "—" }}</td>
<td>{{ s.reason }}</td><td class="samples">{{ s.original_row or "" }}</td></tr>
{% endfor %}</table></details></section>
{% endfor %}
</main></body></html>
"""
)


def render(**context) -> str:
    return TEMPLATE.render(**context)

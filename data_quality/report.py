"""The quality report: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
fetched), rebuilt on every run from audit.quality_results and audit.quarantine.

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
from sources.readers import table_exists

HISTORY_RUNS = 30


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
    page = render(
        run_id=run_id,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        run=run_totals(con, run_id),
        layers=latest_results(con),
        history=failure_history(con),
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
    if not has_results(con):
        return {"checks": 0, "passed": 0, "warned": 0, "failed": 0, "quarantined": 0}
    checks, passed, warned, failed, quarantined = con.execute(
        """
        select count(*), count(*) filter (success), count(*) filter (severity = 'warn'),
            count(*) filter (severity = 'error'), coalesce(sum(quarantined_count), 0)
        from audit.quality_results where run_id = ?
        """,
        [run_id],
    ).fetchone()
    return dict(checks=checks, passed=passed, warned=warned, failed=failed, quarantined=quarantined)


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
    """asset -> per run (oldest first, the last HISTORY_RUNS): failing and quarantined rows."""
    if not has_results(con):
        return {}
    rows = con.execute(
        f"""
        with runs as (
            select run_id, min(checked_at) as started_at from audit.quality_results
            group by run_id order by started_at desc limit {HISTORY_RUNS}
        )
        select asset, results.run_id, runs.started_at,
            sum(failing_count) filter (not success) as failing,
            sum(quarantined_count) as quarantined,
            bool_or(severity = 'error') as has_error
        from audit.quality_results as results inner join runs using (run_id)
        group by all order by asset, runs.started_at
        """
    ).fetchall()
    history: dict[str, list[dict]] = {}
    for asset, run_id, started_at, failing, quarantined, has_error in rows:
        history.setdefault(asset, []).append(
            dict(
                run_id=run_id,
                started_at=started_at.strftime("%Y-%m-%d %H:%M"),
                failing=int(failing or 0),
                quarantined=int(quarantined or 0),
                has_error=bool(has_error),
            )
        )
    return history


def status_of(result: dict) -> str:
    if result["success"]:
        return "passed"
    return "failed" if result["severity"] == "error" else "warned"


ENVIRONMENT = Environment(autoescape=select_autoescape(default=True), trim_blocks=True)
ENVIRONMENT.filters["status"] = status_of

TEMPLATE = ENVIRONMENT.from_string(
    """{% macro chart(points) %}
{% if points %}
{% set top = [1] + points | map(attribute="failing") | list + points | map(attribute="quarantined")
 | list %}
{% set peak = top | max %}
<svg width="{{ 12 * points | length + 40 }}" height="46" role="img"
 aria-label="failing rows per run"><text x="0" y="10" font-size="9" fill="#52606d">
{{ peak }}</text>
{% for p in points %}
{% set value = [p.failing, p.quarantined] | max %}
{% set h = (36 * value / peak) | round(1) %}
<rect class="bar{{ ' error' if p.has_error else (' quarantined' if p.quarantined else '') }}"
 x="{{ 30 + 12 * loop.index0 }}" y="{{ 42 - h }}" width="9" height="{{ [h, 1] | max }}">
<title>{{ p.started_at }} · {{ p.failing }} failing · {{ p.quarantined }} quarantined</title>
</rect>
{% endfor %}</svg>
{% endif %}
{% endmacro %}
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Binesh data quality — {{ generated_at }}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
header{background:#243b53;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#bcccdc}
main{padding:20px 28px;max-width:1200px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.tile{background:#fff;border-radius:8px;padding:10px 16px;min-width:120px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tile b{display:block;font-size:24px}
.passed{color:#1f7a4d}.warned{color:#b7791f}.failed{color:#c53030}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;color:#fff}
.badge.passed{background:#2f9e66}.badge.warned{background:#d69e2e}.badge.failed{background:#e53e3e}
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
svg .bar{fill:#9fb3c8}svg .bar.error{fill:#e53e3e}svg .bar.quarantined{fill:#d69e2e}
nav a{margin-right:12px;color:#334e68}
</style></head><body>
<header><h1>Binesh data quality</h1>
<p>Run <code>{{ run_id }}</code> · generated {{ generated_at }}</p></header>
<main>
<div class="tiles">
<div class="tile"><b>{{ run.checks }}</b>checks this run</div>
<div class="tile passed"><b>{{ run.passed }}</b>passed</div>
<div class="tile warned"><b>{{ run.warned }}</b>warned</div>
<div class="tile failed"><b>{{ run.failed }}</b>failed (blocking in raw/staging)</div>
<div class="tile"><b>{{ run.quarantined }}</b>rows quarantined this run</div>
<div class="tile"><b>{{ quarantine.rows }}</b>rows in quarantine</div>
</div>
<nav>{% for layer in layers %}<a href="#{{ layer }}">{{ layer }}</a>{% endfor %}
<a href="#accepted">accepted</a> <a href="#quarantine">quarantine</a></nav>
<p>Each table shows the latest result of each of its checks; the chart counts failing rows per run
(red: a blocking failure, amber: rows quarantined). Raw and staging checks validate the rows
loaded since the last validation; mart checks the whole table.</p>
{% for layer, assets in layers.items() %}
<h2 id="{{ layer }}">{{ layer }}</h2>
{% if not assets %}<p>No results yet.</p>{% endif %}
{% for asset, results in assets.items() %}
{% set failed = results | selectattr("success", "false") | list %}
<section class="table"><h3>{{ asset }}
<span class="badge {{ 'failed' if failed | selectattr('severity', 'equalto', 'error') | list
 else ('warned' if failed else 'passed') }}">{{ results | length - failed | length }}
 / {{ results | length }} passed</span></h3>
{{ chart(history.get(asset, [])) }}
<table><tr><th>check</th><th>status</th><th>rule</th><th class="num">rows checked</th>
<th class="num">failing</th><th>observed · samples</th><th>run</th></tr>
{% for r in results %}
<tr><td><code>{{ r.check_name }}</code></td>
<td><span class="badge {{ r | status }}">{{ r | status }}</span></td>
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

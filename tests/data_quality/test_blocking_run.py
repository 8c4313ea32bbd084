"""`binesh run` executes the quality checks, a blocking failure stops what is downstream, and
every block has a way out.

A small simulation is built by the CLI as `make run` would; then the survey export switches its
NPS to a 0-100 scale: every row still parses and types (the loader takes it), but the raw suite
sees an impossible score in every row, blocks, and the run says why. A corrected re-delivery of
the file unblocks the next run, and so does removing the file. Then the web tracking delivers a
quiet day (a warning) and two more days as small (a collapse: blocks), which a person accepts
with `binesh accept`.
"""

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.tools import binesh, binesh_env, page_text, run_binesh, screenshot

pytestmark = pytest.mark.integration

BAD_FILE = "surveys/responses/zz-rescaled.csv"
HEADER = "response_id,submitted_at,survey_type,score\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return binesh_env(tmp_path_factory.mktemp("quality-run"))


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        return con.execute(sql).fetchall()


def deliver(env: dict[str, str], scores: list[int]) -> None:
    path = Path(env["BINESH_LANDING_DIR"]) / BAD_FILE
    rows = "".join(f"rescaled-{i},2025-02-10T10:00:00Z,nps,{s}\n" for i, s in enumerate(scores))
    path.write_text(HEADER + rows, encoding="utf-8")


@pytest.fixture(scope="module")
def first_run(env) -> subprocess.CompletedProcess:
    done = run_binesh(env, "simulate", "--customers", "300", "--days", "45", "--seed", "7")
    assert done.returncode == 0, done.stderr
    return run_binesh(env, "run")


def test_a_clean_run_executes_every_layer_of_checks_and_prints_the_report(env, first_run):
    assert first_run.returncode == 0, first_run.stdout[-3000:] + first_run.stderr[-3000:]
    assert "Quality checks:" in first_run.stdout and "0 failed" in first_run.stdout
    report = Path(env["BINESH_WAREHOUSE"]).parent / "reports" / "quality" / "latest.html"
    assert f"Quality report   {report}" in first_run.stdout
    assert report.exists()
    layers = dict(query(env, "select layer, count(*) from audit.quality_results group by 1"))
    assert set(layers) == {"raw", "staging", "marts"}


def test_a_run_shows_a_line_per_step_and_keeps_dagster_and_dbt_output_in_its_log(env, first_run):
    out = first_run.stdout
    assert "[ 1/13] raw__crm__contacts …" in out
    assert re.search(r"\[ ?\d+/\d+\] warehouse_models done in \d+\.\d s", out)
    assert "Running dbt command" not in out + first_run.stderr
    [log] = re.findall(r"Log of this run \(Dagster and dbt output\): (\S+)", out)
    assert Path(log).parent == Path(env["BINESH_WAREHOUSE"]).parent / "logs"
    assert "Running dbt command" in Path(log).read_text(encoding="utf-8")
    assert f"log {log})" in out  # named again in the summary


def test_chromium_renders_the_quality_report_with_its_styling(env, first_run, tmp_path):
    report = Path(env["BINESH_WAREHOUSE"]).parent / "reports" / "quality" / "latest.html"
    png = tmp_path / "quality_report.png"
    log = screenshot(report.as_uri(), png, width=1366, height=2000)
    problems = [line for line in log.splitlines() if "Failed to load" in line or "net::" in line]
    assert not problems, "\n".join(problems)
    # styled: the inline stylesheet applied (a bare page is black text on white, no fills)
    image = Image.open(png).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20
    assert "stg_surveys__responses" in page_text(report.as_uri())


@pytest.fixture(scope="module")
def blocked_run(env, first_run) -> subprocess.CompletedProcess:
    assert first_run.returncode == 0
    deliver(env, [85, 90, 100, 70, 40, 95, 60, 88, 77, 99])
    return run_binesh(env, "run")


def test_a_blocking_failure_stops_downstream_and_says_why(env, blocked_run):
    assert blocked_run.returncode == 1
    assert "BLOCKING  raw.surveys__responses: nps_score_in_range" in blocked_run.stderr
    assert "score=" in blocked_run.stderr and BAD_FILE in blocked_run.stderr
    log = blocked_run.stdout + blocked_run.stderr
    # the run loads and checks raw first, and builds nothing after a blocking failure there
    assert "Downstream assets were skipped" in blocked_run.stderr
    assert "binesh run: blocked by 1 quality check(s) above. Log: " in blocked_run.stderr
    assert "Next: clear each block as its message says, then `binesh run`." in blocked_run.stderr
    assert "Traceback" not in log and "dependencies were not executed" not in log
    assert "staging_and_identity_input_models" not in log
    # the rows are loaded into raw, but staging never saw them
    assert query(
        env, f"select count(*) from raw.surveys__responses where _source_file = '{BAD_FILE}'"
    ) == [(10,)]  # noqa: E501
    assert query(
        env,
        "select count(*) from staging.stg_surveys__responses where response_id like 'rescaled-%'",
    ) == [(0,)]


def test_status_opens_with_the_blocked_run_and_how_to_clear_it(env, blocked_run):
    state = json.loads(binesh(env, "status", "--json"))
    [latest] = state["runs"][:1]
    assert (latest["job"], latest["outcome"]) == ("load_landing_zone", "blocked")
    [blocker] = latest["blockers"]
    assert (blocker["asset"], blocker["check"], blocker["file"]) == (
        "raw.surveys__responses", "nps_score_in_range", BAD_FILE,
    )  # fmt: skip
    assert state["files_unbalanced"] == 0
    text = binesh(env, "status")
    assert text.startswith("Last runs")
    assert "blocked  load_landing_zone" in text
    assert f"to go on: re-deliver or remove {BAD_FILE}, or binesh accept" in text
    assert binesh(env, "--version").startswith("binesh ")


def test_a_corrected_redelivery_unblocks_the_next_run(env, blocked_run):
    assert blocked_run.returncode == 1
    deliver(env, [9, 10, 10, 7, 4, 9, 6, 8, 7, 9])
    fixed = run_binesh(env, "run")
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert query(
        env,
        "select count(*) from staging.stg_surveys__responses where response_id like 'rescaled-%'",
    ) == [(10,)]
    unbalanced = query(
        env,
        "select count(*) from audit.load_log where rows_landed <> rows_loaded + rows_quarantined",
    )
    assert unbalanced == [(0,)]


def test_removing_the_offending_file_unblocks_the_next_run(env, blocked_run):
    deliver(env, [85, 90, 100, 70, 40, 95, 60, 88, 77, 99])
    assert run_binesh(env, "run").returncode == 1
    (Path(env["BINESH_LANDING_DIR"]) / BAD_FILE).unlink()
    unblocked = run_binesh(env, "run")
    assert unblocked.returncode == 0, unblocked.stderr[-3000:]
    from_file = f"where source_file = '{BAD_FILE}' and superseded_at is null"
    assert query(env, f"select count(*) from audit.load_log {from_file}") == [(0,)]
    assert query(
        env, f"select count(*) from raw.surveys__responses where _source_file = '{BAD_FILE}'"
    ) == [(0,)]  # fmt: skip
    assert query(
        env,
        "select count(*) from staging.stg_surveys__responses where response_id like 'rescaled-%'",
    ) == [(0,)]


def latest(env: dict[str, str], check: str) -> tuple:
    [row] = query(
        env,
        "select severity, message from audit.quality_results where asset = 'raw.web__events' "
        f"and check_name = '{check}' order by checked_at desc limit 1",
    )
    return row


def deliver_small_web_day(env: dict[str, str], day: str) -> None:
    """A day of web tracking with two events, shaped like the simulator's daily files."""
    events = Path(env["BINESH_LANDING_DIR"]) / "web" / "events"
    template = pq.read_table(max(events.glob("*.parquet"))).slice(0, 2)
    ids = pc.binary_join_element_wise(pc.cast(template["event_id"], "string"), f"-{day}", "")
    column = template.schema.get_field_index("event_id")
    pq.write_table(template.set_column(column, "event_id", ids), events / f"{day}.parquet")


def test_a_quiet_day_warns_and_a_collapsed_feed_blocks_until_accepted(env, blocked_run):
    deliver_small_web_day(env, "2025-02-15")
    quiet = run_binesh(env, "run")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert latest(env, "file_volume")[0] == "warn"

    deliver_small_web_day(env, "2025-02-16")
    deliver_small_web_day(env, "2025-02-17")
    collapsed = run_binesh(env, "run")
    assert collapsed.returncode == 1
    assert "BLOCKING  raw.web__events: volume_collapse" in collapsed.stderr
    assert "binesh accept raw.web__events volume_collapse --reason" in collapsed.stderr

    said = binesh(
        env, "accept", "raw.web__events", "volume_collapse",
        "--reason", "tracking script broken for 3 days", "--by", "ops",
    )  # fmt: skip
    assert "The next `binesh run` lets them through" in said
    accepted = run_binesh(env, "run")
    assert accepted.returncode == 0, accepted.stderr[-3000:]
    severity, message = latest(env, "volume_collapse")
    assert severity == "warn" and "accepted by ops" in message
    assert query(env, "select accepted_by, reason from audit.quality_acceptances") == [
        ("ops", "tracking script broken for 3 days")
    ]
    report = Path(env["BINESH_WAREHOUSE"]).parent / "reports" / "quality" / "latest.html"
    assert "tracking script broken for 3 days" in report.read_text(encoding="utf-8")
    refused = run_binesh(env, "accept", "raw.web__events", "volume_collapse", "--reason", "x")
    assert refused.returncode == 2 and "only a blocking failure" in refused.stderr

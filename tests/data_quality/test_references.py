"""Referential coverage knows what exists: a reference into a source the business does not deliver
is not applicable; one to a record that has not arrived yet is awaited (a warning, the rows flow
on and are judged again each run) and blocks only when still unknown past the grace period.

Real files through the loader and the project's dbt staging models, then the staging suite.
"""

from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from data_quality.suites import quality_suites
from data_quality.thresholds import THRESHOLDS
from data_quality.validation import run_suites
from sources.contract import landing_table
from sources.loader import load_table

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
MESSAGES = "marketing/messages"
CAMPAIGNS = "marketing/campaigns"


class Warehouse:
    """A landing zone and warehouse of one test: deliver files, load and stage them, check."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.landing, self.path = root, root / "landing", root / "warehouse.duckdb"
        monkeypatch.setenv("BINESH_WAREHOUSE", str(self.path))

    def deliver(self, folder: str, name: str, header: str, rows: list[str]) -> None:
        path = self.landing / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")

    def messages(self, name: str, day: str, campaigns: list[str]) -> None:
        rows = [f"{name}-{i},{c},{day}T09:00:00Z,sent" for i, c in enumerate(campaigns)]
        self.deliver(MESSAGES, f"{name}.csv", "message_id,campaign_id,occurred_at,event_type", rows)

    def campaigns(self, name: str, campaigns: list[str]) -> None:
        rows = [f"{c},Campaign {c},email" for c in campaigns]
        self.deliver(CAMPAIGNS, f"{name}.csv", "campaign_id,name,channel", rows)

    def check(self, run_id: str):
        """Load, stage the marketing models with dbt, and run the messages' staging suite."""
        with duckdb.connect(str(self.path)) as con:
            for table in ("marketing__campaigns", "marketing__messages"):
                load_table(con, self.landing, landing_table(table))
        result = dbtRunner().invoke(
            ["build", "--select", "stg_marketing__campaigns stg_marketing__messages", "--quiet"]
            + ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
            + ["--target-path", str(self.root / "target"), "--log-path", str(self.root / "logs")]
        )
        assert result.success, result.exception
        [suite] = [s for s in quality_suites("staging") if s.table == "stg_marketing__messages"]
        with duckdb.connect(str(self.path)) as con:
            [coverage] = [o for o in run_suites(con, [suite], run_id) if o.check.references]
        return coverage


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    return Warehouse(tmp_path, monkeypatch)


def test_a_late_campaign_warns_then_its_rows_are_judged_again_when_it_arrives(warehouse):
    warehouse.campaigns("d1", ["C1"])
    warehouse.messages("d1", "2025-01-01", ["C1"] * 10 + ["C2"] * 10)
    first = warehouse.check("first")
    assert (first.success, first.severity) == (False, "warn")
    assert first.observed_value == "10 of 20 awaited (50.00%)"
    assert 'campaign_id="C2"' in first.message and "late-arriving" in first.message

    warehouse.campaigns("d2", ["C2"])  # the campaign arrives the next night
    warehouse.messages("d2", "2025-01-02", ["C1"] * 5)
    second = warehouse.check("second")
    assert (second.success, second.severity) == (True, None)
    # the awaited rows were judged again (and found), beside the night's new ones
    assert second.rows_checked == 25

    warehouse.messages("d3", "2025-01-03", ["C1"] * 5)
    assert warehouse.check("third").rows_checked == 5  # nothing awaited: only new rows


def test_a_reference_still_unknown_past_the_grace_period_blocks(warehouse):
    grace = THRESHOLDS.late_reference_grace_days
    warehouse.campaigns("d1", ["C1"])
    warehouse.messages("d1", "2025-01-01", ["C1"] * 10 + ["C9"] * 10)
    assert warehouse.check("first").severity == "warn"
    # the data's clock moves on past the grace period; C9 never arrived
    warehouse.messages("d9", f"2025-01-{2 + int(grace):02d}", ["C1"] * 10)
    late = warehouse.check("later")
    assert (late.success, late.severity) == (False, "error")
    assert late.failing_count == 10
    assert "still unknown past the grace period" in late.message
    assert 'campaign_id="C9"' in late.message


def test_a_reference_into_a_source_not_delivered_is_not_applicable(warehouse):
    warehouse.messages("d1", "2025-01-01", ["C1"] * 20)  # a business without a campaigns export
    outcome = warehouse.check("first")
    assert (outcome.success, outcome.severity) == (True, None)
    assert outcome.observed_value == "not applicable"
    assert "delivers no marketing campaigns" in outcome.message

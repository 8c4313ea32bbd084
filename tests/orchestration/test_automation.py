"""The landing sensor asks for a build exactly when the landing zone changes."""

from pathlib import Path

import dagster as dg

from orchestration.defs.automation import landing_fingerprint, landing_zone_sensor
from orchestration.resources import LandingZone


def evaluate(landing: Path, cursor: str | None):
    context = dg.build_sensor_context(
        cursor=cursor, resources={"landing": LandingZone(path=str(landing))}
    )
    return landing_zone_sensor(context), context.cursor


def test_the_sensor_runs_on_new_changed_and_removed_files_and_skips_otherwise(tmp_path):
    landing = tmp_path / "landing"
    orders = landing / "ecommerce" / "orders"
    orders.mkdir(parents=True)
    (orders / "2025-01-01.csv").write_text("order_id\n1\n")

    first, cursor = evaluate(landing, None)
    assert isinstance(first, dg.RunRequest) and first.run_key == cursor

    unchanged, same_cursor = evaluate(landing, cursor)
    assert isinstance(unchanged, dg.SkipReason) and same_cursor == cursor

    (orders / "2025-01-02.csv").write_text("order_id\n2\n")
    added, cursor_after_add = evaluate(landing, cursor)
    assert isinstance(added, dg.RunRequest) and cursor_after_add != cursor

    (orders / "2025-01-02.csv").write_text("order_id\n2\n3\n")
    changed, cursor_after_change = evaluate(landing, cursor_after_add)
    assert isinstance(changed, dg.RunRequest) and cursor_after_change != cursor_after_add

    (orders / "2025-01-02.csv").unlink()
    removed, _ = evaluate(landing, cursor_after_change)
    assert isinstance(removed, dg.RunRequest)


def test_the_fingerprint_ignores_truth_and_hidden_files(tmp_path):
    (tmp_path / "crm" / "contacts").mkdir(parents=True)
    before = landing_fingerprint(tmp_path)
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "persons.csv").write_text("person_id\n1\n")
    (tmp_path / "crm" / "contacts" / ".upload.csv.tmp").write_text("partial")
    assert landing_fingerprint(tmp_path) == before
    assert landing_fingerprint(tmp_path / "missing") == landing_fingerprint(tmp_path / "gone")

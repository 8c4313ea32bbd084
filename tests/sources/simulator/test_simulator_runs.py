"""Determinism, continuation with append_days, folder rules and input validation."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from sources.contract import LANDING_TABLES
from sources.simulator import SimulationSummary, append_days, simulate

SMALL = {"customers": 150, "seed": 5, "noise_rate": 0.05}


def _digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_arguments_give_byte_identical_files(tmp_path):
    simulate(tmp_path / "a", days=12, **SMALL)
    simulate(tmp_path / "b", days=12, **SMALL)
    first, second = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert len(first) > 80
    assert first == second


def test_another_seed_gives_other_files(tmp_path):
    simulate(tmp_path / "a", days=3, **SMALL)
    simulate(tmp_path / "b", days=3, **dict(SMALL, seed=6))
    assert _digest(tmp_path / "a") != _digest(tmp_path / "b")


def test_appending_days_equals_simulating_them_at_once(tmp_path):
    simulate(tmp_path / "once", days=12, **SMALL)
    simulate(tmp_path / "parts", days=9, **SMALL)
    append_days(tmp_path / "parts", 2)
    summary = append_days(tmp_path / "parts")
    assert _digest(tmp_path / "once") == _digest(tmp_path / "parts")
    assert summary.first_day == summary.last_day == date(2025, 1, 12)
    assert summary.days == 1 and summary.total_days == 12


def test_summary_reports_what_was_written(tmp_path):
    summary = simulate(tmp_path / "out", days=5, **SMALL)
    assert isinstance(summary, SimulationSummary)
    assert (summary.customers, summary.seed, summary.noise_rate) == (150, 5, 0.05)
    assert (summary.first_day, summary.last_day, summary.days) == (
        date(2025, 1, 1),
        date(2025, 1, 5),
        5,
    )
    assert set(summary.rows) == {t.qualified_name for t in LANDING_TABLES}
    files = [
        p
        for p in (tmp_path / "out").rglob("*")
        if p.is_file() and not p.relative_to(tmp_path / "out").parts[0].startswith("_")
    ]
    assert summary.files == len(files)
    noise_lines = (tmp_path / "out" / "_truth" / "noise.csv").read_text().splitlines()
    assert summary.defects == len(noise_lines) - 1 > 0
    with pytest.raises(AttributeError):
        summary.days = 3  # frozen
    record = json.loads((tmp_path / "out" / "_truth" / "simulation.json").read_text())
    assert record["days"] == 5 and record["complete"] is True


def test_simulate_again_with_same_parameters_regenerates_identically(tmp_path):
    out = tmp_path / "out"
    simulate(out, days=4, **SMALL)
    before = _digest(out)
    (out / "web" / "events" / "2025-01-02.parquet").unlink()
    simulate(out, days=4, **SMALL)
    assert _digest(out) == before


def test_simulate_refuses_a_folder_with_something_else(tmp_path):
    out = tmp_path / "out"
    simulate(out, days=2, **SMALL)
    with pytest.raises(ValueError, match="different parameters"):
        simulate(out, days=3, **SMALL)
    with pytest.raises(ValueError, match="different parameters"):
        simulate(out, days=2, **dict(SMALL, seed=9))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="does not hold a simulation"):
        simulate(other, days=2, **SMALL)
    assert (other / "notes.txt").read_text() == "mine"


def test_append_refuses_folders_not_made_by_the_simulator(tmp_path):
    with pytest.raises(ValueError, match="not produced by the simulator"):
        append_days(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="not produced by the simulator"):
        append_days(tmp_path / "plain")
    simulate(tmp_path / "out", days=2, **SMALL)
    with pytest.raises(ValueError, match="days"):
        append_days(tmp_path / "out", 0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"customers": 0}, "customers"),
        ({"customers": 2.5}, "customers"),
        ({"customers": True}, "customers"),
        ({"days": 0}, "days"),
        ({"days": -3}, "days"),
        ({"seed": -1}, "seed"),
        ({"noise_rate": 0.6}, "noise_rate"),
        ({"noise_rate": -0.01}, "noise_rate"),
        ({"noise_rate": float("nan")}, "noise_rate"),
        ({"noise_rate": "0.1"}, "noise_rate"),
        ({"start_date": "2025-01-01"}, "start_date"),
        ({"start_date": datetime(2025, 1, 1)}, "start_date"),
    ],
)
def test_bad_arguments_raise_clear_errors(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        simulate(tmp_path / "out", **{"customers": 10, "days": 1, **arguments})
    assert not (tmp_path / "out").exists()


def test_a_file_is_not_a_folder(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        simulate(path, customers=10, days=1)


def test_edge_parameters_work(tmp_path):
    summary = simulate(tmp_path / "one", customers=1, days=1, noise_rate=0.5)
    assert summary.days == 1
    summary = simulate(tmp_path / "leap", customers=50, days=3, start_date=date(2024, 2, 28))
    assert summary.last_day == date(2024, 3, 1)


def test_an_interrupted_run_can_be_simulated_again(tmp_path, monkeypatch):
    from sources.simulator import runner

    real = runner.simulate_day

    def power_cut(day):
        if day.index == 2:
            raise RuntimeError("power cut")
        return real(day)

    out = tmp_path / "out"
    monkeypatch.setattr(runner, "simulate_day", power_cut)
    with pytest.raises(RuntimeError):
        simulate(out, days=4, **SMALL)
    with pytest.raises(ValueError, match="did not finish"):
        append_days(out)
    monkeypatch.setattr(runner, "simulate_day", real)
    simulate(out, days=4, **SMALL)
    simulate(tmp_path / "reference", days=4, **SMALL)
    assert _digest(out) == _digest(tmp_path / "reference")

"""simulate() and append_days(): validate, run the days in order, save state and ground truth."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sources.contract import LANDING_TABLES
from sources.simulator.context import Day, World
from sources.simulator.day import simulate_day
from sources.simulator.export import Exporter
from sources.simulator.history import initial_state
from sources.simulator.state import State
from sources.simulator.truth import (
    STATE_DIR,
    TRUTH_DIR,
    TruthLog,
    read_simulation,
    write_persons,
    write_simulation,
)

GENERATOR = "binesh.sources.simulator"
FORMAT_VERSION = 1
MAX_NOISE_RATE = 0.5


@dataclass(frozen=True)
class SimulationSummary:
    """What one call wrote. rows: data rows per `<source>__<table>` (defective ones included)."""

    out: Path
    customers: int
    seed: int
    start_date: date
    noise_rate: float
    first_day: date  # first day written by this call
    last_day: date  # last day written by this call
    days: int  # days written by this call
    total_days: int  # days in the landing zone after this call
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    defects: int = 0  # rows listed in _truth/noise.csv by this call


def simulate(
    out: Path,
    *,
    customers: int = 5000,
    days: int = 365,
    seed: int = 42,
    start_date: date = date(2025, 1, 1),
    noise_rate: float = 0.02,
) -> SimulationSummary:
    """Write a new landing zone of `days` days, starting at `start_date`, into `out`."""
    _check_int("customers", customers, 1)
    _check_int("days", days, 1)
    _check_int("seed", seed, 0)
    if seed >= 2**63:
        raise ValueError(f"seed must be below 2**63, got {seed}")
    if isinstance(start_date, datetime) or not isinstance(start_date, date):
        raise ValueError(f"start_date must be a datetime.date, got {start_date!r}")
    if (
        isinstance(noise_rate, bool)
        or not isinstance(noise_rate, int | float)
        or math.isnan(noise_rate)
        or not 0 <= noise_rate <= MAX_NOISE_RATE
    ):
        raise ValueError(
            f"noise_rate must be a number in [0, {MAX_NOISE_RATE}], got {noise_rate!r}"
        )
    out = _folder(out)
    parameters = {
        "customers": customers,
        "seed": seed,
        "start_date": start_date.isoformat(),
        "noise_rate": float(noise_rate),
    }
    _claim(out, parameters, days)
    world = World.build(seed, customers, start_date)
    state = initial_state(world.pop, seed)
    # Until the run completes, the record names its target, so an interrupted run can be
    # simulated again with the same arguments.
    _record(out, parameters, days, complete=False)
    return _run(out, world, state, parameters, days)


def append_days(out: Path, days: int = 1) -> SimulationSummary:
    """Continue a landing zone written by simulate() by `days` more days.

    The result is byte-identical to having simulated the longer period in one go.
    """
    _check_int("days", days, 1)
    out = _folder(out)
    record = read_simulation(out / TRUTH_DIR) if out.is_dir() else None
    if record is None or record.get("generator") != GENERATOR:
        raise ValueError(
            f"{out} was not produced by the simulator (no {TRUTH_DIR}/simulation.json)"
        )
    if record.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{out} was written by simulator format {record.get('format_version')}, "
            f"this is format {FORMAT_VERSION}: simulate it again"
        )
    if not record.get("complete"):
        raise ValueError(f"the simulation in {out} did not finish; run simulate() again")
    parameters = record["parameters"]
    state_dir = out / TRUTH_DIR / STATE_DIR
    if not (state_dir / "state.json").is_file():
        raise ValueError(f"{out} has no saved simulator state ({state_dir})")
    state = State.load(state_dir)
    if state.day != record["days"]:
        raise ValueError(f"{out}: saved state is at day {state.day}, not {record['days']}")
    world = World.build(
        parameters["seed"], parameters["customers"], date.fromisoformat(parameters["start_date"])
    )
    _record(out, parameters, state.day + days, complete=False)
    return _run(out, world, state, parameters, days)


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def _folder(out) -> Path:
    try:
        out = Path(out)
    except TypeError as error:
        raise ValueError(f"out must be a path, got {out!r}") from error
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    return out


def _claim(out: Path, parameters: dict, days: int) -> None:
    """Refuse to mix a new simulation into a folder that holds something else.

    An empty or missing folder is fine. A folder holding a simulation with exactly the same
    parameters and length is regenerated (identically); anything else is an error.
    """
    if not out.exists() or not any(out.iterdir()):
        return
    record = read_simulation(out / TRUTH_DIR)
    if record is None or record.get("generator") != GENERATOR:
        raise ValueError(
            f"{out} is not empty and does not hold a simulation; choose an empty folder"
        )
    same = record.get("parameters") == parameters and record.get("days") == days
    if not same:
        held = dict(record.get("parameters", {}), days=record.get("days"))
        raise ValueError(
            f"{out} already holds a simulation with different parameters ({held}); "
            "choose an empty folder, or use append_days() to extend it"
        )
    for table in LANDING_TABLES:
        shutil.rmtree(out / table.source / table.name, ignore_errors=True)
    shutil.rmtree(out / TRUTH_DIR, ignore_errors=True)


def _record(out: Path, parameters: dict, days: int, *, complete: bool) -> None:
    start = date.fromisoformat(parameters["start_date"])
    write_simulation(
        out / TRUTH_DIR,
        {
            "generator": GENERATOR,
            "format_version": FORMAT_VERSION,
            "parameters": parameters,
            "days": days,
            "first_day": start.isoformat(),
            "last_day": (start + timedelta(days=days - 1)).isoformat() if days else None,
            "complete": complete,
        },
    )


def _run(out: Path, world: World, state: State, parameters: dict, days: int) -> SimulationSummary:
    truth = TruthLog(out / TRUTH_DIR)
    exporter = Exporter(out, world.seed, parameters["noise_rate"], state, truth)
    rows = {table.qualified_name: 0 for table in LANDING_TABLES}
    files = 0
    first = state.day
    for index in range(first, first + days):
        day = Day(world, state, index)
        batches = simulate_day(day)
        for table in LANDING_TABLES:
            written = exporter.export(table, index, day.date, batches.get(table.qualified_name))
            rows[table.qualified_name] += written
            files += written > 0
        state.day = index + 1
        truth.flush()
    state.save(out / TRUTH_DIR / STATE_DIR)
    write_persons(out / TRUTH_DIR, world.pop, world.ids, state)
    _record(out, parameters, state.day, complete=True)
    return SimulationSummary(
        out=out,
        customers=parameters["customers"],
        seed=parameters["seed"],
        start_date=world.start_date,
        noise_rate=parameters["noise_rate"],
        first_day=world.start_date + timedelta(days=first),
        last_day=world.start_date + timedelta(days=state.day - 1),
        days=days,
        total_days=state.day,
        rows=rows,
        files=files,
        defects=truth.defects,
    )

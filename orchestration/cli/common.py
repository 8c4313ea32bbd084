"""What every command shares: where the landing zone and the warehouse are."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from orchestration.project import DEFAULT_LANDING_DIR, DEFAULT_WAREHOUSE


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", type=Path, help="landing zone (default: BINESH_LANDING_DIR)")
    parser.add_argument(
        "--warehouse", type=Path, help="DuckDB warehouse file (default: BINESH_WAREHOUSE)"
    )


def resolve_locations(args: argparse.Namespace) -> tuple[Path, Path]:
    """Flags win over the environment, which wins over the defaults; all made absolute and
    exported so that Dagster resources and dbt's profile see the same paths."""
    landing = (
        getattr(args, "landing", None)
        or getattr(args, "out", None)
        or os.environ.get("BINESH_LANDING_DIR")
        or DEFAULT_LANDING_DIR
    )
    warehouse = (
        getattr(args, "warehouse", None) or os.environ.get("BINESH_WAREHOUSE") or DEFAULT_WAREHOUSE
    )
    landing, warehouse = Path(landing).resolve(), Path(warehouse).resolve()
    os.environ["BINESH_LANDING_DIR"] = str(landing)
    os.environ["BINESH_WAREHOUSE"] = str(warehouse)
    return landing, warehouse


def require_warehouse(args: argparse.Namespace) -> tuple[Path, Path]:
    """The locations, for a command that reads a warehouse already built."""
    landing, warehouse = resolve_locations(args)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it with `binesh run`")
    return landing, warehouse


def require_truth(landing: Path, file: str) -> Path:
    """The simulator's ground truth, for a command that scores the warehouse against it."""
    truth = landing / "_truth"
    if not (truth / file).exists():
        raise FileNotFoundError(
            f"no ground truth at {truth / file}: evaluation needs a landing zone written by "
            "`binesh simulate`"
        )
    return truth

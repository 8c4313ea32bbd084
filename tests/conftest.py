"""Shared fixtures: real public data from ../shared/data, and quiet tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets (see ../shared/data/PROVENANCE.md); never copied into the repo."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (they sit beside the project)")
    return SHARED_DATA


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs on both cores (pytest-xdist, --dist loadgroup). A module's tests share
    its fixtures (most build a whole pipeline), so a module goes to one worker as a whole; a module
    marked with an xdist_group of its own (the report tests' shared build) joins that group."""
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))

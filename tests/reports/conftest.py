"""The small simulated business of tests/integration/test_pipeline.py, built once for every
report test that reads it (the report's rendering and its claims): they only read."""

import pytest

from tests.integration.small_business import build_small_business
from tests.tools import binesh_env


@pytest.fixture(scope="session")
def env(tmp_path_factory) -> dict[str, str]:
    return binesh_env(tmp_path_factory.mktemp("reports-pipeline"))


@pytest.fixture(scope="session")
def built(env) -> dict[str, int]:
    return build_small_business(env)

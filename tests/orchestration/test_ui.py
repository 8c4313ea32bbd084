"""The Dagster UI as a data engineer opens it: `dagster-webserver` on this project lists every
asset, check, job, schedule and sensor of the definitions, and draws the asset graph.

The webserver alone (no daemon, so the schedule and the sensor never launch a run) starts on a
free port with a Dagster home of its own, in its own session (setsid) so that it and its code
server stop together.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from matplotlib import image

from tests.orchestration.test_definitions import expected_asset_keys
from tests.tools import binesh_env, chromium, page_text, screenshot, stop_process_group

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WEBSERVER = str(Path(sys.executable).with_name("dagster-webserver"))

REPOSITORY_QUERY = """
{
  repositoriesOrError {
    __typename
    ... on PythonError { message }
    ... on RepositoryConnection {
      nodes {
        jobs { name }
        schedules { name }
        sensors { name }
        assetNodes {
          assetKey { path }
          assetChecksOrError { ... on AssetChecks { checks { name } } }
        }
      }
    }
  }
}
"""

LOCATION_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def environment(tmp_path_factory, monkeypatch_module) -> dict[str, str]:
    """Paths of this test for the webserver, and for the definitions loaded here to compare."""
    environment = binesh_env(tmp_path_factory.mktemp("ui"))
    for name in ("DAGSTER_HOME", "BINESH_WAREHOUSE", "BINESH_LANDING_DIR"):
        monkeypatch_module.setenv(name, environment[name])
    return environment


@pytest.fixture(scope="module")
def webserver(environment, tmp_path_factory):
    """The webserver's URL, once its code location has loaded. The server is stopped by
    test_the_server_stops_cleanly, or here if that test did not run."""
    port = free_port()
    log = tmp_path_factory.mktemp("ui_log") / "webserver.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [WEBSERVER, "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_code_location(url, server, log)
        yield url, server
    finally:
        if server.poll() is None:
            stop_process_group(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def wait_for_code_location(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {server.returncode}:\n{log.read_text()}")
        try:
            entries = graphql(url, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError):
            entries = []  # not listening yet
        if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
            errors = [
                entry["locationOrLoadError"]["message"]
                for entry in entries
                if entry["locationOrLoadError"]["__typename"] == "PythonError"
            ]
            assert not errors, "the code location failed to load:\n" + "\n".join(errors)
            return
        time.sleep(1)
    pytest.fail(f"dagster-webserver did not load the project within 180 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def repository(webserver) -> dict:
    url, _ = webserver
    repositories = graphql(url, REPOSITORY_QUERY)["repositoriesOrError"]
    assert repositories["__typename"] == "RepositoryConnection", repositories
    (repository,) = repositories["nodes"]
    return repository


@pytest.fixture(scope="module")
def defs(environment):
    from orchestration.definitions import defs

    return defs


def test_every_asset_is_listed(repository):
    listed = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
    assert listed == expected_asset_keys()


def test_every_asset_check_is_listed(repository, defs):
    listed = {
        f"{'/'.join(node['assetKey']['path'])}:{check['name']}"
        for node in repository["assetNodes"]
        for check in node["assetChecksOrError"].get("checks", [])
    }
    expected = {
        f"{key.asset_key.to_user_string()}:{key.name}"
        for key in defs.resolve_asset_graph().asset_check_keys
    }
    assert expected and listed == expected


def test_every_job_schedule_and_sensor_is_listed(repository, defs):
    jobs = {job["name"] for job in repository["jobs"]} - {"__ASSET_JOB"}
    assert jobs == {job.name for job in defs.resolve_all_job_defs()} - {"__ASSET_JOB"}
    assert "build_warehouse" in jobs
    schedules = {schedule["name"] for schedule in repository["schedules"]}
    assert schedules == {schedule.name for schedule in defs.schedules}
    assert "nightly_build" in schedules
    sensors = {sensor["name"] for sensor in repository["sensors"]}
    assert sensors == {sensor.name for sensor in defs.sensors}
    assert "landing_zone_sensor" in sensors


def test_the_asset_graph_renders(webserver, tmp_path):
    chromium()  # fails in CI, skips elsewhere, when there is none
    url, _ = webserver
    # The first visit shows a "Join the Dagster community" dialog over the page; seen once per
    # instance, it is not shown again.
    assert graphql(url, "mutation { setNuxSeen }") == {"setNuxSeen": True}
    lineage = f"{url}/asset-groups"

    page = page_text(lineage)
    assert "Global asset lineage" in page
    assert "Join the Dagster community" not in page
    for group in {key.split("/")[0] for key in expected_asset_keys()}:
        assert f">{group}<" in page, group

    png = tmp_path / "asset_graph.png"
    screenshot(lineage, png, width=1600, height=1000)
    pixels = image.imread(png)
    assert pixels.shape[:2] == (1000, 1600)
    colours = {tuple(pixel) for pixel in pixels[::8, ::8].reshape(-1, pixels.shape[2]).tolist()}
    assert len(colours) > 20, "the screenshot is (nearly) blank"


def test_the_server_stops_cleanly(webserver):
    _, server = webserver
    assert stop_process_group(server), "dagster-webserver needed SIGKILL to stop"

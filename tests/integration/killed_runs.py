"""`binesh run` started, followed and killed for tests/integration/test_crash_recovery.py. Where
a run is: the killed deployment's dagster.yaml adds a logging handler that writes every Dagster
event of its runs (step starts and asset materializations included, which the CLI does not
print) to a file the test follows; the run is killed with SIGKILL, the whole process group (dbt
too), when the event of its kill point is written there. A point a run never reaches (it ended
by itself first) is reported as not hit.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.tools import BINESH, group_alive, stop_process_group

EVENTS_LOG = "dagster-events.log"
KILLED_RUN_TIMEOUT = 600  # seconds; a killed-to-be run ending by itself takes about 2.5 min
# reports/bi_snapshot.py: the snapshot database being written, before its swap into place
BI_STAGED_DATABASE = ".binesh_bi.duckdb."


@dataclass(frozen=True)
class KillPoint:
    """Kill the run `delay` seconds after the Dagster event line `event` matches; with
    `staged_snapshot`, when the BI snapshot's staged database file appears after it instead."""

    stage: str
    event: str  # regular expression on a line of EVENTS_LOG
    delay: float = 0.0
    staged_snapshot: bool = False
    required: bool = False


def step_event(step: str, event: str, then: str = "") -> str:
    return rf" - {re.escape(step)} - {event} - {then}"


@dataclass
class Kill:
    point: KillPoint
    hit: bool
    output: str  # the run's stdout and stderr
    run_id: str | None = None  # the Dagster run it killed
    line: str = ""  # the event line it was killed after
    group: tuple[str, ...] = ()  # the programs of its process group when killed
    returncode: int | None = None  # how it ended when not killed


def add_event_log_handler(env: dict[str, str], path: Path) -> None:
    """Every Dagster event of the deployment's runs, DEBUG ones included, one line each to
    `path` (Dagster's python_logs.dagster_handler_config)."""
    config_file = Path(env["DAGSTER_HOME"]) / "dagster.yaml"
    config = yaml.safe_load(config_file.read_text()) or {}
    config.setdefault("python_logs", {})["dagster_handler_config"] = {
        "handlers": {
            "crash_test_events": {
                "class": "logging.FileHandler",
                "level": "DEBUG",
                "filename": str(path),
            }
        }
    }
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


class Follower:
    """New whole lines of a file another process appends to."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self.rest = b""

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        *whole, self.rest = (self.rest + chunk).split(b"\n")
        return [line.decode("utf-8", "replace") for line in whole]


def group_programs(group: int) -> tuple[str, ...]:
    """The programs (script names) of a process group's live members: binesh, dbt while a dbt
    step runs, and the `tail` processes Dagster mirrors step output with. Linux: reads /proc."""
    programs = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group or fields[0] == "Z":
                continue
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        # a console script runs as `python <script>`: name the script
        names = [Path(arg.decode()).name for arg in argv[:2] if arg]
        programs.append(names[-1] if names and names[0].startswith("python") else names[0])
    return tuple(sorted(set(programs)))


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process group of `process` (started with start_new_session=True), then
    wait until no member is left."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while group_alive(process.pid):
        assert time.monotonic() < deadline, f"processes of group {process.pid} outlived SIGKILL"
        time.sleep(0.05)


def killed(process: subprocess.Popen, point: KillPoint, line: str, output: Path) -> Kill:
    programs = group_programs(process.pid)
    kill_group(process)
    return Kill(
        point,
        hit=True,
        output=output.read_text(),
        run_id=line.split(" - ")[1],
        line=line,
        group=programs,
    )


def start_run(env: dict[str, str], output: Path) -> subprocess.Popen:
    """`binesh run` in a process group of its own (to kill it with its dbt), output to a file."""
    with output.open("w") as out:
        return subprocess.Popen(
            [BINESH, "run"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def run_and_kill(env: dict[str, str], events: Path, point: KillPoint, output: Path) -> Kill:
    """`binesh run`, killed at `point`; or, if it ends by itself first, how it ended."""
    follower = Follower(events)
    process = start_run(env, output)
    bi_directory = Path(env["BINESH_WAREHOUSE"]).parent / "bi"
    pattern = re.compile(point.event)
    reached: str | None = None
    deadline = time.monotonic() + KILLED_RUN_TIMEOUT
    try:
        while process.poll() is None:
            assert time.monotonic() < deadline, (
                f"binesh run still running after {KILLED_RUN_TIMEOUT} s:\n{output.read_text()}"
            )
            lines = follower.lines()
            if reached is None:
                for index, line in enumerate(lines):
                    if pattern.search(line):
                        reached, lines = line, lines[index + 1 :]
                        break
                if reached is not None and not point.staged_snapshot:
                    time.sleep(point.delay)
                    return killed(process, point, reached, output)
            if reached is not None and point.staged_snapshot:
                if any(
                    re.search(r" - reports__bi_snapshot - STEP_(SUCCESS|FAILURE) ", line)
                    for line in lines
                ):
                    break  # published (or failed) before its staged file was seen: too late
                if bi_directory.is_dir() and any(
                    entry.name.startswith(BI_STAGED_DATABASE) for entry in bi_directory.iterdir()
                ):
                    return killed(process, point, reached, output)
            time.sleep(0.005)
        process.wait(timeout=KILLED_RUN_TIMEOUT)
    finally:
        if process.poll() is None or group_alive(process.pid):
            stop_process_group(process, grace_seconds=5)
    return Kill(point, hit=False, output=output.read_text(), returncode=process.returncode)


def run_to_the_end(env: dict[str, str], output: Path, timeout: float) -> tuple[int | None, str]:
    """`binesh run` left alone for up to `timeout` seconds: its exit code (None when it had to
    be stopped) and output."""
    process = start_run(env, output)
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        stop_process_group(process, grace_seconds=5)
    return returncode, output.read_text()

"""Programs some tests drive: `binesh` itself on a deployment of the test's own, dbt in-process on
the project, and, from outside the project venv, headless Chromium (Debian's `chromium`) and a
DuckDB 1.4 client (`make install` makes .venv-bi from requirements-bi.txt).

A missing program skips the test with the way to get it, except in CI (CI=true), where it fails:
CI installs both (.ci/run), so a missing one there is a broken setup, not a reason to pass.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DUCKDB_14_PYTHON = PROJECT_ROOT / ".venv-bi" / "bin" / "python"
BINESH = str(Path(sys.executable).with_name("binesh"))
POSTGRES_PREFIX = "BINESH_PG_"


def binesh_env(root: Path, **settings: str) -> dict[str, str]:
    """The environment of `binesh` commands on a deployment of their own under `root`: landing
    zone, warehouse and Dagster home (with the project's dagster.yaml), as `make` sets them;
    `settings` add or override variables."""
    dagster_home = root / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(POSTGRES_PREFIX)}
    return {
        **inherited,  # a PostgreSQL server is the test's choice (postgres_settings), not CI's
        "BINESH_LANDING_DIR": str(root / "landing"),
        "BINESH_WAREHOUSE": str(root / "warehouse.duckdb"),
        "DAGSTER_HOME": str(dagster_home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **settings,
    }


def postgres_server() -> str:
    """The server BINESH_PG_* name, as a connection string: skip without one (BINESH_PG_HOST
    unset), fail under CI, where .ci/run starts one."""
    from targets.postgres.connection import PostgresUnavailable, connect, postgres_dsn_from_env

    if not os.environ.get("BINESH_PG_HOST"):
        require(
            None,
            "no PostgreSQL server (BINESH_PG_HOST is not set): start one with "
            '`eval "$(bash .ci/postgres.sh)"` or set BINESH_PG_HOST/PORT/USER/PASSWORD/DBNAME',
        )
    dsn = postgres_dsn_from_env()
    try:
        connect(dsn).close()
    except PostgresUnavailable as error:
        pytest.fail(str(error))
    return dsn


@contextmanager
def postgres_database(server_dsn: str) -> Iterator[str]:
    """A database of its own on the server, so concurrent tests never meet; dropped after."""
    import psycopg2

    from targets.postgres.connection import connect, libpq_quote

    name = f"binesh_test_{uuid.uuid4().hex[:12]}"
    admin = connect(server_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        # bytewise text order (DuckDB's) and UTC sessions, as docs/operations.md advises
        try:
            cur.execute(
                f"create database \"{name}\" template template0 encoding 'UTF8' "
                "lc_collate 'C' lc_ctype 'C.UTF-8'"
            )
        except psycopg2.errors.InvalidParameterValue:  # a server without the C.UTF-8 locale
            cur.execute(f"create database \"{name}\" template template0 encoding 'UTF8' locale 'C'")
        cur.execute(f"alter database \"{name}\" set timezone to 'UTC'")
    try:
        yield f"{server_dsn} dbname={libpq_quote(name)}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def postgres_settings(dsn: str) -> dict[str, str]:
    """BINESH_PG_* naming the database of `dsn`, for binesh and dbt's `postgres` target."""
    from psycopg2.extensions import parse_dsn

    params = parse_dsn(dsn)
    return {
        "BINESH_PG_HOST": params.get("host", "localhost"),
        "BINESH_PG_PORT": params.get("port", "5432"),
        "BINESH_PG_USER": params.get("user", "binesh"),
        "BINESH_PG_PASSWORD": params.get("password", ""),
        "BINESH_PG_DBNAME": params["dbname"],
    }


def run_binesh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`binesh args` in `env`, however it ends."""
    return subprocess.run([BINESH, *args], env=env, capture_output=True, text=True, timeout=900)


def binesh(env: dict[str, str], *args: str) -> str:
    """`binesh args` in `env`, its output; the test fails with that output unless it succeeds."""
    done = run_binesh(env, *args)
    assert done.returncode == 0, f"binesh {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_dbt(args: list[str], tmp_dir: Path):
    """dbt in-process on the project, its target and logs under `tmp_dir`; the dbtRunnerResult."""
    from dbt.cli.main import dbtRunner

    project = str(PROJECT_ROOT / "dbt_project")
    return dbtRunner().invoke(
        [*args, "--project-dir", project, "--profiles-dir", project]
        + ["--target-path", str(tmp_dir / "target"), "--log-path", str(tmp_dir / "logs")]
    )


def require(program: str | Path | None, missing: str) -> str:
    """The program's path; without it, fail in CI and skip elsewhere, saying `missing`."""
    if program is not None and Path(program).is_file():
        return str(program)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing} (CI installs it: .ci/run)")
    pytest.skip(missing)


def duckdb_14_python() -> str:
    """The Python of .venv-bi, whose duckdb is the 1.4 release BI tools' drivers embed."""
    return require(DUCKDB_14_PYTHON, f"no DuckDB 1.4 client at {DUCKDB_14_PYTHON}: make install")


def chromium() -> str:
    return require(
        shutil.which("chromium"),
        "chromium not found: on Debian, `apt-get install chromium` (as root)",
    )


def screenshot(url: str, png: Path, *, width: int = 1600, height: int = 1000) -> str:
    """Load `url` in headless Chromium and save what it shows to `png`; return Chromium's log
    (console messages and script errors included)."""
    log = run_chromium(url, f"--window-size={width},{height}", f"--screenshot={png}").stderr
    assert png.is_file(), f"chromium wrote no screenshot of {url}:\n{log}"
    return log


def page_text(url: str) -> str:
    """The page's DOM as HTML, after its scripts ran (`--dump-dom`)."""
    return run_chromium(url, "--dump-dom").stdout


def run_chromium(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on `url`: `--virtual-time-budget` gives the page's scripts and requests
    20 s of page time to settle first. It runs in its own process group with a throwaway profile,
    and whatever of the group is left when it ends (or hangs) is killed."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = subprocess.Popen(
            [
                chromium(),
                "--headless",
                "--no-sandbox",  # tests run as root in CI
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--enable-logging=stderr",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=20000",
                *options,
                url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = browser.communicate(timeout=120)
        finally:
            stop_process_group(browser, grace_seconds=5)
    assert browser.returncode == 0, f"chromium exited with {browser.returncode}:\n{stderr}"
    return subprocess.CompletedProcess(browser.args, browser.returncode, stdout, stderr)


def stop_process_group(process: subprocess.Popen, *, grace_seconds: float = 30) -> bool:
    """Stop a process started with `start_new_session=True` (setsid) and everything it started:
    SIGTERM to its group, then SIGKILL to whatever is left after `grace_seconds`.

    True when the whole group ended on SIGTERM; False when SIGKILL was needed. Raises if a
    process of the group survives SIGKILL.
    """
    group = process.pid  # the leader of a new session leads its process group
    signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    ended_on_sigterm = not group_alive(group)
    for _ in range(100):
        if not group_alive(group):
            process.wait()
            return ended_on_sigterm
        signal_group(group, signal.SIGKILL)
        time.sleep(0.1)
    raise AssertionError(f"processes of group {group} outlived SIGKILL")


def signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:  # every member has exited already
        pass


def group_alive(group: int) -> bool:
    """Whether a process of the group still runs (zombies, which a container's init may never
    reap, do not count). Linux: reads /proc."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):  # exited while we looked
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            return True
    return False


# Words of Binesh's pages that are names, units, abbreviations and British spellings (the spell
# checker's list is American English), not misspellings.
VOCABULARY = {
    "binesh", "nps", "csat", "rfm", "crm", "utc", "iso", "bg", "nbd", "clv", "sms", "ab", "vip",
    "id", "ids", "ml", "kpi", "kpis", "csv", "html", "json", "matplotlib", "app", "min", "pts",
    "vs", "dbt", "timestamp", "touchpoint", "touchpoints", "usb",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    "behavioural", "colour", "colours", "catalogue", "favourite", "moisturiser", "normalise",
    "normalised",
}  # fmt: skip


def misspelled(html: str) -> set[str]:
    """The words of a page that are not English: its text without markup, code, identifiers
    (ids, table, column and file names), numbers or the data samples it quotes
    (class "samples")."""
    from spellchecker import SpellChecker  # a dev dependency, for this alone

    text = re.sub(
        r"<style.*?</style>|<code>.*?</code>|<(\w+) class=\"samples\">.*?</\1>",
        " ",
        html,
        flags=re.S,
    )
    text = re.sub(r"<[^>]+>|&\w+;|&#\d+;", " ", text)
    text = re.sub(r"\S*[_./=]\S*|\S*\d\S*", " ", text)
    words = {word.lower() for word in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)}
    return SpellChecker().unknown(words) - VOCABULARY

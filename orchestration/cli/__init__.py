"""The `binesh` command line: simulate a business, build the warehouse, see where it stands.

One module per command, each adding its own parser. Settings come from flags, else the
environment (BINESH_LANDING_DIR, BINESH_WAREHOUSE), else the defaults under the project's data/
folder. They are resolved once (cli/common.py) into absolute paths and handed to Dagster and dbt
through the environment that their resources read.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import version
from pathlib import Path

from orchestration.cli import accept, erase, evaluate, postgres, quarantine, run, simulate, status
from orchestration.project import PROJECT_ROOT

QUIET_ENVIRONMENT = {
    "DAGSTER_HOME": str(PROJECT_ROOT / "dagster_home"),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
}

# In the order `binesh --help` lists them.
COMMANDS = (simulate, run, evaluate, postgres, status, quarantine, erase, accept)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # dbt from this environment, also when it is not activated (dagster-dbt looks on PATH)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        return args.command(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:  # RuntimeError: sync errors
        print(f"binesh {args.command_name}: {error}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="binesh", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"binesh {version('binesh')}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_command(commands)
    return parser

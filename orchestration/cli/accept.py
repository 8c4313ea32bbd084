"""`binesh accept`: let a blocking quality failure through, with who and why on record."""

from __future__ import annotations

import argparse

import duckdb

from orchestration.cli.common import add_location_flags, require_warehouse


def add_command(commands) -> None:
    accept = commands.add_parser(
        "accept",
        help="let a blocking quality failure through, for the rows loaded so far, with a reason",
        description="Accept the latest blocking failure of a raw or staging check for the rows "
        "loaded so far: the next `binesh run` judges it a warning and goes on. Who, when and why "
        "are kept in audit.quality_acceptances and shown in the quality report; rows loaded "
        "later are judged as usual.",
    )
    accept.add_argument("asset", help="the checked table, e.g. raw.ecommerce__orders")
    accept.add_argument("check", help="the failed check, e.g. volume_collapse")
    accept.add_argument("--reason", required=True, help="why the failure is acceptable")
    accept.add_argument("--by", help="who accepts it (default: the login name)")
    add_location_flags(accept)
    accept.set_defaults(command=accept_command, command_name="accept")


def accept_command(args: argparse.Namespace) -> int:
    import getpass

    from data_quality.increments import accept_failure
    from data_quality.suites import LAYERS, quality_suites

    _, warehouse = require_warehouse(args)
    relation = args.asset.replace("/", ".")
    suites = {suite.relation: suite for layer in LAYERS for suite in quality_suites(layer)}
    if relation not in suites:
        raise ValueError(f"{args.asset} has no quality checks; e.g. raw.ecommerce__orders")
    by = args.by or getpass.getuser()
    with duckdb.connect(str(warehouse)) as con:
        through = accept_failure(con, suites[relation], args.check, args.reason, by)
    print(
        f"Accepted {relation} {args.check} for the rows loaded up to {through:%Y-%m-%d %H:%M:%S} "
        f"UTC ({by}: {args.reason}). The next `binesh run` lets them through with a warning."
    )
    return 0

"""`binesh evaluate`: the warehouse scored against the simulator's ground truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from orchestration.cli.common import add_location_flags, require_truth, require_warehouse


def add_command(commands) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="measure the warehouse against the simulator's ground truth",
        description="Score the warehouse against <landing>/_truth/ written by `binesh simulate`.",
    )
    evaluate.add_argument(
        "subject",
        choices=["identity", "ml"],
        help="identity: pairwise precision, recall and F1; ml: every model on time-based "
        "holdouts beside its baseline, segments against the true personas",
    )
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument(
        "--shared-data",
        type=Path,
        default=None,
        help="identity: where the labelled public datasets are (default: ../shared/data "
        "beside the project); their pairwise scores are reported beside the simulation's",
    )
    evaluate.add_argument(
        "--no-shared-data",
        action="store_true",
        help="identity: score the simulation only, not the labelled public datasets",
    )
    add_location_flags(evaluate)
    evaluate.set_defaults(command=evaluate_command, command_name="evaluate")


def evaluate_command(args: argparse.Namespace) -> int:
    if args.subject == "ml":
        return evaluate_ml_command(args)
    from ml.identity import evaluate_identity

    landing, warehouse = require_warehouse(args)
    truth = require_truth(landing, "identity.csv")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evaluation = evaluate_identity(con, truth / "identity.csv")
    shared = None
    if not args.no_shared_data:
        from ml.identity.benchmarks import DEFAULT_SHARED_DATA, evaluate_shared_datasets

        shared = evaluate_shared_datasets(args.shared_data or DEFAULT_SHARED_DATA)
    if args.json:
        figures = evaluation.as_dict() | {"shared_datasets": shared.as_dict() if shared else None}
        print(json.dumps(figures, indent=2))
    else:
        print("\n".join([evaluation.format(), *([shared.format()] if shared else [])]))
    return 0


def evaluate_ml_command(args: argparse.Namespace) -> int:
    from ml.pipeline.evaluation import evaluate_ml, to_json

    landing, warehouse = require_warehouse(args)
    truth = require_truth(landing, "persons.csv")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evaluation = evaluate_ml(con, truth)
    print(to_json(evaluation) if args.json else evaluation.format())
    return 0

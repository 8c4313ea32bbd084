"""A BI tool reading the snapshot, run by the DuckDB 1.4 client (.venv-bi/bin/python) from
tests/integration/test_bi_access.py: `python bi_reader.py fresh|held <bi directory> <stop file>`.

fresh: every round opens a new read-only connection to binesh_bi.duckdb, as a dashboard does per
       query, and reads the Parquet folder through its link (resolved once per round);
held:  one read-only connection, opened before the first round, serves every round.
(Two processes: DuckDB shares one open database among a process's connections to the same file,
so a held connection would make the process's new connections see its snapshot too.)

Round after round until <stop file> exists, and once more after that, it prints one JSON line:
for the database (and the Parquet folder), the published_at of main.snapshot_tables and the
tables whose count(*) differs from the row_count recorded there. An error ends the reader with
the error on its last line.
"""

import json
import os
import sys
import time
from pathlib import Path

import duckdb


def check(con, relation) -> dict:
    contents = con.execute(
        "select schema_name, table_name, row_count, published_at from snapshot_tables"
    ).fetchall()
    mismatched = [
        f"{schema}.{table}"
        for schema, table, rows, _ in contents
        if con.execute(f"select count(*) from {relation(schema, table)}").fetchone()[0] != rows
    ]
    return {"published_at": str(contents[0][3]), "tables": len(contents), "mismatched": mismatched}


def table(schema: str, name: str) -> str:
    return f'"{schema}"."{name}"'


def read_parquet(link: Path) -> dict:
    version = Path(os.path.realpath(link))
    with duckdb.connect() as con:
        con.execute(f"create view snapshot_tables as from '{version / 'snapshot_tables.parquet'}'")
        return check(con, lambda schema, name: f"'{version / schema / name}.parquet'")


def main(mode: str, directory: Path, stop_file: Path) -> int:
    database = str(directory / "binesh_bi.duckdb")
    held = duckdb.connect(database, read_only=True) if mode == "held" else None
    finished = False
    while not finished:
        finished = stop_file.exists()  # one last round after the stop file appears
        try:
            if held is not None:
                line = {"database": check(held, table)}
            else:
                with duckdb.connect(database, read_only=True) as fresh:
                    line = {"database": check(fresh, table)}
                line["parquet"] = read_parquet(directory / "parquet")
        except Exception as error:  # what a BI user would see: report it and stop
            print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
            return 1
        print(json.dumps(line), flush=True)
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))

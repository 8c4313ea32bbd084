"""Identity resolution night by night, for test_pipeline.py: the later half of a warehouse's
identity records arrives over a number of nights, each resolved from the night before (schema
`nightly`) with a model trained on the first half; no customer's id may change but by a merge."""

import duckdb
import pyarrow as pa

from ml.identity import read_previous_resolution, resolve_identities, write_resolution
from ml.identity.resolve import train_identity_linkage


def resolve_night_by_night(
    con: duckdb.DuckDBPyConnection, records: pa.Table, identifiers: pa.Table, nights: int
) -> tuple[int, int]:
    """Resolve the records in order of arrival over `nights` nights into `nightly.*`, asserting
    every night that ids stay stable; returns (records scored, records linked) over the nights."""
    con.register("records", records)
    con.execute(
        "create table arrivals as select record_id, "
        "row_number() over (order by recorded_at nulls first, record_id) as arrival "
        "from records"
    )
    half = records.num_rows // 2
    arrivals = [
        half + (records.num_rows - half) * night // nights for night in range(1, nights + 1)
    ]

    def arrived_by(arrival: int):
        """The records (and their identifiers) that had arrived by then."""
        seen = con.sql(
            "select r.* from records r join arrivals a using (record_id) "
            f"where a.arrival <= {arrival}"
        ).to_arrow_table()
        con.register("seen", seen)
        seen_identifiers = con.sql(
            "select i.* from identifiers i semi join seen using (record_id)"
        ).to_arrow_table()
        return seen.cast(records.schema), seen_identifiers

    con.register("identifiers", identifiers)
    first = arrived_by(half)
    model = train_identity_linkage(first[0]).model
    write_resolution(con, resolve_identities(*first, linkage_model=model), schema="nightly")
    scored, linkable = 0, 0
    for night in arrivals:
        before = dict(
            con.execute(
                "select record_id, customer_id from nightly.clusters where customer_id is not null"
            ).fetchall()
        )
        previous = read_previous_resolution(con, schema="nightly")
        resolution = resolve_identities(*arrived_by(night), linkage_model=model, previous=previous)
        write_resolution(con, resolution, schema="nightly")
        scored += resolution.linkage.records_scored
        linkable += resolution.linked_records.num_rows
        after = dict(
            zip(
                resolution.clusters["record_id"].to_pylist(),
                resolution.clusters["customer_id"].to_pylist(),
                strict=True,
            )
        )
        merged_into = {}  # each customer now holding records of several earlier ones
        for record_id, customer_id in before.items():
            merged_into.setdefault(after[record_id], set()).add(customer_id)
        for record_id, customer_id in before.items():
            assert after[record_id] == customer_id or (
                after[record_id] in merged_into[after[record_id]]
                and len(merged_into[after[record_id]]) > 1
            ), f"night {night}: {record_id} moved from {customer_id} to {after[record_id]}"
    return scored, linkable

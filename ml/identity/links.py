"""The links between records, as table `edges` of the resolution's working DuckDB: every record
numbered as a node, the key units (what the sources themselves say is one person), the
identifier links (each record to the identifier's earliest record, within one person's part of
a shared identifier) and Splink's probabilistic links, vetoed where they join two members of a
household.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.identity.graph import KEY_TIER, RULE_TIERS, components
from ml.identity.guards import conflicting_units, household_conflict
from ml.identity.normalise import LINK_COLUMNS, normalise_link_columns
from ml.identity.probabilistic import EDGE_SCHEMA, Linkage, PreviousLinkage, link_records
from ml.identity.training import LinkageSettings

# Record kinds that take part in probabilistic linkage when they carry a first and last name.
LINKABLE_KINDS = ("profile", "interaction")


def load_nodes(con: duckdb.DuckDBPyConnection) -> None:
    """Table `nodes` (node = 0..n-1 in record_id order, sort_key = earlier-first rank) with the
    normalised names used by the guards, and table `occurrences` (one row per identifier)."""
    normalise_link_columns(con, "input_records").to_table("normalised")
    con.execute(
        """
        create table nodes as
        select
            row_number() over (order by r.record_id) - 1 as node,
            row_number() over (
                order by r.source_priority, r.recorded_at nulls last, r.record_id
            ) as sort_key,
            cast(r.record_id as varchar) as record_id,
            cast(r.source as varchar) as source,
            cast(r.source_table as varchar) as source_table,
            cast(r.source_key as varchar) as source_key,
            cast(r.record_kind as varchar) as record_kind,
            cast(r.recorded_at as timestamp) as recorded_at,
            n.first_name,
            n.last_name,
            n.birth_date
        from input_records r
        join normalised n on n.record_id = cast(r.record_id as varchar)
        """
    )
    con.execute(
        """
        create table occurrences as
        select
            n.node,
            n.sort_key,
            cast(i.identifier_type as varchar) as identifier_type,
            cast(i.identifier_value as varchar) as identifier_value,
            cast(i.match_rule as varchar) as match_rule,
            cast(i.match_confidence as double) as match_confidence,
            n.first_name,
            n.last_name,
            n.birth_date
        from input_identifiers i
        join nodes n on n.record_id = cast(i.record_id as varchar)
        where i.identifier_value is not null
        """
    )


def key_units(con: duckdb.DuckDBPyConnection) -> None:
    """Add `unit` to `nodes` and `occurrences`: the component of the key links (a system's own
    key and references to it), i.e. what the sources themselves say is one person."""
    key_rules = ", ".join(f"'{rule}'" for rule, tier in RULE_TIERS.items() if tier == KEY_TIER)
    pairs = con.execute(
        f"""
        with keyed as (
            select * from occurrences where match_rule in ({key_rules})
        ),
        hubs as (
            select identifier_type, identifier_value, arg_min(node, sort_key) as hub
            from keyed
            group by identifier_type, identifier_value
            having count(*) > 1
        )
        select k.node, h.hub
        from keyed k
        join hubs h using (identifier_type, identifier_value)
        where k.node <> h.hub
        """
    ).fetchnumpy()
    n = con.execute("select count(*) from nodes").fetchall()[0][0]
    units = components(n, pairs["node"].astype(np.int64), pairs["hub"].astype(np.int64))
    con.register("node_units", pa.table({"node": np.arange(n), "unit": units}))
    con.execute(
        "create or replace table nodes as "
        "select n.*, u.unit from nodes n join node_units u using (node) order by node"
    )
    con.execute(
        "create or replace table occurrences as "
        "select o.*, u.unit from occurrences o join node_units u using (node)"
    )
    con.unregister("node_units")


def identifier_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Table `edges`: every record carrying an identifier (within one person's part of it)
    linked to the identifier's earliest record, the hub. The link is named after the rule of
    whichever side is not the hub's own key, else after the less confident side."""
    con.execute(
        """
        create table edges as
        with usable as (
            select * from occurrences where part >= 0
        ),
        hubs as (
            select
                identifier_type, identifier_value, part,
                arg_min(node, sort_key) as hub,
                arg_min(match_rule, sort_key) as hub_rule,
                arg_min(match_confidence, sort_key) as hub_confidence
            from usable
            group by identifier_type, identifier_value, part
            having count(*) > 1
        )
        select
            u.node as left_node,
            h.hub as right_node,
            case
                when u.match_rule = 'record_key' then h.hub_rule
                when h.hub_rule = 'record_key' then u.match_rule
                when u.match_confidence <= h.hub_confidence then u.match_rule
                else h.hub_rule
            end as match_rule,
            case
                when u.match_rule = 'record_key' then h.hub_confidence
                when h.hub_rule = 'record_key' then u.match_confidence
                else least(u.match_confidence, h.hub_confidence)
            end as match_confidence,
            u.identifier_type,
            cast(null as varchar) as dropped_by
        from usable u
        join hubs h using (identifier_type, identifier_value, part)
        where u.node <> h.hub
        """
    )


def linkable_records(records: pa.Table) -> pa.Table:
    """The records the probabilistic model links: profiles and interactions with a first or a
    last name (a missing one is no evidence either way), with their comparison columns."""
    named = pc.or_(pc.is_valid(records["first_name"]), pc.is_valid(records["last_name"]))
    kinds = pc.is_in(records["record_kind"], pa.array(LINKABLE_KINDS))
    columns = [name for name in ("record_id", *LINK_COLUMNS) if name in records.column_names]
    return records.filter(pc.and_(kinds, named)).select(columns)


def probabilistic_edges(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    settings: LinkageSettings,
    name_similarity: float,
    model: dict | None,
    previous: PreviousLinkage | None,
) -> Linkage | None:
    """Append Splink's links between linkable records to table `edges`; a link between units
    that look like two members of a household (guards.household_conflict) is kept as vetoed
    (dropped_by = 'name_conflict')."""
    linkable = linkable_records(records)
    if linkable.num_rows == 0:
        return None
    linkage = link_records(linkable, settings, model, previous)
    if linkage.edges.num_rows == 0:
        return linkage
    con.register("scored", linkage.edges.cast(EDGE_SCHEMA))
    con.execute(
        """
        create or replace temp table scored_nodes as
        select l.node as left_node, r.node as right_node, s.match_probability,
            l.unit as unit_left, r.unit as unit_right
        from scored s
        join nodes l on l.record_id = s.record_id_left
        join nodes r on r.record_id = s.record_id_right
        """
    )
    vetoed = conflicting_units(con, "scored_nodes", household_conflict("a", "b", name_similarity))
    con.register(
        "vetoed",
        pa.table(
            {
                "unit_left": pa.array([pair[0] for pair in vetoed], pa.int64()),
                "unit_right": pa.array([pair[1] for pair in vetoed], pa.int64()),
            }
        ),
    )
    con.execute(
        """
        insert into edges
        select
            s.left_node, s.right_node, 'probabilistic', s.match_probability, null,
            case when v.unit_left is not null then 'name_conflict' end
        from scored_nodes s
        left join vetoed v
          on v.unit_left = least(s.unit_left, s.unit_right)
         and v.unit_right = greatest(s.unit_left, s.unit_right)
        """
    )
    return linkage

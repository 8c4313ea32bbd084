"""Identity resolution end to end: records and their identifiers in, one customer per person out.

1. Deterministic links: records that carry the same identifier (a system key, an email, a phone)
   are linked, each to the identifier's earliest record; a shared email or phone is first
   checked for several people behind it (guards.py).
2. Probabilistic links between named records (probabilistic.py), for people whose records share
   no identifier.
3. Connected components of all links are the people; a component with more profile records
   than one person has is cut back along its weakest links (graph.py).
4. Each component with at least one identifying record is a customer, its id derived from its
   anchor record (ids.py). Records that identify nobody (a device that never logged in, a
   ticket without email or customer) stay unresolved: no customer_id.

Given the previous resolution, a cluster keeps the anchor (so the id) it had, and only the new
and changed records are scored by the probabilistic model (incremental linkage); the rules of
step 1 are joins over every record, cheap at any scale, and always run in full.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.identity.graph import (
    KEY_TIER,
    PROBABILISTIC_TIER,
    RULE_TIERS,
    components,
    guarded_components,
    rule_tier,
    strongest_links,
)
from ml.identity.guards import (
    SharingSettings,
    conflicting_units,
    household_conflict,
    partition_shared_identifiers,
)
from ml.identity.ids import anchors, customer_id_for, kind_ranks
from ml.identity.probabilistic import (
    EDGE_SCHEMA,
    FINGERPRINT_SCHEMA,
    LINK_COLUMNS,
    MODEL_COLUMNS_KEY,
    Linkage,
    LinkageSettings,
    PreviousLinkage,
    link_records,
    normalise_link_columns,
    train_linkage_model,
)
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped

# Record kinds that identify a person on their own (the others need an identifier or a link).
PERSON_KINDS = ("profile", "lead")
# Record kinds that take part in probabilistic linkage when they carry a first and last name.
LINKABLE_KINDS = ("profile", "interaction")

RECORD_COLUMNS = (
    "record_id",
    "source",
    "source_table",
    "source_key",
    "record_kind",
    "source_priority",
    "recorded_at",
)
IDENTIFIER_COLUMNS = (
    "record_id",
    "identifier_type",
    "identifier_value",
    "match_rule",
    "match_confidence",
)

CLUSTER_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("source", pa.string()),
        ("source_table", pa.string()),
        ("source_key", pa.string()),
        ("record_kind", pa.string()),
        ("customer_id", pa.string()),
        ("is_anchor", pa.bool_()),
        ("match_rule", pa.string()),
        ("match_confidence", pa.float64()),
        ("cluster_records", pa.int64()),
        ("is_oversized", pa.bool_()),
    ]
)
LINK_SCHEMA = pa.schema(
    [
        ("record_id_left", pa.string()),
        ("record_id_right", pa.string()),
        ("match_rule", pa.string()),
        ("match_confidence", pa.float64()),
        ("identifier_type", pa.string()),
        ("is_kept", pa.bool_()),
        ("dropped_by", pa.string()),
    ]
)
OVERSIZED_SCHEMA = pa.schema(
    [
        ("anchor_record_id", pa.string()),
        ("customer_id", pa.string()),
        ("records", pa.int64()),
        ("profile_records", pa.int64()),
        ("links", pa.int64()),
        ("links_cut", pa.int64()),
        ("parts", pa.int64()),
        ("largest_part_profile_records", pa.int64()),
        ("action", pa.string()),
    ]
)
SHARED_SCHEMA = pa.schema(
    [
        ("identifier_type", pa.string()),
        ("identifier_value", pa.string()),
        ("records", pa.int64()),
        ("units", pa.int64()),
        ("people", pa.int64()),
        ("action", pa.string()),
    ]
)


@dataclass(frozen=True)
class ResolutionSettings:
    linkage: LinkageSettings = field(default_factory=LinkageSettings)
    sharing: SharingSettings = field(default_factory=SharingSettings)
    # A person has one CRM contact and one shop account, a few with duplicates; a component with
    # more profile records than this is an over-merge to cut back.
    max_profiles_per_cluster: int = 8
    customer_id_prefix: str = "cus_"


@dataclass
class IdentityResolution:
    clusters: pa.Table  # CLUSTER_SCHEMA: every record, its customer_id (null: unresolved)
    links: pa.Table  # LINK_SCHEMA: every link considered, and whether the guard kept it
    oversized_clusters: pa.Table  # OVERSIZED_SCHEMA: components the size guard cut back
    shared_identifiers: pa.Table  # SHARED_SCHEMA: emails/phones found used by several people
    # FINGERPRINT_SCHEMA: the records the probabilistic model linked, for the next run
    linked_records: pa.Table = field(default_factory=FINGERPRINT_SCHEMA.empty_table)
    linkage: Linkage | None = None  # the probabilistic linker's links and chosen threshold

    def summary(self) -> dict[str, object]:
        customer_ids = self.clusters["customer_id"]
        kept = self.links.filter(self.links["is_kept"])
        return {
            "records": self.clusters.num_rows,
            "resolved_records": self.clusters.num_rows - customer_ids.null_count,
            "unresolved_records": customer_ids.null_count,
            "customers": len(customer_ids.drop_null().unique()),
            "links_per_rule": dict(sorted(Counter(kept["match_rule"].to_pylist()).items())),
            "links_cut": self.links.num_rows - kept.num_rows,
            "oversized_clusters": self.oversized_clusters.num_rows,
            "oversized_customers_left": self.oversized_clusters.filter(
                pc.not_equal(self.oversized_clusters["action"], "split")
            ).num_rows,
            "shared_identifiers": self.shared_identifiers.num_rows,
            # all linkable records on a full resolution, the new and changed ones otherwise
            "records_scored": self.linkage.records_scored if self.linkage else 0,
        }


@dataclass(frozen=True)
class PreviousResolution:
    """What the last resolution left in the warehouse (warehouse.read_previous_resolution)."""

    # record_ids that anchored a customer: a cluster holding one keeps it, and its customer_id
    anchors: pa.Array
    # its linkage, to score only new and changed records; None re-links every record (a full
    # re-resolution, which still keeps the anchors)
    linkage: PreviousLinkage | None


def resolve_identities(
    records: pa.Table,
    identifiers: pa.Table,
    settings: ResolutionSettings | None = None,
    linkage_model: dict | None = None,
    previous: PreviousResolution | None = None,
) -> IdentityResolution:
    """Resolve `records` (int_identity__records: RECORD_COLUMNS plus any of LINK_COLUMNS) with
    their `identifiers` (int_identity__identifiers: IDENTIFIER_COLUMNS) into customers. The
    probabilistic links come from `linkage_model` (train_linkage_model on linkable_records,
    saved from an earlier run) when it fits the records, else from a model trained on them;
    with the `previous` resolution, ids are kept and only new and changed records are scored."""
    settings = settings or ResolutionSettings()
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("input_records", records)
        con.register("input_identifiers", identifiers)
        _load_nodes(con)
        _key_units(con)
        partition_shared_identifiers(con, settings.sharing)
        _identifier_edges(con)
        linkage = _probabilistic_edges(
            con, records, settings, linkage_model, previous.linkage if previous else None
        )
        con.register("previous_anchors", pa.table({"record_id": _anchor_ids(previous)}))
        resolution = _cluster(con, settings)
        resolution.linkage = linkage
        if linkage is not None:
            resolution.linked_records = linkage.fingerprints
        return resolution
    finally:
        con.close()


def _load_nodes(con: duckdb.DuckDBPyConnection) -> None:
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


def _key_units(con: duckdb.DuckDBPyConnection) -> None:
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


def _identifier_edges(con: duckdb.DuckDBPyConnection) -> None:
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


LINKAGE_MODEL_NAME = "identity_linkage"


def train_identity_linkage(
    records: pa.Table, settings: ResolutionSettings | None = None
) -> ModelArtifact:
    """The probabilistic model `resolve_identities` links with, trained on `records`, as a
    versioned artifact (ml/pipeline/artifacts.py) dated by the latest record; skipped (no model:
    each run then trains its own, if it can) when too few records carry both names."""
    settings = settings or ResolutionSettings()
    linkable = linkable_records(records)
    model = train_linkage_model(linkable, settings.linkage) if linkable.num_rows else None
    latest = pc.max(records["recorded_at"]).as_py() if records.num_rows else None
    as_of = latest.date() if latest is not None else dt.date.today()
    # Splink names each linker with a random linker_uid: left out, the same records give the
    # same model version (and the same link fingerprints) on every training
    trained = {k: v for k, v in model.items() if k != "linker_uid"} if model else model
    data_hash = hashlib.sha256(json.dumps(trained, sort_keys=True).encode()).hexdigest()
    if model is None:
        named = f"{settings.linkage.min_records} records with a first and a last name"
        return skipped(LINKAGE_MODEL_NAME, as_of, data_hash, not_enough_data(named, "fewer"))
    metadata = {
        "method": "splink_fellegi_sunter",
        "training_window": {"records_until": as_of.isoformat()},
        "records": linkable.num_rows,
        "linked_columns": model[MODEL_COLUMNS_KEY],
    }
    return ModelArtifact(LINKAGE_MODEL_NAME, as_of, data_hash, model, metadata)


def _probabilistic_edges(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    settings: ResolutionSettings,
    model: dict | None,
    previous: PreviousLinkage | None,
) -> Linkage | None:
    """Append Splink's links between linkable records to table `edges`; a link between units
    that look like two members of a household (guards.household_conflict) is kept as vetoed
    (dropped_by = 'name_conflict')."""
    linkable = linkable_records(records)
    if linkable.num_rows == 0:
        return None
    linkage = link_records(linkable, settings.linkage, model, previous)
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
    vetoed = conflicting_units(
        con, "scored_nodes", household_conflict("a", "b", settings.sharing.name_similarity)
    )
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


def _anchor_ids(previous: PreviousResolution | None) -> pa.Array:
    return pa.array([], pa.string()) if previous is None else previous.anchors.cast(pa.string())


def _cluster(con: duckdb.DuckDBPyConnection, settings: ResolutionSettings) -> IdentityResolution:
    """Components of the kept links, the cluster-size guard, then one customer per cluster that
    holds an identifying record; every record gets its customer_id, rule and confidence."""
    nodes = con.sql(
        "select *, record_id in (select record_id from previous_anchors) as anchored_before "
        "from nodes order by node"
    ).to_arrow_table()
    edges = con.sql("select * from edges order by left_node, right_node, match_rule")
    edges = edges.to_arrow_table()
    n = nodes.num_rows
    left = edges["left_node"].to_numpy().astype(np.int64)
    right = edges["right_node"].to_numpy().astype(np.int64)
    rule_codes, rule_names = _codes(edges["match_rule"])
    tiers = np.array([rule_tier(name) for name in rule_names], dtype=np.int64)[rule_codes]
    confidences = edges["match_confidence"].to_numpy(zero_copy_only=False).astype(np.float64)
    vetoed = pc.is_valid(edges["dropped_by"]).to_numpy(zero_copy_only=False)
    kind_codes, kind_names = _codes(nodes["record_kind"])
    kinds_rank = kind_ranks(np.array(kind_names, dtype=object))[kind_codes]
    is_profile = np.array([kind == "profile" for kind in kind_names], dtype=bool)[kind_codes]
    recorded_at = nodes["recorded_at"].to_numpy(zero_copy_only=False).astype("datetime64[us]")
    tiebreak = np.arange(n)  # nodes are numbered in record_id order
    anchored_before = nodes["anchored_before"].to_numpy(zero_copy_only=False).astype(bool)

    usable_edges = np.flatnonzero(~vetoed)
    guarded = guarded_components(
        n,
        left[usable_edges],
        right[usable_edges],
        tiers[usable_edges],
        is_profile,
        settings.max_profiles_per_cluster,
    )
    labels = guarded.labels
    kept = np.zeros(len(left), dtype=bool)
    kept[usable_edges[guarded.kept]] = True
    dropped_by = np.array(edges["dropped_by"].to_pylist(), dtype=object)
    dropped_by[usable_edges[~guarded.kept]] = "cluster_size"

    # A cluster is a customer when one of its records identifies a person: a profile or lead,
    # a record with an identifier that links (not one shared by several people), or a record
    # with a probabilistic link. The others keep no customer_id.
    identifying = np.isin(kind_names, PERSON_KINDS)[kind_codes] if n else np.zeros(0, bool)
    usable = con.execute("select distinct node from occurrences where part >= 0").fetchnumpy()
    identifying[usable["node"].astype(np.int64)] = True
    probabilistic = kept & (tiers == PROBABILISTIC_TIER)
    identifying[left[probabilistic]] = True
    identifying[right[probabilistic]] = True
    ambiguous = con.execute("select distinct node from occurrences where part < 0").fetchnumpy()
    is_ambiguous = np.zeros(n, dtype=bool)
    is_ambiguous[ambiguous["node"].astype(np.int64)] = True
    resolved = np.zeros(n, dtype=bool)
    if n:
        resolved_label = np.zeros(labels.max() + 1, dtype=bool)
        resolved_label[labels[identifying]] = True
        resolved = resolved_label[labels]

    anchor = anchors(labels, kinds_rank, recorded_at, tiebreak, anchored_before)
    record_ids = nodes["record_id"]
    customer_ids = _customer_ids(record_ids, anchor, resolved, settings.customer_id_prefix)
    is_anchor = resolved & (anchor == np.arange(n))
    sizes = np.bincount(labels)[labels] if n else np.zeros(0, dtype=np.int64)

    # The strongest kept link of each record names its rule; anchors and the unresolved their own.
    names = np.array([*rule_names, "anchor", "unresolved", "ambiguous"], dtype=object)
    anchor_code, unresolved_code, ambiguous_code = len(rule_names) + np.arange(3)
    best = strongest_links(n, left[kept], right[kept], tiers[kept], confidences[kept])
    best_edge = np.full(n, -1, dtype=np.int64)  # -1 picks the sentinel appended below
    best_edge[best >= 0] = np.flatnonzero(kept)[best[best >= 0]]
    node_rule = np.append(rule_codes, unresolved_code)[best_edge]
    node_confidence = np.append(confidences, np.nan)[best_edge]
    node_rule[is_anchor] = anchor_code
    node_confidence[is_anchor] = 1.0
    node_rule[~resolved] = np.where(is_ambiguous, ambiguous_code, unresolved_code)[~resolved]

    clusters = pa.table(
        {
            "record_id": record_ids,
            "source": nodes["source"],
            "source_table": nodes["source_table"],
            "source_key": nodes["source_key"],
            "record_kind": nodes["record_kind"],
            "customer_id": customer_ids,
            "is_anchor": pa.array(is_anchor),
            "match_rule": pa.array(names[node_rule].tolist() if n else [], pa.string()),
            "match_confidence": pa.array(node_confidence, pa.float64(), mask=~resolved),
            "cluster_records": pa.array(np.where(resolved, sizes, 0), pa.int64()),
            "is_oversized": pa.array(guarded.still_oversized & resolved),
        },
        schema=CLUSTER_SCHEMA,
    )
    links = pa.table(
        {
            "record_id_left": record_ids.take(pa.array(left)),
            "record_id_right": record_ids.take(pa.array(right)),
            "match_rule": edges["match_rule"],
            "match_confidence": pa.array(confidences),
            "identifier_type": edges["identifier_type"].cast(pa.string()),
            "is_kept": pa.array(kept),
            "dropped_by": pa.array(dropped_by.tolist(), pa.string()),
        },
        schema=LINK_SCHEMA,
    )
    oversized = _oversized_report(
        guarded,
        left[usable_edges],
        is_profile,
        (kinds_rank, recorded_at, tiebreak, anchored_before),
        record_ids,
        settings,
    )
    shared = con.sql("select * from shared_identifiers").to_arrow_table().cast(SHARED_SCHEMA)
    return IdentityResolution(clusters, links, oversized, shared)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes of a string column and the values they stand for."""
    encoded = column.combine_chunks().dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), [
        str(value) for value in encoded.dictionary.to_pylist()
    ]


def _customer_ids(
    record_ids: pa.ChunkedArray, anchor: np.ndarray, resolved: np.ndarray, prefix: str
) -> pa.Array:
    """Per node, the customer_id derived from its anchor's record_id (null when unresolved)."""
    unique_anchors, inverse = np.unique(anchor, return_inverse=True)
    anchor_ids = record_ids.take(pa.array(unique_anchors)).to_pylist()
    ids = np.array([customer_id_for(record_id, prefix) for record_id in anchor_ids], dtype=object)
    return pa.array(ids[inverse] if len(anchor) else [], pa.string(), mask=~resolved)


def _oversized_report(guarded, left, is_profile, anchor_order, record_ids, settings) -> pa.Table:
    """One row per cluster that was over the cap before the guard cut it (`anchor_order`: the
    per-node arguments of ids.anchors after the labels)."""
    original = guarded.original_labels
    over_labels = np.unique(original[guarded.oversized])
    if len(over_labels) == 0:
        return OVERSIZED_SCHEMA.empty_table()
    original_anchor = anchors(original, *anchor_order)
    rows = []
    for label in over_labels:
        members = np.flatnonzero(original == label)
        inside = original[left] == label
        parts = guarded.labels[members]
        part_profiles = np.bincount(parts, weights=is_profile[members].astype(np.float64))
        still = bool(guarded.still_oversized[members].any())
        anchor_id = record_ids[int(original_anchor[members[0]])].as_py()
        rows.append(
            {
                "anchor_record_id": anchor_id,
                "customer_id": customer_id_for(anchor_id, settings.customer_id_prefix),
                "records": len(members),
                "profile_records": int(is_profile[members].sum()),
                "links": int(inside.sum()),
                "links_cut": int((inside & ~guarded.kept).sum()),
                "parts": len(np.unique(parts)),
                "largest_part_profile_records": int(part_profiles.max()),
                "action": "kept whole: held together by key links" if still else "split",
            }
        )
    return pa.Table.from_pylist(rows, schema=OVERSIZED_SCHEMA)

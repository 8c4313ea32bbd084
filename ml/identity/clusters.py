"""From links to customers: the components of the kept links, cut back by the cluster-size
guard, and one customer per cluster that holds an identifying record, its id derived from its
anchor record. Builds the resolution's output tables (CLUSTER_SCHEMA, LINK_SCHEMA,
OVERSIZED_SCHEMA, SHARED_SCHEMA).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.identity.graph import PROBABILISTIC_TIER, guarded_components, rule_tier, strongest_links
from ml.identity.ids import anchors, customer_id_for, kind_ranks

# Record kinds that identify a person on their own (the others need an identifier or a link).
PERSON_KINDS = ("profile", "lead")
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


def cluster_links(
    con: duckdb.DuckDBPyConnection, max_profiles_per_cluster: int, customer_id_prefix: str
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Components of the kept links, the cluster-size guard, then one customer per cluster that
    holds an identifying record; every record gets its customer_id, rule and confidence.

    Returns the tables of IdentityResolution: clusters, links, oversized clusters, shared
    identifiers."""
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
        max_profiles_per_cluster,
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
    customer_ids = _customer_ids(record_ids, anchor, resolved, customer_id_prefix)
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
        customer_id_prefix,
    )
    shared = con.sql("select * from shared_identifiers").to_arrow_table().cast(SHARED_SCHEMA)
    return clusters, links, oversized, shared


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


def _oversized_report(
    guarded, left, is_profile, anchor_order, record_ids, customer_id_prefix
) -> pa.Table:
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
                "customer_id": customer_id_for(anchor_id, customer_id_prefix),
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

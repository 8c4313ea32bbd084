"""Identity resolution end to end: records and their identifiers in, one customer per person out.

1. Deterministic links: records that carry the same identifier (a system key, an email, a phone)
   are linked, each to the identifier's earliest record; a shared email or phone is first
   checked for several people behind it (links.py, guards.py).
2. Probabilistic links between named records (probabilistic.py: Splink trained in training.py,
   comparing what comparisons.py defines on columns normalised by normalise.py, linking above
   the threshold of threshold.py), for people whose records share no identifier.
3. Connected components of all links are the people; a component with more profile records
   than one person has is cut back along its weakest links (clusters.py, graph.py).
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

import pyarrow as pa
import pyarrow.compute as pc

from ml.identity.clusters import cluster_links
from ml.identity.guards import SharingSettings, partition_shared_identifiers
from ml.identity.links import (
    identifier_edges,
    key_units,
    linkable_records,
    load_nodes,
    probabilistic_edges,
)
from ml.identity.probabilistic import (
    FINGERPRINT_SCHEMA,
    MODEL_COLUMNS_KEY,
    Linkage,
    PreviousLinkage,
    train_linkage_model,
)
from ml.identity.training import LinkageSettings
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped
from targets import memory_budget

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
    con = memory_budget.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("input_records", records)
        con.register("input_identifiers", identifiers)
        load_nodes(con)
        key_units(con)
        partition_shared_identifiers(con, settings.sharing)
        identifier_edges(con)
        linkage = probabilistic_edges(
            con,
            records,
            settings.linkage,
            settings.sharing.name_similarity,
            linkage_model,
            previous.linkage if previous else None,
        )
        con.register("previous_anchors", pa.table({"record_id": _anchor_ids(previous)}))
        tables = cluster_links(con, settings.max_profiles_per_cluster, settings.customer_id_prefix)
        resolution = IdentityResolution(*tables, linkage=linkage)
        if linkage is not None:
            resolution.linked_records = linkage.fingerprints
        return resolution
    finally:
        con.close()


def _anchor_ids(previous: PreviousResolution | None) -> pa.Array:
    return pa.array([], pa.string()) if previous is None else previous.anchors.cast(pa.string())


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

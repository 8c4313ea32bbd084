"""Stable customer ids: derived from one record of the cluster (its anchor), never from row
numbers or cluster labels, so a rerun, or new records that do not touch a person, leave the
person's id unchanged.

The anchor of a new cluster is its earliest profile record (CRM contact, shop customer or lead,
which carry their creation time in the source system), else its earliest interaction (ticket,
survey response, review), else its earliest web device; ties go to the smaller record_id. A
cluster holding a record that anchored a customer before keeps that anchor, so a person's id
survives new records (a ticket-only customer who opens a shop account, a late-delivered older
contact) and a full re-resolution. Ids change only when the person itself changes: two
customers that merge keep the id of the earlier anchor, and the part of a split cluster that
lost the anchor gets a new id.
"""

from __future__ import annotations

import hashlib

import numpy as np

# Record kinds in anchor order: kinds whose creation time is fixed in the source come first.
ANCHOR_KIND_ORDER = {"profile": 0, "lead": 0, "interaction": 1, "device": 2}
ID_HEX_DIGITS = 16  # 64 bits: a collision is unlikely below billions of customers


def customer_id_for(anchor_record_id: str, prefix: str = "cus_") -> str:
    """`cus_` + the first 16 hex digits of SHA-256 of the anchor's record_id."""
    digest = hashlib.sha256(anchor_record_id.encode("utf-8")).hexdigest()
    return prefix + digest[:ID_HEX_DIGITS]


def anchors(
    labels: np.ndarray,
    kind_ranks: np.ndarray,
    recorded_at: np.ndarray,
    tiebreak: np.ndarray,
    anchored_before: np.ndarray | None = None,
) -> np.ndarray:
    """Per node, the node index of its cluster's anchor: a record `anchored_before` (bool per
    node) first, then the lowest kind rank (see ANCHOR_KIND_ORDER), then the earliest
    recorded_at (datetime64, NaT last), then the lowest tiebreak (the rank of the record_id)."""
    n = len(labels)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    times = recorded_at.astype("datetime64[us]").astype(np.int64)
    times = np.where(np.isnat(recorded_at), np.iinfo(np.int64).max, times)
    new = np.ones(n, dtype=bool) if anchored_before is None else ~anchored_before
    order = np.lexsort((tiebreak, times, kind_ranks, new, labels))
    first = np.ones(n, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    anchor_of_label = np.empty(labels.max() + 1, dtype=np.int64)
    anchor_of_label[labels[order][first]] = order[first]
    return anchor_of_label[labels]


def kind_ranks(kinds: np.ndarray) -> np.ndarray:
    """ANCHOR_KIND_ORDER of each record kind (unknown kinds last)."""
    return np.array([ANCHOR_KIND_ORDER.get(kind, 3) for kind in kinds], dtype=np.int64)

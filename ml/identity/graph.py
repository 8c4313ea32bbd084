"""The identity graph: records are nodes, links are edges, people are connected components.

Links come in tiers of trust. Tier 1: a system's own key or a reference to it (a lead naming
its contact, a ticket naming its shop customer, a device logged in as a customer). Tier 2: a
shared contact point or an indirect clue (email, phone, an order quoted in a ticket, an email
click matched to a web session, a signed review matched to a recent purchaser). Tier 3: a
probabilistic match. When a component grows beyond what one person plausibly has, its weakest
tier is cut first (the over-merge guard).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

KEY_TIER, CONTACT_POINT_TIER, PROBABILISTIC_TIER = 1, 2, 3

RULE_TIERS = {
    "record_key": KEY_TIER,
    "lead_contact": KEY_TIER,
    "customer_reference": KEY_TIER,
    "web_login": KEY_TIER,
    "order_reference": CONTACT_POINT_TIER,
    "email": CONTACT_POINT_TIER,
    "phone": CONTACT_POINT_TIER,
    "email_click_through": CONTACT_POINT_TIER,
    "review_recent_order": CONTACT_POINT_TIER,
    "probabilistic": PROBABILISTIC_TIER,
}


def rule_tier(rule: str) -> int:
    """Tier of a link rule; rules not listed (new ones) count as contact points."""
    return RULE_TIERS.get(rule, CONTACT_POINT_TIER)


def components(n_nodes: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label of every node (0..n_nodes-1) of the undirected graph left[i]-right[i]."""
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix(
        (np.ones(len(left), dtype=np.int8), (left, right)), shape=(n_nodes, n_nodes)
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


@dataclass
class GuardedComponents:
    """Components after the cluster-size guard."""

    labels: np.ndarray  # final component of every node
    original_labels: np.ndarray  # component before any edge was cut
    kept: np.ndarray  # per edge: still used after the guard
    oversized: np.ndarray  # per node: its original component was over the cap
    still_oversized: np.ndarray  # per node: its final component is still over the cap


def guarded_components(
    n_nodes: int,
    left: np.ndarray,
    right: np.ndarray,
    tiers: np.ndarray,
    is_profile: np.ndarray,
    max_profiles: int,
) -> GuardedComponents:
    """Connected components in which no component holds more than `max_profiles` profile
    records (CRM contacts, shop customers), if cutting links can make it so.

    A component over the cap loses its probabilistic links, then (if still over) its contact
    point links, and is split into the components that remain; key links are never cut, so a
    component held together by keys alone stays whole and is reported as still oversized.
    """
    kept = np.ones(len(left), dtype=bool)
    labels = components(n_nodes, left, right)
    original = labels
    oversized = _over_cap(labels, is_profile, max_profiles)
    if oversized.any():
        for cut_tier in (PROBABILISTIC_TIER, CONTACT_POINT_TIER):
            over = _over_cap(labels, is_profile, max_profiles)
            if not over.any():
                break
            cut = kept & over[left] & over[right] & (tiers >= cut_tier)
            kept &= ~cut
            labels = components(n_nodes, left[kept], right[kept])
    return GuardedComponents(
        labels=labels,
        original_labels=original,
        kept=kept,
        oversized=oversized,
        still_oversized=_over_cap(labels, is_profile, max_profiles),
    )


def _over_cap(labels: np.ndarray, is_profile: np.ndarray, max_profiles: int) -> np.ndarray:
    """Per node: whether its component holds more than max_profiles profile records."""
    if len(labels) == 0:
        return np.zeros(0, dtype=bool)
    profiles = np.bincount(labels, weights=is_profile.astype(np.float64))
    return profiles[labels] > max_profiles


def strongest_links(
    n_nodes: int,
    left: np.ndarray,
    right: np.ndarray,
    tiers: np.ndarray,
    confidences: np.ndarray,
) -> np.ndarray:
    """Per node, the index of its strongest edge (lowest tier, then highest confidence, then
    lowest edge index), or -1 for a node without edges."""
    best = np.full(n_nodes, -1, dtype=np.int64)
    if len(left) == 0:
        return best
    edge = np.arange(len(left))
    nodes = np.concatenate([left, right])
    edges = np.concatenate([edge, edge])
    # lexsort: last key is primary. Sort by node, then tier, then -confidence, then edge index.
    order = np.lexsort((edges, -confidences[edges], tiers[edges], nodes))
    nodes, edges = nodes[order], edges[order]
    first = np.ones(len(nodes), dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    best[nodes[first]] = edges[first]
    return best

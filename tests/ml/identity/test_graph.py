"""The identity graph helpers: components, the cluster-size guard, strongest links, anchors."""

from __future__ import annotations

import numpy as np

from ml.identity.graph import (
    CONTACT_POINT_TIER,
    KEY_TIER,
    PROBABILISTIC_TIER,
    components,
    guarded_components,
    strongest_links,
)
from ml.identity.ids import anchors, customer_id_for, kind_ranks


def arrays(*values):
    return [np.array(v, dtype=np.int64) for v in values]


def test_components_join_transitively():
    left, right = arrays([0, 1, 3], [1, 2, 4])
    labels = components(6, left, right)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4]
    assert len({labels[0], labels[3], labels[5]}) == 3


def test_guard_cuts_probabilistic_links_before_contact_points_and_never_keys():
    # profiles 0-3; 0-1 by key, 1-2 by phone, 2-3 probabilistic; cap 2 profiles
    left, right = arrays([0, 1, 2], [1, 2, 3])
    tiers = np.array([KEY_TIER, CONTACT_POINT_TIER, PROBABILISTIC_TIER])
    guarded = guarded_components(4, left, right, tiers, np.ones(4, dtype=bool), max_profiles=2)
    assert guarded.kept.tolist() == [True, False, False]
    assert guarded.labels[0] == guarded.labels[1] != guarded.labels[2] != guarded.labels[3]
    assert guarded.oversized.all() and not guarded.still_oversized.any()

    # cap 3: cutting the probabilistic link is enough
    guarded = guarded_components(4, left, right, tiers, np.ones(4, dtype=bool), max_profiles=3)
    assert guarded.kept.tolist() == [True, True, False]


def test_guard_leaves_small_clusters_alone():
    left, right = arrays([0], [1])
    guarded = guarded_components(
        3, left, right, np.array([PROBABILISTIC_TIER]), np.ones(3, dtype=bool), max_profiles=2
    )
    assert guarded.kept.all() and not guarded.oversized.any()


def test_strongest_link_prefers_lower_tier_then_higher_confidence():
    left, right = arrays([0, 0, 1], [1, 2, 2])
    tiers = np.array([PROBABILISTIC_TIER, CONTACT_POINT_TIER, CONTACT_POINT_TIER])
    confidences = np.array([0.999, 0.95, 0.97])
    best = strongest_links(4, left, right, tiers, confidences)
    assert best.tolist() == [1, 2, 2, -1]


def test_anchor_is_the_earliest_profile_then_interaction_then_device():
    labels = np.array([0, 0, 0, 1, 1])
    kinds = np.array(["device", "interaction", "profile", "device", "interaction"], dtype=object)
    recorded = np.array(
        ["2025-01-01", "2025-01-02", "2025-03-01", "2024-01-01", "NaT"], dtype="datetime64[us]"
    )
    assert anchors(labels, kind_ranks(kinds), recorded, np.arange(5)).tolist() == [2, 2, 2, 4, 4]
    # same kind and time: the smaller record_id rank wins
    same = np.array(["2025-01-01"] * 5, dtype="datetime64[us]")
    ranks = np.zeros(5, dtype=np.int64)
    assert anchors(labels, ranks, same, np.array([4, 3, 2, 1, 0])).tolist() == [2, 2, 2, 4, 4]


def test_customer_id_is_a_hash_of_the_anchor_record():
    assert customer_id_for("crm/contacts/C1") == customer_id_for("crm/contacts/C1")
    assert customer_id_for("crm/contacts/C1") != customer_id_for("crm/contacts/C2")
    assert customer_id_for("crm/contacts/C1").startswith("cus_")
    assert len(customer_id_for("crm/contacts/C1")) == 4 + 16

"""Business keys as each system mints them, from 0-based counters (text, never numbers).

Each system has its own key shape, as in real life: the CRM prefixes, the shop uses plain
numbers, the survey tool and the ESP use opaque tokens.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sources.simulator import formats
from sources.simulator.streams import hex_ids, uuid_ids

SLOTS = 4  # anonymous ids per person: device slots 0..3


def contact_ids(numbers: np.ndarray) -> pa.Array:
    return formats.numbered("CRM-", numbers, 100_001, 7)


def lead_ids(numbers: np.ndarray) -> pa.Array:
    return formats.numbered("LD-", numbers, 500_001)


def customer_ids(numbers: np.ndarray) -> pa.Array:
    return formats.numbered("", numbers, 2_000_001)


def order_ids(numbers: np.ndarray) -> pa.Array:
    return formats.numbered("ORD-", numbers, 1_000_001)


def ticket_ids(numbers: np.ndarray) -> pa.Array:
    return formats.numbered("", numbers, 40_001)


def response_ids(numbers: np.ndarray, seed: int) -> pa.Array:
    return hex_ids(numbers, seed * 31 + 1, b"R_")


def review_ids(numbers: np.ndarray, seed: int) -> pa.Array:
    return hex_ids(numbers, seed * 31 + 2, b"rv_")


def message_ids(numbers: np.ndarray, seed: int) -> pa.Array:
    return hex_ids(numbers, seed * 31 + 3)


def event_ids(numbers: np.ndarray, seed: int) -> pa.Array:
    return hex_ids(numbers, seed * 31 + 4)


def session_ids(numbers: np.ndarray, seed: int) -> pa.Array:
    return hex_ids(numbers, seed * 31 + 5, b"s")


def anonymous_ids(person: np.ndarray, slot: np.ndarray, seed: int) -> pa.Array:
    return uuid_ids(np.asarray(person, dtype=np.int64) * SLOTS + slot, seed * 31 + 6)

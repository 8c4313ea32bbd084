"""Random streams and opaque identifiers that depend only on (seed, day, purpose).

Every day draws from its own generators, derived from the seed, the day number and the name of
the purpose, never from a generator carried over from the day before. That is what makes a
simulation split into several runs (simulate, then append_days) byte-identical to one run.
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _purpose(name: str) -> int:
    return zlib.crc32(name.encode())


def static_rng(seed: int, purpose: str) -> np.random.Generator:
    """A generator for things drawn once per simulation (population, catalogue)."""
    entropy = [seed, 0, _purpose(purpose)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def day_rng(seed: int, day: int, purpose: str) -> np.random.Generator:
    """A generator for one purpose on one day (day 0 is start_date)."""
    entropy = [seed, 1, day + 1_000_000, _purpose(purpose)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def mix64(values: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64, so distinct inputs give distinct ids."""
    with np.errstate(over="ignore"):
        z = np.asarray(values, dtype=np.uint64) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _hex_chars(values: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 16) ASCII hex digits, most significant first."""
    as_bytes = np.asarray(values, dtype=">u8").view(np.uint8).reshape(-1, 8)
    chars = np.empty((len(as_bytes), 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[as_bytes >> 4]
    chars[:, 1::2] = _HEX[as_bytes & 15]
    return chars


def _fixed_width_strings(chars: np.ndarray) -> pa.StringArray:
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    )


def hex_ids(values: np.ndarray, salt: int, prefix: bytes = b"") -> pa.StringArray:
    """Opaque 16-hex-digit ids (optionally prefixed) from unique integers."""
    chars = _hex_chars(mix64(values, salt))
    if prefix:
        head = np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (len(chars), len(prefix)))
        chars = np.hstack([head, chars])
    return _fixed_width_strings(chars)


def uuid_ids(values: np.ndarray, salt: int) -> pa.StringArray:
    """UUID-shaped ids (8-4-4-4-12), as analytics SDKs give anonymous visitors."""
    high = _hex_chars(mix64(values, salt))
    low = _hex_chars(mix64(values, salt ^ 0x5DEECE66D))
    chars = np.empty((len(high), 36), dtype=np.uint8)
    dash = ord("-")
    chars[:, 0:8] = high[:, 0:8]
    chars[:, 8] = dash
    chars[:, 9:13] = high[:, 8:12]
    chars[:, 13] = dash
    chars[:, 14] = ord("4")  # version nibble, as a v4 UUID has
    chars[:, 15:18] = high[:, 13:16]
    chars[:, 18] = dash
    chars[:, 19:23] = low[:, 0:4]
    chars[:, 23] = dash
    chars[:, 24:36] = low[:, 4:16]
    return _fixed_width_strings(chars)

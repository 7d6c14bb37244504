"""Pure functions shared by the sender, the reconciliation job and the simulator (no Django imports).

The payload hash and the per-day digest are computed the same way on both sides of the wire, so that
reconciliation (R-SHARE) compares like with like.
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from collections.abc import Iterable
from typing import Any


def canonical_json(data: Any) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_hash(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def shard_of(partition_key: str, shards: int) -> int:
    """Stable shard of a partition (battery code): all records of one battery go through one shard."""
    return zlib.crc32(partition_key.encode()) % shards


def day_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """Digest of one day and kind: SHA-256 over ``key:payload_hash`` lines sorted by key.

    The same as the SQL ``encode(sha256(convert_to(string_agg(key || ':' || hash, E'\\n' ORDER BY key),
    'UTF8')), 'hex')`` that both sides run in the database.
    """
    text = "\n".join(f"{k}:{h}" for k, h in sorted(pairs))
    return hashlib.sha256(text.encode()).hexdigest()


def backoff_delay(failures: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: uniform in [c/2, c] where c = min(cap, base * 2**(failures-1)).

    The jitter spreads retries of many workers after an outage instead of having them knock together; the
    lower half-bound keeps the backoff growing.
    """
    rng = rng or random
    ceiling = min(cap, base * (2 ** max(0, failures - 1)))
    return rng.uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0

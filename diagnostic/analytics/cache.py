"""Dashboards are served from cached aggregates that are fresh within a minute of a submission.

Each round has a version number in the cache; submitting or reopening a response bumps it, so
every cached figure for that round is recomputed on its next request. Entries also expire after
FRESH_SECONDS, which keeps a per-process cache (no Redis) within a minute of the truth.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

FRESH_SECONDS = 60


def _version(round_id: int) -> int:
    key = f"analytics:round-version:{round_id}"
    version = cache.get(key)
    if version is None:
        cache.add(key, 1, None)
        version = cache.get(key, 1)
    return version


def bump(round_id: int) -> None:
    """Call after any change to a round's submitted data."""
    key = f"analytics:round-version:{round_id}"
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, None)


def cached(kind: str, round_id: int, parts: tuple, compute: Callable[[], Any]) -> Any:
    raw = f"{kind}:{round_id}:{_version(round_id)}:{parts!r}"
    key = "analytics:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FRESH_SECONDS)
    return value

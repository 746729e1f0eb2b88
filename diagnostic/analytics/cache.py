"""Dashboards are served from cached aggregates that are fresh at once after a submission.

Each round has a version in the shared cache (Redis, or a table in the database without Redis:
`settings.CACHES`), so every worker and app server sees the same one. Submitting or reopening
a response gives the round a new version, so every cached figure for that round, in any
process, is recomputed on its next request. The figures themselves are kept in the default
cache (per process without Redis): they are keyed by the version, so a process never serves a
figure from before the last change it can see. Entries also expire after FRESH_SECONDS.

A request reads each round's version once (the first time it needs it) and keeps it until it
ends (`_memo`), so a dashboard asks the shared cache once, not once per figure.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started

FRESH_SECONDS = 60

_local = threading.local()


def _memo() -> dict | None:
    """The versions read during the current request (None outside a request)."""
    return getattr(_local, "versions", None)


def _start(**kwargs) -> None:
    _local.versions = {}


def _finish(**kwargs) -> None:
    _local.versions = None


request_started.connect(_start, dispatch_uid="analytics-cache-start")
request_finished.connect(_finish, dispatch_uid="analytics-cache-finish")


def shared_version(key: str) -> str:
    """The current version stored under `key` in the shared cache (made on first use)."""
    memo = _memo()
    if memo is not None and key in memo:
        return memo[key]
    shared = caches["shared"]
    version = shared.get(key)
    if version is None:
        shared.add(key, uuid.uuid4().hex, None)
        version = shared.get(key)
    if memo is not None:
        memo[key] = version
    return version


def bump_shared(key: str) -> None:
    """A new version under `key`: never one used before, so two processes bumping at once
    cannot both land on the same number and leave a figure computed in between current."""
    version = uuid.uuid4().hex
    caches["shared"].set(key, version, None)
    memo = _memo()
    if memo is not None:
        memo[key] = version


def _version(round_id: int) -> str:
    return shared_version(f"analytics:round-version:{round_id}")


def bump(round_id: int) -> None:
    """Call after any change to a round's submitted data (after the transaction commits)."""
    bump_shared(f"analytics:round-version:{round_id}")


def cached(kind: str, round_id: int, parts: tuple, compute: Callable[[], Any]) -> Any:
    raw = f"{kind}:{round_id}:{_version(round_id)}:{parts!r}"
    key = "analytics:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FRESH_SECONDS)
    return value

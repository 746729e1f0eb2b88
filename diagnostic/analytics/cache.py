"""Dashboards are served from cached aggregates that are fresh at once after a submission.

Each round has a version in the database (`lib.SharedVersion`), so every worker and app server
sees the same one. Submitting or reopening a response gives the round a new version, so every
cached figure for that round, in any process, is recomputed on its next request. The figures
themselves are kept in the cache (per process without Redis): they are keyed by the version,
so no process serves a figure from before the last change. Entries also expire after
FRESH_SECONDS. (docs/decisions/0028-nothing-tied-to-one-process.md)

A request reads every version in one query, the first time it needs one, and keeps them until
it ends (`_memo`): a dashboard costs one query for its versions, not one per figure.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started

FRESH_SECONDS = 60

_local = threading.local()


def _start(**kwargs) -> None:
    _local.versions = None
    _local.in_request = True


def _finish(**kwargs) -> None:
    _local.versions = None
    _local.in_request = False


request_started.connect(_start, dispatch_uid="analytics-cache-start")
request_finished.connect(_finish, dispatch_uid="analytics-cache-finish")


def _all_versions() -> dict[str, str]:
    from diagnostic.lib.models import SharedVersion

    if not getattr(_local, "in_request", False):
        return dict(SharedVersion.objects.values_list("key", "value"))
    if _local.versions is None:
        _local.versions = dict(SharedVersion.objects.values_list("key", "value"))
    return _local.versions


def shared_version(key: str) -> str:
    """The current version under `key` ("0" until the first change)."""
    return _all_versions().get(key, "0")


def bump_shared(key: str) -> None:
    """A new version under `key`: a random value, never one used before, so two processes
    changing it at once cannot leave a figure computed in between looking current."""
    from diagnostic.lib.models import SharedVersion

    value = uuid.uuid4().hex
    SharedVersion.objects.update_or_create(key=key, defaults={"value": value})
    if getattr(_local, "versions", None) is not None:
        _local.versions[key] = value


def _version(round_id: int) -> str:
    return shared_version(f"round:{round_id}")


def bump(round_id: int) -> None:
    """Call after any change to a round's submitted data (after the transaction commits)."""
    bump_shared(f"round:{round_id}")


def cached(kind: str, round_id: int, parts: tuple, compute: Callable[[], Any]) -> Any:
    raw = f"{kind}:{round_id}:{_version(round_id)}:{parts!r}"
    key = "analytics:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FRESH_SECONDS)
    return value

"""Which rounds can be compared with which: change between rounds (docs/metrics.md).

Two rounds are compared only when their figures mean the same thing: both on the same framework
version, or the earlier one on a version with a loaded mapping to the later one's
(`frameworks/mappings.py`), which says which value codes correspond. Value codes of different
versions are never paired by their codes alone (a code can mean something else in a later
version).
"""

from __future__ import annotations

from django.db.models import QuerySet

from diagnostic.assessments.models import Round
from diagnostic.frameworks.mappings import mapped_from


def comparable_rounds(rnd: Round) -> QuerySet[Round]:
    """Earlier rounds (not drafts) whose figures can be compared with this round's, newest
    first."""
    return (
        Round.objects.exclude(status=Round.Status.DRAFT)
        .filter(
            framework_version_id__in=mapped_from(rnd.framework_version_id),
            opens_on__lt=rnd.opens_on,
        )
        .select_related("framework_version")
        .order_by("-opens_on")
    )

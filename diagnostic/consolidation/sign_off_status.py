"""Where a response stands on sign-off, for the pages and the PDF that show it.

The response's own fields (`signed_off_name`, `signed_off_role`, `signed_off_on`) are the
record: the lead may type them in the response details, or an officer's approval through an
emailed link writes them (`services.do_decide_sign_off`). An approval through a link is
recognised when those fields still match it, and then the agreed answers saved after it are
counted, so a reader can tell an approval of what they see from an approval of an earlier
draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from diagnostic.assessments.models import Response
from diagnostic.consolidation.models import SignOffRequest
from diagnostic.consolidation.services import answers_changed_since


@dataclass
class SignOffStatus:
    response: Response
    approval: SignOffRequest | None  # the approval through a link behind the recorded sign-off
    changed_since: int  # agreed answers saved after that approval
    open_request: SignOffRequest | None  # a newer request waiting, declined or expired

    @property
    def is_signed_off(self) -> bool:
        return bool(self.response.signed_off_name)

    @property
    def name(self) -> str:
        return self.response.signed_off_name

    @property
    def role(self) -> str:
        return self.response.signed_off_role

    @property
    def on(self):
        return self.response.signed_off_on


def _matches(response: Response, req: SignOffRequest) -> bool:
    return (
        req.decided_at is not None
        and response.signed_off_name == req.officer_name
        and response.signed_off_role == req.officer_role
        and response.signed_off_on == timezone.localdate(req.decided_at)
    )


def sign_off_status(response: Response) -> SignOffStatus:
    """The recorded sign-off, the approval behind it and any later request: two queries or
    three."""
    requests = list(
        SignOffRequest.objects.filter(response=response)
        .exclude(withdrawn_at__isnull=False, decision="")
        .order_by("-requested_at", "-pk")[:20]
    )
    approval = next(
        (
            r
            for r in requests
            if r.decision == SignOffRequest.Decision.APPROVED and _matches(response, r)
        ),
        None,
    )
    newest = requests[0] if requests else None
    open_request = None
    # A newer request than the approval behind the record (or any, with none behind it) that
    # did not end in an approval: waiting, declined or expired.
    if (
        newest is not None
        and newest is not approval
        and newest.status != "approved"
        and (approval is None or newest.requested_at > approval.decided_at)
    ):
        open_request = newest
    changed = answers_changed_since(response, approval.decided_at) if approval else 0
    return SignOffStatus(response, approval, changed, open_request)

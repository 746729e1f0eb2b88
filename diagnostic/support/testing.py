"""A small hand-made round for support tests, with every figure worked out by hand.

Every submitted council answers all 59 value codes at level 3 with target 3, no priority and no
flags (no demand, no supply), except:

North West (8 submitted: Council A and N1–N7; A, N4–N7 do not consent to regional sharing):
  Council A  EC1 2 → 4 high: weighted gap 6           (no consent to regional sharing)
  N1         EC1 1 → 3 medium: gap 4                  (consents)
  N2         EC1 wants support                        (consents)
  N3         EC1 at 4 (Leader), could share           (consents)
South East (4 submitted: Council B and S1–S3):
  Council B  EC1 1 → 2 low: gap 1
  S1         EC2 wants support

Key area EC (Engaging councillors): North West councils 8, demand 3 (A, N1, N2), weighted gap 10, peers 1
(N3), unmet 3 − 1 = 2; South East demand 2 (B, S1), gap 1, peers 0, unmet 2. Nationally:
councils 12, demand 5, wanting 2, gap 11, peers 1, unmet 2 + 2 = 4. Every other key area: no
demand. Sam leads the South East, where fewer than 5 councils submitted.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from diagnostic.accounts.models import Role
from diagnostic.analytics import summaries
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.organisations.models import Organisation
from diagnostic.testing import make_user

OVERRIDES = {
    "A": {"EC1": {"current_level": 2, "target_level": 4, "priority": "high"}},
    "N1": {"EC1": {"current_level": 1, "target_level": 3, "priority": "medium"}},
    "N2": {"EC1": {"want_support": True}},
    "N3": {"EC1": {"current_level": 4, "could_share": True}},
    "B": {"EC1": {"current_level": 1, "target_level": 2, "priority": "low"}},
    "S1": {"EC2": {"want_support": True}},
}


def submit_answers(response: Response, codes, overrides: dict) -> None:
    # One transaction, as the submission service's (the summaries lock the round).
    with transaction.atomic():
        _submit_answers(response, codes, overrides)


def _submit_answers(response: Response, codes, overrides: dict) -> None:
    Answer.objects.bulk_create([
        Answer(response=response, value_code=vc, version=1,
               **{"current_level": 3, "target_level": 3, **overrides.get(vc.code, {})})
        for vc in codes
    ])  # fmt: skip
    Response.objects.filter(pk=response.pk).update(
        status=Response.Status.SUBMITTED, submitted_at=timezone.now(), started_at=timezone.now()
    )
    # Submitted without the service: tell the figures' summaries, as the service does.
    summaries.response_changed(response, counted_version=None)


class SupportTestCase(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.councils = {"A": cls.council_a, "B": cls.council_b}
        cls.responses = {"A": cls.response_a, "B": cls.response_b}
        for key, region, consent in [
            ("N1", cls.north_west, True), ("N2", cls.north_west, True),
            ("N3", cls.north_west, True), ("N4", cls.north_west, False),
            ("N5", cls.north_west, False), ("N6", cls.north_west, False),
            ("N7", cls.north_west, False), ("S1", cls.south_east, False),
            ("S2", cls.south_east, False), ("S3", cls.south_east, False),
        ]:  # fmt: skip
            org = Organisation.objects.create(
                gss_code=f"E0700{len(cls.councils):04d}", name=f"{key} District Council",
                short_name=key, type="non_metropolitan_district", region=region, nation="England",
            )  # fmt: skip
            cls.councils[key] = org
            cls.responses[key] = Response.objects.create(
                round=cls.round, organisation=org, consent_regional_sharing=consent
            )
        for key, response in cls.responses.items():
            submit_answers(response, cls.codes, OVERRIDES.get(key, {}))
        cls.sam = make_user("sam", "Sam Reid", Role.REGIONAL_LEAD, region=cls.south_east)
        cls.ec = cls.framework.keyareas.get(code="EC")
        cls.ec1 = cls.framework.valuecodes.get(code="EC1")

"""Issue 13: the dashboard's filters offer only what belongs to the chosen round, and refuse the
rest (the enabler filter listed every framework's enablers, some twice, and another
framework's enabler silently gave zeros; any round could be "compared")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Round
from diagnostic.assessments.testing import create_open_round
from diagnostic.frameworks.loaders import (
    NPS_2018,
    load_framework_data,
    load_framework_file,
    parse_framework_text,
)
from diagnostic.testing import BaseTestCase

FOUR = Path(__file__).resolve().parents[2] / "frameworks" / "tests" / "data" / "four-levels.yaml"


class FilterTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.nps = load_framework_file(NPS_2018).version
        data = parse_framework_text(NPS_2018.read_text(encoding="utf-8"))
        data["version"]["name"] = "NPS 2018 reworded"
        cls.nps_r2 = load_framework_data(data).version  # the same enabler codes again
        cls.four = load_framework_file(FOUR).version
        cls.round, _ = create_open_round(cls.four, [cls.council_a], name="CMCR round")
        today = timezone.localdate()
        cls.nps_round = Round.objects.create(
            name="NPS earlier", framework_version=cls.nps, opens_on=today - dt.timedelta(days=400),
            closes_on=today - dt.timedelta(days=300), eligibility_date=today - dt.timedelta(days=400),
            nations=["England"], status=Round.Status.CLOSED,
        )  # fmt: skip
        cls.same_earlier = Round.objects.create(
            name="CMCR earlier", framework_version=cls.four, opens_on=today - dt.timedelta(days=500),
            closes_on=today - dt.timedelta(days=450), eligibility_date=today - dt.timedelta(days=500),
            nations=["England"], status=Round.Status.CLOSED,
        )  # fmt: skip

    def get(self, **params):
        self.client.force_login(self.nina)
        return self.client.get(reverse("analytics:national"), {"round": self.round.pk, **params})

    def test_the_enabler_filter_offers_the_rounds_own_enablers_once_each(self):
        r = self.get()
        self.assertEqual(
            list(r.context["form"].fields["enabler"].choices),
            [("", "All value codes"), ("data", "Using contract data"),
             ("people", "Skilled contract managers"), ("tools", "Shared tooling")],
        )  # fmt: skip
        r = self.get(round=self.nps_round.pk)
        codes = [c for c, _ in r.context["form"].fields["enabler"].choices]
        self.assertEqual(codes, ["", "talent", "digital", "innovation", "change"])

    def test_another_frameworks_enabler_is_refused_not_answered_with_zeros(self):
        r = self.get(enabler="talent")
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "that one is not part of its framework", status_code=400)
        self.assertNotIn("by_area", r.context)
        self.assertEqual(self.get(enabler="data").status_code, 200)
        area = self.four.keyareas.first()
        url = reverse("analytics:key_area", args=[area.pk])
        self.assertEqual(
            self.client.get(url, {"round": self.round.pk, "enabler": "talent"}).status_code, 400
        )
        self.assertEqual(
            self.client.get(url, {"round": self.round.pk, "enabler": "data"}).status_code, 200
        )

    def test_only_rounds_on_the_same_version_can_be_compared(self):
        r = self.get()
        self.assertEqual(list(r.context["form"].fields["compare"].queryset), [self.same_earlier])
        r = self.get(compare=self.nps_round.pk)
        self.assertEqual(r.status_code, 400)
        self.assertNotIn("change", r.context)
        r = self.get(compare=self.same_earlier.pk)
        self.assertEqual(r.status_code, 200)
        self.assertIn("change", r.context)

"""Whether support helped: councils that attended against similar councils, next round.

An earlier closed round (NPS 2021) had an offer on EC1 in the North West that N1–N5 attended.
EC1 levels, 2021 → now (now from support/testing.py, M1 overridden to 2):

  took part: N1 2 → 1, N2 2 → 3, N3 3 → 4, N4 2 → 3, N5 3 → 3
  others:    A 2 → 2, M1 2 → 2, M2 2 → 3, M3 3 → 3, M4 3 → 3; M5 started at 5: not similar
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Response, Round
from diagnostic.organisations.models import Organisation
from diagnostic.support.models import Invitation, Offer
from diagnostic.support.testing import SupportTestCase, submit_answers

BEFORE = {"N1": 2, "N2": 2, "N3": 3, "N4": 2, "N5": 3, "A": 2, "M1": 2, "M2": 2, "M3": 3,
          "M4": 3, "M5": 5}  # fmt: skip


class EffectTestCase(SupportTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        today = timezone.localdate()
        cls.earlier = Round.objects.create(
            name="NPS 2021", framework_version=cls.framework, status=Round.Status.CLOSED,
            opens_on=today - dt.timedelta(days=900), closes_on=today - dt.timedelta(days=800),
            eligibility_date=today - dt.timedelta(days=900), nations=["England"],
        )  # fmt: skip
        for i in range(1, 6):
            org = Organisation.objects.create(
                gss_code=f"E0710{i:04d}", name=f"M{i} District Council", short_name=f"M{i}",
                type="non_metropolitan_district", region=cls.north_west, nation="England",
            )  # fmt: skip
            cls.councils[f"M{i}"] = org
            now = Response.objects.create(round=cls.round, organisation=org)
            submit_answers(now, cls.codes, {"EC1": {"current_level": 2}} if i == 1 else {})
        for key, level in BEFORE.items():
            then = Response.objects.create(round=cls.earlier, organisation=cls.councils[key])
            submit_answers(then, cls.codes, {"EC1": {"current_level": level}})
        cls.offer = Offer.objects.create(
            round=cls.earlier, region=cls.north_west, kind="workshop", title="Councillor briefings",
            value_code=cls.ec1, starts_on=today - dt.timedelta(days=850),
            ends_on=today - dt.timedelta(days=850), capacity=10,
        )  # fmt: skip
        for key in ("N1", "N2", "N3", "N4", "N5"):
            Invitation.objects.create(offer=cls.offer, organisation=cls.councils[key],
                                      status="accepted", attended=True)  # fmt: skip
        Invitation.objects.create(offer=cls.offer, organisation=cls.councils["M3"],
                                  status="declined", attended=False)  # fmt: skip

    def rows(self, user):
        self.client.force_login(user)
        r = self.client.get(reverse("support:effect"))
        self.assertEqual(r.status_code, 200)
        return r, r.context["rows"]


class EffectTests(EffectTestCase):
    def test_took_part_against_similar_councils_in_the_next_round(self):
        r, rows = self.rows(self.dana)
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual((row["later"], row["attended"], row["suppressed"]), (self.round, 5, False))
        tp, ot = row["result"]["took_part"], row["result"]["others"]
        # Took part: before (2+2+3+2+3)/5 = 2.4, after (1+3+4+3+3)/5 = 2.8, change 0.4.
        self.assertEqual(tp["n"], 5)
        self.assertAlmostEqual(tp["before"], 2.4)
        self.assertAlmostEqual(tp["after"], 2.8)
        self.assertAlmostEqual(tp["change"], 0.4)
        # Others: A, M1–M4: before (2+2+2+3+3)/5 = 2.4, after (2+2+3+3+3)/5 = 2.6, change 0.2.
        self.assertEqual(ot["n"], 5)
        self.assertAlmostEqual(ot["change"], 0.2)
        self.assertAlmostEqual(row["result"]["difference"], 0.2)
        self.assertContains(r, "This is not proof that the support caused the change.")
        self.assertContains(r, "+0.20")

    def test_groups_under_5_are_hidden_outside_the_national_team(self):
        Invitation.objects.filter(organisation=self.councils["N5"]).update(attended=False)
        _, rows = self.rows(self.dana)
        self.assertEqual((rows[0]["suppressed"], rows[0]["result"]), (True, None))
        r, rows = self.rows(self.erin)
        tp, ot = rows[0]["result"]["took_part"], rows[0]["result"]["others"]
        # Took part N1–N4: (2+2+3+2)/4 = 2.25 → (1+3+4+3)/4 = 2.75, change 0.5. Others now
        # include N5 (3 → 3): before 15/6 = 2.5, after 16/6, change 1/6. Difference 1/3.
        self.assertEqual((tp["n"], ot["n"]), (4, 6))
        self.assertAlmostEqual(tp["change"], 0.5)
        self.assertAlmostEqual(ot["change"], 1 / 6)
        self.assertAlmostEqual(rows[0]["result"]["difference"], 1 / 3)

    def test_a_regional_lead_sees_only_their_regions_offers(self):
        _, rows = self.rows(self.sam)
        self.assertEqual(rows, [])

    def test_an_offer_in_the_latest_round_waits_for_the_next(self):
        Offer.objects.create(round=self.round, region=self.north_west, kind="webinar",
                             title="Later", key_area=self.ec, starts_on=timezone.localdate(),
                             ends_on=timezone.localdate(), capacity=5)  # fmt: skip
        r, rows = self.rows(self.erin)
        self.assertEqual([row["later"] for row in rows], [None, self.round])
        self.assertContains(r, "No later round yet")

    def test_organisation_roles_are_refused(self):
        for user in (self.bob, self.charlie, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("support:effect")).status_code, 403)


class DashboardEffectTests(EffectTestCase):
    def test_the_dashboards_change_between_rounds_shows_whether_support_helped(self):
        url = reverse("analytics:regional", args=[self.north_west.code])
        self.client.force_login(self.dana)
        r = self.client.get(url, {"round": self.round.pk, "compare": self.earlier.pk})
        row = r.context["support_effect"][0]
        self.assertEqual((row["result"]["took_part"]["n"], row["result"]["others"]["n"]), (5, 5))
        self.assertAlmostEqual(row["result"]["difference"], 0.2)
        self.assertContains(r, "Support offered in NPS 2021: whether it helped")
        # The South East's dashboard (national team) has no support offered there.
        self.client.force_login(self.erin)
        r = self.client.get(reverse("analytics:regional", args=[self.south_east.code]),
                            {"round": self.round.pk, "compare": self.earlier.pk})  # fmt: skip
        self.assertEqual(r.context["support_effect"], [])
        self.assertNotContains(r, "whether it helped")
        # Without a comparison, nothing.
        r = self.client.get(reverse("analytics:national"), {"round": self.round.pk})
        self.assertNotIn("support_effect", r.context)

    def test_a_regional_lead_chooses_the_round_of_the_ranking(self):
        self.client.force_login(self.dana)
        for params in (
            {"round": self.earlier.pk},
            {"round": self.earlier.pk, "region": self.south_east.pk},
        ):
            r = self.client.get(reverse("support:focus"), params)
            self.assertEqual((r.context["round"], r.context["scope"].region_id),
                             (self.earlier, self.north_west.pk))  # fmt: skip
            # In NPS 2021 the North West had 11 councils submitting (N1-N5, A, M1-M5).
            self.assertEqual(r.context["ranking"][0]["organisations"], 11)

"""The national admin creates, opens, extends and closes rounds; eligibility follows the register."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Response, Round
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.organisations.models import Organisation


class RoundTests(AssessmentTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.erin)

    def create(self, **data):
        payload = {
            "name": "NPS 2027", "framework_version": self.framework.pk, "opens_on": "2027-03-01",
            "closes_on": "2027-05-31", "nations": ["England", "Wales"],
        } | data  # fmt: skip
        return self.client.post(reverse("assessments:round_new"), payload)

    def test_a_round_gets_one_response_per_organisation_existing_on_its_opening_day(self):
        # One abolished before, one created after, one in Wales, one in Northern Ireland.
        Organisation.objects.create(gss_code="E07000999", name="Gone", short_name="Gone", type="non_metropolitan_district",
                                    region=self.south_east, nation="England", end_date=dt.date(2027, 2, 28))  # fmt: skip
        Organisation.objects.create(gss_code="E06000999", name="New", short_name="New", type="unitary",
                                    region=self.south_east, nation="England", start_date=dt.date(2027, 4, 1))  # fmt: skip
        cardiff = Organisation.objects.create(gss_code="W06000015", name="Cardiff", short_name="Cardiff",
                                              type="welsh_principal_area", region=self.wales, nation="Wales")  # fmt: skip
        r = self.create()
        rnd = Round.objects.get(name="NPS 2027")
        self.assertRedirects(r, reverse("assessments:round", args=[rnd.pk]))
        eligible = set(rnd.responses.values_list("organisation__short_name", flat=True))
        self.assertEqual(eligible, {"Council A", "Council B", cardiff.short_name})
        self.assertEqual(rnd.status, "draft")
        self.assertEqual(rnd.eligibility_date, dt.date(2027, 3, 1))

    def test_bad_round_input_is_refused(self):
        for data, message in [
            ({"closes_on": "2027-02-01"}, "The closing date must be on or after the opening date."),
            ({"name": "NPS 2026"}, "There is already a round with this name."),
            ({"nations": ["Atlantis"]}, "Select a valid choice"),
            ({"nations": []}, "This field is required"),
            ({"opens_on": "2027-13-01"}, "Enter a valid date."),
            ({"framework_version": "999"}, "Select a valid choice"),
        ]:
            with self.subTest(data=data):
                self.assertContains(self.create(**data), message, status_code=400)
        self.assertEqual(Round.objects.count(), 1)

    def test_open_close_and_extend(self):
        rnd = Round.objects.get()
        url = reverse("assessments:round_status", args=[rnd.pk])
        self.client.post(url, {"status": "closed"})
        rnd.refresh_from_db()
        self.assertEqual(rnd.status, "closed")
        self.assertFalse(
            self.response_a.round.__class__.objects.get(pk=rnd.pk).is_accepting_answers()
        )
        self.client.post(url, {"status": "open"})
        rnd.refresh_from_db()
        self.assertEqual(rnd.status, "open")
        r = self.client.post(url, {"status": "deleted"}, follow=True)
        self.assertContains(r, "A round can only be opened or closed.")
        new_close = timezone.localdate() + dt.timedelta(days=60)
        self.client.post(
            reverse("assessments:round", args=[rnd.pk]),
            {"opens_on": rnd.opens_on.isoformat(), "closes_on": new_close.isoformat()},
        )
        rnd.refresh_from_db()
        self.assertEqual(rnd.closes_on, new_close)
        r = self.client.post(
            reverse("assessments:round", args=[rnd.pk]),
            {"opens_on": "2026-12-01", "closes_on": "2026-11-01"},
        )
        self.assertContains(
            r, "The closing date must be on or after the opening date.", status_code=400
        )

    def test_the_closing_day_counts_until_midnight_uk_time(self):
        rnd = Round.objects.get()
        rnd.closes_on = dt.date(2026, 6, 30)
        rnd.opens_on = dt.date(2026, 6, 1)
        uk = dt.timezone(dt.timedelta(hours=1))  # British Summer Time
        self.assertTrue(rnd.is_accepting_answers(dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=uk)))
        self.assertFalse(rnd.is_accepting_answers(dt.datetime(2026, 7, 1, 0, 0, 0, tzinfo=uk)))
        self.assertFalse(rnd.is_accepting_answers(dt.datetime(2026, 5, 31, 23, 59, 59, tzinfo=uk)))
        self.assertTrue(rnd.is_accepting_answers(dt.datetime(2026, 6, 1, 0, 0, 0, tzinfo=uk)))

    def test_the_round_page_lists_organisations_by_stage(self):
        Response.objects.filter(pk=self.response_b.pk).update(status="submitted")
        Response.objects.filter(pk=self.response_a.pk).update(started_at=timezone.now())
        rnd = Round.objects.get()
        url = reverse("assessments:round", args=[rnd.pk])
        for stage, names in [
            ("submitted", ["Council B County Council"]),
            ("in_progress", ["Council A Metropolitan Borough Council"]),
            ("not_started", []),
        ]:
            r = self.client.get(url, {"stage": stage})
            self.assertEqual([x.organisation.name for x in r.context["page"]], names, stage)

    def test_only_national_admins_manage_rounds(self):
        rnd = Round.objects.get()
        for user in [
            self.alice,
            self.bob,
            self.victor,
            self.charlie,
            self.dana,
            self.nina,
            self.zoe,
        ]:
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(reverse("assessments:round_new")).status_code, 403)
                self.assertEqual(self.create().status_code, 403)
                self.assertEqual(
                    self.client.post(
                        reverse("assessments:round_status", args=[rnd.pk]), {"status": "closed"}
                    ).status_code,
                    403,
                )
                # National analysts follow a round's progress read-only (test_tracking); a
                # regional lead their region's councils only (test_regional_tracking).
                if user not in (self.nina, self.dana):
                    self.assertEqual(
                        self.client.get(reverse("assessments:round", args=[rnd.pk])).status_code,
                        403,
                    )
                self.assertEqual(
                    self.client.post(
                        reverse("assessments:round", args=[rnd.pk]),
                        {"opens_on": "2026-01-01", "closes_on": "2026-12-31"},
                    ).status_code,
                    403,
                )
        rnd.refresh_from_db()
        self.assertEqual(rnd.status, "open")
        self.assertNotEqual(rnd.opens_on.isoformat(), "2026-01-01")
        self.assertEqual(Round.objects.count(), 1)

    def test_the_national_analyst_sees_the_list_of_rounds(self):
        self.client.force_login(self.nina)
        r = self.client.get(reverse("assessments:rounds"))
        self.assertContains(r, "NPS 2026")
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(reverse("assessments:rounds")).status_code, 403)

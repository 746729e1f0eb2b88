"""A regional lead follows their region's councils by name in a round, and reminds their
leads (issue 15); other regions' councils stay out of sight and out of reach."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from diagnostic.assessments import services
from diagnostic.assessments.models import Reminder
from diagnostic.assessments.testing import AssessmentTestCase


class RegionalTrackingTests(AssessmentTestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("assessments:round", args=[self.round.pk])
        self.new_url = reverse("assessments:reminder_new", args=[self.round.pk])
        self.client.force_login(self.dana)

    def test_the_round_page_lists_only_the_regions_councils_by_name(self):
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Council A Metropolitan Borough Council")
        self.assertContains(r, "bob@example.org")  # its lead, to contact
        self.assertNotContains(r, "Council B")
        self.assertNotContains(r, "charlie@example.org")
        # The name leads to the register entry, not to the council's answers.
        self.assertContains(r, reverse("organisations:detail", args=[self.council_a.pk]))
        self.assertNotContains(r, reverse("assessments:response", args=[self.response_a.pk]))
        # No nation filter, and only their region to choose.
        self.assertNotContains(r, 'name="nation"')
        self.assertNotContains(r, ">South East<")
        # The round's dates stay with national admins.
        self.assertNotContains(r, "Open the round")
        self.assertEqual(self.client.post(self.url, {"opens_on": "2026-01-01"}).status_code, 403)

    def test_another_regions_filter_is_refused(self):
        r = self.client.get(self.url, {"region": self.south_east.pk})
        self.assertEqual(r.status_code, 200)
        self.assertNotContains(r, "Council B")
        r = self.client.get(self.new_url, {"region": self.south_east.pk})
        self.assertEqual(r.status_code, 400)

    def test_they_remind_only_their_regions_leads(self):
        subject, body = services.default_reminder_text(self.round)
        r = self.client.post(self.new_url, {"subject": subject, "body": body, "action": "send"})
        self.assertEqual(r.status_code, 302)
        self.assertEqual([m.to for m in mail.outbox], [["bob@example.org"]])
        reminder = Reminder.objects.get()
        self.assertEqual((reminder.sent_by, reminder.organisation_count), (self.dana, 1))

    def test_the_service_keeps_them_to_their_region_whatever_it_is_given(self):
        subject, body = services.default_reminder_text(self.round)
        services.do_send_reminders(
            by=self.dana, round=self.round, responses=self.round.responses.all(),
            subject=subject, body=body,
        )  # fmt: skip
        self.assertEqual([m.to for m in mail.outbox], [["bob@example.org"]])

    def test_the_reminder_history_stays_national(self):
        self.assertEqual(
            self.client.get(reverse("assessments:reminders", args=[self.round.pk])).status_code,
            403,
        )

    def test_the_regional_dashboard_links_to_it(self):
        r = self.client.get(reverse("analytics:my_region"), follow=True)
        self.assertContains(r, f'href="{self.url}"')

    def test_council_people_are_still_refused(self):
        for user in (self.bob, self.alice, self.victor, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403, user)
            self.assertEqual(self.client.get(self.new_url).status_code, 403, user)

    def test_an_analyst_follows_but_does_not_remind(self):
        self.client.force_login(self.nina)
        r = self.client.get(self.url)
        self.assertContains(r, "Council B County Council")
        self.assertNotContains(r, "Send a reminder")
        self.assertEqual(self.client.get(self.new_url).status_code, 403)


class RegionalHeatMapTests(AssessmentTestCase):
    def test_a_regions_dashboard_shows_its_councils_by_type_not_a_one_row_region_map(self):
        self.client.force_login(self.dana)
        r = self.client.get(reverse("analytics:my_region"), follow=True)
        self.assertNotContains(r, "Median current level by region and key area")
        self.assertContains(r, "Median current level by type of council and key area")
        self.client.force_login(self.nina)
        r = self.client.get(reverse("analytics:national"))
        self.assertContains(r, "Median current level by region and key area")
        self.assertContains(r, "Median current level by type of council and key area")


class RegionalMapTests(AssessmentTestCase):
    def test_a_regions_dashboard_maps_its_councils_not_the_regions(self):
        self.client.force_login(self.dana)
        r = self.client.get(reverse("analytics:my_region"), follow=True)
        self.assertContains(r, "Map of the region&#x27;s councils shaded by stage")
        self.assertNotContains(r, "Map of the regions shaded")
        self.client.force_login(self.nina)
        self.assertContains(self.client.get(reverse("analytics:national")), "Map of the regions")

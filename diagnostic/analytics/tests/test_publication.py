"""Issue 13: only a closed round's national results can be published, after a confirmation
page, through a service; a published round cannot be opened again until withdrawn."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from diagnostic.analytics import services
from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Round
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.audit.models import AuditEvent


class PublicationTests(AssessmentTestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("analytics:publish", args=[self.round.pk])

    def close(self):
        Round.objects.filter(pk=self.round.pk).update(status=Round.Status.CLOSED)

    def test_an_open_round_is_not_offered_and_cannot_be_published(self):
        self.client.force_login(self.erin)
        rounds = self.client.get(reverse("assessments:rounds"))
        self.assertNotContains(rounds, "Publish national results")
        self.assertContains(rounds, "results can be published once the round is closed")
        r = self.client.get(self.url)
        self.assertContains(r, "cannot be published yet")
        self.assertNotContains(r, 'value="publish"')
        r = self.client.post(self.url, {"action": "publish"}, follow=True)
        self.assertContains(r, "only a closed round&#x27;s results can be published")
        self.assertFalse(Publication.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="results.published").exists())
        with self.assertRaises(ValidationError):
            services.do_publish_results(by=self.erin, round=self.round)
        self.assertEqual(
            self.client.get(reverse("analytics:public_results")).context["round"], None
        )

    def test_a_closed_round_is_published_after_the_confirmation_page(self):
        self.close()
        self.client.force_login(self.erin)
        rounds = self.client.get(reverse("assessments:rounds"))
        self.assertContains(rounds, f'href="{self.url}"')
        r = self.client.get(self.url)  # the confirmation page changes nothing
        self.assertContains(r, "Publish the national results of NPS 2026")
        self.assertContains(r, 'value="publish"')
        self.assertFalse(Publication.objects.exists())
        r = self.client.post(self.url, {})  # no action chosen: nothing happens
        self.assertEqual(r.status_code, 400)
        self.assertFalse(Publication.objects.exists())
        r = self.client.post(self.url, {"action": "publish"})
        self.assertRedirects(r, reverse("assessments:rounds"))
        publication = Publication.objects.get(round=self.round)
        self.assertEqual(publication.published_by, self.erin)
        event = AuditEvent.objects.get(action="results.published")
        self.assertEqual(event.actor, self.erin)
        self.client.post(self.url, {"action": "publish"})  # twice: still one, one event
        self.assertEqual(AuditEvent.objects.filter(action="results.published").count(), 1)
        self.client.logout()
        r = self.client.get(reverse("analytics:public_results"))
        self.assertEqual(r.context["round"], self.round)

    def test_a_published_round_cannot_be_opened_until_withdrawn(self):
        self.close()
        services.do_publish_results(by=self.erin, round=self.round)
        self.client.force_login(self.erin)
        status = reverse("assessments:round_status", args=[self.round.pk])
        r = self.client.post(status, {"status": "open"}, follow=True)
        self.assertContains(r, "Withdraw them before opening it again")
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, Round.Status.CLOSED)
        r = self.client.get(self.url)
        self.assertContains(r, "Withdraw the national results")
        self.client.post(self.url, {"action": "withdraw"})
        self.assertFalse(Publication.objects.exists())
        self.assertTrue(AuditEvent.objects.filter(action="results.withdrawn").exists())
        self.client.post(status, {"status": "open"})
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, Round.Status.OPEN)

    def test_only_a_national_admin(self):
        self.close()
        for user in (self.nina, self.bob, self.dana, self.zoe):
            self.client.force_login(user)
            with self.subTest(user.email):
                self.assertEqual(self.client.get(self.url).status_code, 403)
                self.assertEqual(self.client.post(self.url, {"action": "publish"}).status_code, 403)
            with self.assertRaises(PermissionDenied):
                services.do_publish_results(by=user, round=self.round)
        self.assertFalse(Publication.objects.exists())

"""Saving a contributor's own views: autosave and the plain form, versions, conflicts,
replays, locks, bad input, and value codes they were not asked about."""

from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation.models import Assignment, ContributorAnswer
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view

HTMX = {"HX-Request": "true"}


class ViewAutosaveTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.alice)

    def url(self, code="EC1", response=None):
        return reverse("consolidation:save_view", args=[(response or self.response_a).pk, code])

    def payload(self, code="EC1", *, version=0, request_id="", **fields):
        data = {
            "current_level": "3",
            "target_level": "4",
            "priority": "high",
            "comment": "Members are briefed on big contracts.",
            "version": str(version),
            "request_id": request_id,
        }
        data.update({k: ("" if v is None else str(v)) for k, v in fields.items()})
        return {f"{code}-{k}": v for k, v in data.items()}

    def save(self, code="EC1", htmx=True, response=None, extra=None, **kw):
        data = {**self.payload(code, **kw), **(extra or {})}
        return self.client.post(self.url(code, response), data, headers=HTMX if htmx else {})

    def view(self, code="EC1", assignment=None):
        return ContributorAnswer.objects.get(
            assignment=assignment or self.assignment_a, value_code__code=code
        )

    def test_it_saves_her_view_and_reports_the_new_version(self):
        r = self.save()
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'name="EC1-version" value="1" id="version-EC1" hx-swap-oob="true"')
        self.assertContains(r, "Saved ")
        v = self.view()
        self.assertEqual(
            (v.current_level, v.target_level, v.priority, v.comment, v.version),
            (3, 4, "high", "Members are briefed on big contracts.", 1),
        )
        # Her view is hers: the agreed answers are untouched.
        self.assertFalse(Answer.objects.exists())
        event = AuditEvent.objects.get(action="view.saved")
        self.assertEqual((event.actor, event.detail["current_level"]), (self.alice, 3))
        r = self.save(version=1, current_level=0, target_level=None, comment="")
        self.assertEqual(r.status_code, 200)
        v = self.view()
        self.assertEqual((v.current_level, v.target_level, v.comment, v.version), (0, None, "", 2))

    def test_a_stale_save_is_refused_and_shows_both_values(self):
        make_view(self.assignment_a, "EC1", 2, comment="Saved from my laptop")
        r = self.save(version=0, current_level=5, target_level=5, comment="From my phone")
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "changed elsewhere", status_code=409)
        self.assertContains(r, "Saved from my laptop", status_code=409)
        self.assertContains(r, "From my phone", status_code=409)
        self.assertContains(r, 'name="EC1-version" value="1"', status_code=409)
        self.assertEqual(
            (self.view().current_level, self.view().comment), (2, "Saved from my laptop")
        )
        # Saving again from the version handed back is a deliberate overwrite.
        r = self.save(version=1, current_level=5, target_level=5, comment="From my phone")
        self.assertEqual(r.status_code, 200)
        self.assertEqual((self.view().current_level, self.view().version), (5, 2))

    def test_a_save_claiming_a_version_that_does_not_exist_is_refused(self):
        r = self.save(version=7)
        self.assertEqual(r.status_code, 409)
        self.assertFalse(ContributorAnswer.objects.filter(assignment=self.assignment_a).exists())

    def test_a_replayed_request_changes_nothing_twice(self):
        r1 = self.save(request_id="abc123", current_level=2, target_level=3)
        r2 = self.save(request_id="abc123", current_level=2, target_level=3)
        self.assertEqual((r1.status_code, r2.status_code), (200, 200))
        self.assertEqual(self.view().version, 1)
        self.assertEqual(AuditEvent.objects.filter(action="view.saved").count(), 1)
        self.save(version=1, request_id="def456", current_level=3)
        r3 = self.save(version=0, request_id="abc123", current_level=2)
        self.assertEqual(r3.status_code, 409)
        self.assertEqual((self.view().current_level, self.view().version), (3, 2))

    def test_value_codes_she_was_not_asked_about_are_404(self):
        self.client.force_login(self.beth)
        self.assertEqual(self.save("ESM1", response=self.response_b).status_code, 404)
        self.assertEqual(self.save("NOPE1", response=self.response_b).status_code, 404)
        self.assertEqual(self.save("ESM1", response=self.response_b, htmx=False).status_code, 404)
        self.assertFalse(ContributorAnswer.objects.filter(assignment=self.assignment_b).exists())
        r = self.save("EC2", response=self.response_b)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(self.view("EC2", self.assignment_b).current_level, 3)

    def test_nobody_else_can_save_her_views(self):
        for user, response in [
            (self.bob, self.response_a), (self.victor, self.response_a),
            (self.charlie, self.response_a), (self.zoe, self.response_a),
            (self.alice, self.response_b), (self.erin, self.response_a),
        ]:  # fmt: skip
            with self.subTest(user=user.full_name):
                self.client.force_login(user)
                self.assertEqual(self.save(response=response).status_code, 404)
        self.assertFalse(ContributorAnswer.objects.exists())

    def test_a_withdrawn_contributor_can_no_longer_save(self):
        Assignment.objects.filter(pk=self.assignment_a.pk).update(withdrawn_at=timezone.now())
        self.assertEqual(self.save().status_code, 404)
        self.assertFalse(ContributorAnswer.objects.exists())

    def test_a_submitted_response_or_closed_round_is_locked(self):
        Response.objects.filter(pk=self.response_a.pk).update(
            status=Response.Status.SUBMITTED, submitted_at=timezone.now()
        )
        r = self.save()
        self.assertEqual(r.status_code, 423)
        self.assertContains(r, "can no longer be changed", status_code=423)
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.DRAFT)
        Round.objects.filter(pk=self.round.pk).update(status=Round.Status.CLOSED)
        self.assertEqual(self.save().status_code, 423)
        r = self.save(htmx=False)
        self.assertRedirects(r, reverse("consolidation:contribution", args=[self.response_a.pk]))
        self.assertFalse(ContributorAnswer.objects.exists())

    def test_bad_input_is_refused_and_named(self):
        cases = [
            ({"current_level": "9"}, "Select a valid choice"),
            ({"current_level": "4", "target_level": "2"}, "The target cannot be below"),
            ({"target_level": "0"}, "Select a valid choice"),
            ({"priority": "urgent"}, "Select a valid choice"),
            ({"comment": "x" * 5001}, "at most 5000 characters"),
            ({"version": "-1"}, "greater than or equal to 0"),
            ({"version": "one"}, "Enter a whole number"),
        ]
        for fields, message in cases:
            with self.subTest(fields=fields):
                r = self.save(**fields)
                self.assertEqual(r.status_code, 422)
                self.assertContains(r, "Not saved:", status_code=422)
                self.assertContains(r, message, status_code=422)
        self.assertFalse(ContributorAnswer.objects.exists())

    def test_extra_fields_have_no_effect(self):
        r = self.save(
            extra={"EC1-assignment": str(self.assignment_b.pk), "EC1-could_share": "on",
                   "assignment": str(self.assignment_b.pk), "EC1-target_date": "2030-01-01"},
        )  # fmt: skip
        self.assertEqual(r.status_code, 200)
        self.assertEqual(self.view().assignment, self.assignment_a)
        self.assertFalse(ContributorAnswer.objects.filter(assignment=self.assignment_b).exists())

    def test_a_change_after_finishing_keeps_her_finished(self):
        # Correcting a comment after saying "I have finished" is not starting again: the lead
        # is not told she is unfinished, and reminders do not go to her.
        finished = timezone.now()
        Assignment.objects.filter(pk=self.assignment_a.pk).update(finished_at=finished)
        self.save()
        self.assignment_a.refresh_from_db()
        self.assertEqual(self.assignment_a.finished_at, finished)
        self.assertEqual(self.view().current_level, 3)

    def test_without_javascript_a_save_redirects_back_with_a_message(self):
        r = self.save(htmx=False)
        url = reverse("consolidation:contribution", args=[self.response_a.pk])
        self.assertRedirects(r, f"{url}?code=EC1#vc-EC1", fetch_redirect_response=False)
        self.assertEqual(
            [str(m) for m in get_messages(r.wsgi_request)],
            ["Saved your view on EC1 Ward councillors' input to local procurements."],
        )
        self.assertEqual(self.view().version, 1)

    def test_without_javascript_a_conflict_shows_the_page_with_both_values(self):
        make_view(self.assignment_a, "EC1", 2, comment="Saved from my laptop")
        r = self.save(htmx=False, version=0, comment="From my phone", extra={"area": "EC"})
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "Saved from my laptop", status_code=409)
        self.assertContains(r, "From my phone", status_code=409)
        # The form keeps her change, based on the saved version.
        self.assertContains(r, 'name="EC1-version" value="1"', status_code=409)
        self.assertEqual(r.context["area"].code, "EC")

    def test_without_javascript_an_error_shows_the_page_with_an_error_summary(self):
        r = self.save(htmx=False, current_level=4, target_level=2)
        self.assertEqual(r.status_code, 422)
        self.assertContains(r, "There is a problem with EC1", status_code=422)
        self.assertContains(r, 'href="#id_EC1-target_level"', status_code=422)
        self.assertContains(r, "<title>Error: Your views", status_code=422)
        self.assertFalse(ContributorAnswer.objects.exists())

    def test_a_save_costs_the_same_whatever_is_already_saved(self):
        self.save()  # warm caches
        with CaptureQueriesContext(connection) as created:
            r1 = self.save("EC2")
        for code in ("EC3", "EC4", "EC5", "ESM1"):
            self.save(code)
        with CaptureQueriesContext(connection) as updated:
            r2 = self.save("EC2", version=1)
        self.assertEqual((r1.status_code, r2.status_code), (200, 200))
        self.assertEqual(len(updated), len(created))
        # Savepoints count here: in production they are one BEGIN and COMMIT.
        self.assertLessEqual(len(created), 19)

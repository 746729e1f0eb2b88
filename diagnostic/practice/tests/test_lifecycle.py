"""Writing, autosaving and moderating a case study, through HTTP with the personas.

ASVS 8.2.1 (function-level access), 8.2.3 (data-level), 7.x audit: every step recorded.
"""

import re

from django.test import TransactionTestCase
from django.urls import reverse

from diagnostic.audit.models import AuditEvent
from diagnostic.practice.models import CaseStudy, CaseStudyEvent, State, Visibility
from diagnostic.practice.testing import PracticeTestCase, make_case_study


class EditorTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)
        r = self.client.post(reverse("practice:new"), {"organisation": self.council_a.pk})
        self.cs = CaseStudy.objects.get(organisation=self.council_a)
        self.assertRedirects(r, reverse("practice:edit", args=[self.cs.pk]))

    def payload(self, version, request_id="", **fields):
        vc = self.framework.valuecodes.get(code="EC1")
        top = self.framework.levels.order_by("-number").first()
        data = {
            "title": "One contract register",
            "summary": "We put every contract in one register.",
            "value_codes": [vc.pk],
            "level": top.pk,
            "key_area": vc.key_area.pk,
            "what_was_done": "Brought **every** department's contracts together.",
            "results": "Spend under contract rose from 61% to 88%.",
            "differently": "Start sooner.",
            "contact_role": "Head of procurement",
            "visibility": Visibility.PUBLIC,
            "named": "on",
            "version": version,
            "request_id": request_id,
        }
        data.update(fields)
        return {f"cs-{k}": v for k, v in data.items()}

    def save(self, data, htmx=True):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(reverse("practice:save", args=[self.cs.pk]), data, headers=headers)

    def test_the_empty_editor_shows_the_draft_at_version_1(self):
        r = self.client.get(reverse("practice:edit", args=[self.cs.pk]))
        # Every box has its own id, and its label names it.
        ids = re.findall(r'id="(id_cs-value_codes_\d+)"', r.content.decode())
        self.assertEqual(len(ids), self.framework.valuecodes.count())
        self.assertEqual(len(set(ids)), len(ids))
        self.assertContains(r, '<label for="id_cs-value_codes_1">EC2 ', html=False)
        self.assertContains(r, 'name="cs-version" value="1" id="version-cs"', html=False)
        self.assertEqual(self.cs.state, State.DRAFT)
        self.assertEqual(self.cs.created_by, self.bob)

    def test_an_autosave_moves_the_version_on_and_is_audited(self):
        r = self.save(self.payload(1, "req-1"))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'value="2" id="version-cs"')
        self.cs.refresh_from_db()
        self.assertEqual((self.cs.version, self.cs.title), (2, "One contract register"))
        self.assertEqual(list(self.cs.value_codes.values_list("code", flat=True)), ["EC1"])
        self.assertTrue(AuditEvent.objects.filter(action="case_study.saved", actor=self.bob))

    def test_a_stale_save_is_refused_with_both_values_and_nothing_overwritten(self):
        self.save(self.payload(1, "a", title="Saved by someone else"))
        r = self.save(self.payload(1, "b", title="My unsaved title"))
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "Saved by someone else", status_code=409)
        self.assertContains(r, "My unsaved title", status_code=409)
        self.assertContains(r, 'value="2" id="version-cs"', status_code=409)
        self.cs.refresh_from_db()
        self.assertEqual((self.cs.version, self.cs.title), (2, "Saved by someone else"))

    def test_a_stale_save_without_javascript_shows_the_conflict_on_the_page(self):
        self.save(self.payload(1, "a", title="Theirs"))
        r = self.save(self.payload(1, "b", title="Mine"), htmx=False)
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "Someone else changed this case study", status_code=409)
        # The form now carries the saved version: Save again replaces theirs deliberately.
        self.assertContains(r, 'name="cs-version" value="2"', status_code=409)

    def test_without_javascript_save_redirects_back_to_the_editor(self):
        r = self.client.post(reverse("practice:save", args=[self.cs.pk]),
                             self.payload(1, title="Plain post"), follow=True)  # fmt: skip
        self.assertRedirects(r, reverse("practice:edit", args=[self.cs.pk]))
        self.assertContains(r, "Saved.")
        self.assertContains(r, 'value="Plain post"')

    def test_the_case_study_page_renders_markdown_and_nothing_runs(self):
        self.save(self.payload(1, what_was_done="**Bold** <script>alert(1)</script> "
                               "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"))  # fmt: skip
        r = self.client.get(reverse("practice:case_study", args=[self.cs.pk]))
        body = r.content.decode()
        self.assertIn("<strong>Bold</strong>", body)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", body)
        self.assertNotIn("<script>alert", body)
        self.assertNotIn('href="javascript:', body)
        self.assertNotIn("<img src=x", body)

    def test_a_replayed_save_changes_nothing(self):
        self.save(self.payload(1, "same"))
        r = self.save(self.payload(1, "same"))
        self.assertEqual(r.status_code, 200)
        self.cs.refresh_from_db()
        self.assertEqual(self.cs.version, 2)

    def test_bad_input_is_refused_with_the_field_named(self):
        for fields, words in [
            ({"title": "x" * 201}, "Title"),
            ({"visibility": "everyone-and-their-dog"}, "Who can read it"),
            ({"level": 987654}, "The level it shows"),
            ({"value_codes": [987654]}, "Value codes"),
            ({"version": "-1"}, "Not saved"),
            ({"version": "abc"}, "Not saved"),
        ]:
            with self.subTest(fields=fields):
                data = self.payload(1)
                data.update({f"cs-{k}": v for k, v in fields.items()})
                r = self.save(data)
                self.assertEqual(r.status_code, 422)
                self.assertContains(r, words, status_code=422)
        self.cs.refresh_from_db()
        self.assertEqual(self.cs.version, 1)

    def test_mass_assignment_of_state_organisation_or_version_has_no_effect(self):
        data = self.payload(1)
        data.update({"cs-state": "published", "cs-organisation": self.council_b.pk,
                     "state": "published", "organisation": self.council_b.pk})  # fmt: skip
        self.save(data)
        self.cs.refresh_from_db()
        self.assertEqual((self.cs.state, self.cs.organisation), (State.DRAFT, self.council_a))

    def test_submitting_an_incomplete_case_study_lists_what_is_missing(self):
        r = self.client.post(reverse("practice:submit", args=[self.cs.pk]))
        self.assertEqual(r.status_code, 422)
        for words in ["Enter a title.", "Choose at least one value code.", "Give the results"]:
            self.assertContains(r, words, status_code=422)
        self.cs.refresh_from_db()
        self.assertEqual(self.cs.state, State.DRAFT)

    def test_the_whole_journey_is_recorded_with_who_and_when(self):
        self.save(self.payload(1))
        self.client.post(reverse("practice:submit", args=[self.cs.pk]))
        self.client.force_login(self.dana)  # regional lead for Council A's region
        r = self.client.post(reverse("practice:moderate", args=[self.cs.pk]), {"action": "return"})
        self.assertContains(r, "Say what the council should change.", status_code=422)
        self.client.post(
            reverse("practice:moderate", args=[self.cs.pk]),
            {"action": "return", "comment": "Add the figures for the second year."},
        )
        self.client.force_login(self.bob)
        r = self.client.get(reverse("practice:edit", args=[self.cs.pk]))
        self.assertContains(r, "Add the figures for the second year.")
        self.cs.refresh_from_db()
        self.save(self.payload(self.cs.version, results="61% to 88%, then 93% in year two."))
        self.client.post(reverse("practice:submit", args=[self.cs.pk]))
        self.client.force_login(self.nina)
        self.client.post(reverse("practice:moderate", args=[self.cs.pk]), {"action": "review"})
        self.client.post(reverse("practice:moderate", args=[self.cs.pk]), {"action": "publish"})
        self.cs.refresh_from_db()
        self.assertEqual(self.cs.state, State.PUBLISHED)
        steps = list(
            CaseStudyEvent.objects.filter(case_study=self.cs).values_list(
                "action", "by__email", "to_state"
            )
        )
        self.assertEqual(
            steps,
            [
                ("created", "bob@example.org", "draft"),
                ("submitted", "bob@example.org", "submitted"),
                ("returned", "dana@example.org", "returned"),
                ("submitted", "bob@example.org", "submitted"),
                ("in_review", "nina@example.org", "in_review"),
                ("published", "nina@example.org", "published"),
            ],
        )
        self.assertEqual(
            AuditEvent.objects.filter(action__startswith="case_study.", object_id=str(self.cs.pk))
            .exclude(action="case_study.saved")
            .count(),
            6,
        )
        # Published: it can no longer be edited, only withdrawn.
        self.client.force_login(self.bob)
        r = self.save(self.payload(self.cs.version))
        self.assertEqual(r.status_code, 423)
        self.client.post(reverse("practice:withdraw", args=[self.cs.pk]), {"reason": "Restructure"})
        self.cs.refresh_from_db()
        self.assertEqual(self.cs.state, State.WITHDRAWN)
        self.assertEqual(self.cs.events.last().by, self.bob)


class ModerationAccessTests(PracticeTestCase):
    def test_a_regional_lead_moderates_only_their_region(self):
        b = make_case_study(self.council_b, self.framework, state=State.SUBMITTED)
        a = make_case_study(self.council_a, self.framework, state=State.SUBMITTED)
        self.client.force_login(self.dana)
        r = self.client.post(reverse("practice:moderate", args=[b.pk]), {"action": "publish"})
        self.assertEqual(r.status_code, 404)
        r = self.client.get(reverse("practice:moderation"))
        self.assertContains(r, a.title)
        self.assertEqual(list(r.context["queue"]), [a])
        b.refresh_from_db()
        self.assertEqual(b.state, State.SUBMITTED)

    def test_councils_cannot_moderate_their_own(self):
        a = make_case_study(self.council_a, self.framework, state=State.SUBMITTED)
        self.client.force_login(self.bob)
        r = self.client.post(reverse("practice:moderate", args=[a.pk]), {"action": "publish"})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(self.client.get(reverse("practice:moderation")).status_code, 403)
        a.refresh_from_db()
        self.assertEqual(a.state, State.SUBMITTED)

    def test_a_contributor_reads_but_cannot_edit_or_withdraw(self):
        a = make_case_study(self.council_a, self.framework, state=State.DRAFT)
        self.client.force_login(self.alice)
        self.assertEqual(
            self.client.get(reverse("practice:case_study", args=[a.pk])).status_code, 200
        )
        self.assertEqual(self.client.get(reverse("practice:edit", args=[a.pk])).status_code, 403)
        self.assertEqual(
            self.client.post(reverse("practice:withdraw", args=[a.pk])).status_code, 403
        )
        a.refresh_from_db()
        self.assertEqual(a.state, State.DRAFT)

    def test_publishing_twice_is_harmless(self):
        a = make_case_study(self.council_a, self.framework, state=State.IN_REVIEW)
        self.client.force_login(self.erin)
        self.client.post(reverse("practice:moderate", args=[a.pk]), {"action": "publish"})
        r = self.client.post(
            reverse("practice:moderate", args=[a.pk]), {"action": "publish"}, follow=True
        )
        self.assertContains(r, "Someone has moved it on already")
        self.assertEqual(a.events.filter(action="published").count(), 1)


class RaceTests(TransactionTestCase):
    """Many saves of the same draft at once: exactly one applies, the rest are told (409)."""

    def test_concurrent_saves_of_one_version_apply_once(self):
        from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
        from diagnostic.testing import create_personas, run_concurrently

        p = create_personas()
        framework = load_framework_file(NPS_2018).version
        cs = make_case_study(p["council_a"], framework, state=State.DRAFT)

        def work(i, client):
            data = {"cs-version": "1", "cs-title": f"Title {i}", "cs-visibility": "public",
                    "cs-request_id": f"r{i}"}  # fmt: skip
            return client.post(reverse("practice:save", args=[cs.pk]), data,
                               headers={"HX-Request": "true"}).status_code  # fmt: skip

        results, errors = run_concurrently([p["bob"]] * 6, work)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(s for _, s in results), [200] + [409] * 5)
        cs.refresh_from_db()
        self.assertEqual(cs.version, 2)
        winner = next(i for i, s in results if s == 200)
        self.assertEqual(cs.title, f"Title {winner}")

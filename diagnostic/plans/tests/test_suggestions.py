"""Suggestions from a council's answers: their order, accepting and dismissing them."""

import datetime as dt

from diagnostic.assessments.models import Answer
from diagnostic.audit.models import AuditEvent
from diagnostic.plans import queries, services
from diagnostic.plans.models import Action, DismissedSuggestion, Origin, Status
from diagnostic.plans.rules import add_months
from diagnostic.plans.testing import EXPECTED_ORDER, PlanTestCase, make_action


class SuggestionTests(PlanTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    def suggested_keys(self) -> list[str]:
        return [s.key for s in self.client.get(self.plan_url()).context["suggestions"]]

    def accept(self, key):
        return self.client.post(self.plan_url("plans:accept"), {"key": key})

    def dismiss(self, key):
        return self.client.post(self.plan_url("plans:dismiss"), {"key": key})

    def test_it_suggests_from_gaps_in_this_exact_order(self):
        r = self.client.get(self.plan_url())
        self.assertEqual([s.key for s in r.context["suggestions"]], EXPECTED_ORDER)
        self.assertContains(r, "Ward members are not asked before local tenders.")
        self.assertContains(
            r, "Move &#x27;Choosing and using collaborative frameworks&#x27; from Minimum to Leader"
        )

    def test_each_suggestion_has_its_wording_and_due_date(self):
        s = {s.key: s for s in queries.suggestions_for(self.response_a)}
        self.assertEqual(
            s["EC1+EC3"].title, "Move 2 value codes in 'Engaging councillors' up to their targets"
        )
        self.assertEqual(s["EC1+EC3"].due_date, dt.date(2030, 3, 31))  # EC1's target date
        self.assertTrue(s["EC1+EC3"].want_support)
        self.assertIn("Your notes: “Ward members are not asked", s["EC1+EC3"].description)
        # No target date: 12 months after the round closes.
        self.assertEqual(s["WP2"].due_date, add_months(self.round.closes_on, 12))
        self.assertEqual(s["EC2"].priority, "medium")

    def test_accepting_adds_the_action_once_and_stops_suggesting_it(self):
        r = self.accept("EC1+EC3")
        action = Action.objects.get(response=self.response_a)
        self.assertRedirects(r, self.plan_url() + f"#action-{action.pk}")
        self.assertEqual(action.origin, Origin.SUGGESTED)
        self.assertEqual(action.status, Status.NOT_STARTED)
        self.assertEqual(action.suggestion_key, "EC1+EC3")
        self.assertEqual(action.due_date, dt.date(2030, 3, 31))
        self.assertEqual(action.owner, "")
        self.assertEqual(
            [vc.code for vc in action.value_codes.order_by("position")], ["EC1", "EC3"]
        )
        self.assertEqual((action.created_by, action.version), (self.bob, 1))
        self.assertEqual(self.suggested_keys(), EXPECTED_ORDER[1:])
        # A double click adds nothing.
        self.accept("EC1+EC3")
        self.assertEqual(Action.objects.filter(response=self.response_a).count(), 1)
        event = AuditEvent.objects.get(action="action.created")
        self.assertEqual(
            (event.actor, event.organisation, event.detail["origin"]),
            (self.bob, self.council_a, "suggested"),
        )

    def test_dismissing_is_remembered_and_can_be_undone(self):
        r = self.dismiss("WP2")
        self.assertRedirects(r, self.plan_url() + "#suggestions")
        d = DismissedSuggestion.objects.get(response=self.response_a)
        self.assertEqual((d.key, d.dismissed_by), ("WP2", self.bob))
        self.assertNotIn("WP2", self.suggested_keys())
        self.dismiss("WP2")  # again: harmless
        self.assertEqual(DismissedSuggestion.objects.count(), 1)
        self.assertContains(self.client.get(self.plan_url()), "Dismissed suggestions (1)")
        # Accepting a dismissed suggestion is refused: it is no longer offered.
        self.accept("WP2")
        self.assertFalse(Action.objects.filter(response=self.response_a).exists())
        self.client.post(self.plan_url("plans:restore"), {"key": "WP2"})
        self.assertEqual(self.suggested_keys(), EXPECTED_ORDER)
        self.assertTrue(AuditEvent.objects.filter(action="suggestion.dismissed").exists())
        self.assertTrue(AuditEvent.objects.filter(action="suggestion.restored").exists())

    def test_a_key_that_is_not_offered_changes_nothing(self):
        for key in ["EC9", "", "WP1", "ESM2", "EC1"]:  # EC1 alone is not offered: it is grouped
            with self.subTest(key=key):
                r = self.accept(key)
                self.assertRedirects(r, self.plan_url())
                self.dismiss(key)
        self.assertFalse(Action.objects.filter(response=self.response_a).exists())
        self.assertFalse(DismissedSuggestion.objects.exists())
        r = self.client.get(self.plan_url())
        self.assertEqual([s.key for s in r.context["suggestions"]], EXPECTED_ORDER)

    def test_a_dropped_or_deleted_suggestion_is_not_offered_again(self):
        dropped = services.do_accept_suggestion(response=self.response_a, key="WP2", by=self.bob)
        services.do_set_action_status(action=dropped, by=self.bob, status=Status.DROPPED,
                                      expected_version=1)  # fmt: skip
        deleted = services.do_accept_suggestion(response=self.response_a, key="EC2", by=self.bob)
        services.do_delete_action(action=deleted, by=self.bob, expected_version=1)
        self.assertEqual(self.suggested_keys(), ["EC1+EC3", "ESM1", "ESS2"])
        self.assertTrue(DismissedSuggestion.objects.filter(key="EC2").exists())

    def test_value_codes_an_open_action_serves_are_not_suggested(self):
        make_action(self.response_a, "Brief every ward member", codes=["EC1"])
        make_action(self.response_a, "Done already", codes=["EC2"], status=Status.DONE)
        # EC1 is covered, so EC3 stands alone; EC2's action is done, so it is suggested again.
        self.assertEqual(self.suggested_keys(), ["WP2", "EC2", "EC3", "ESM1", "ESS2"])

    def test_a_new_gap_after_accepting_is_a_new_suggestion(self):
        services.do_accept_suggestion(response=self.response_a, key="EC1+EC3", by=self.bob)
        ec5 = next(vc for vc in self.codes if vc.code == "EC5")
        Answer.objects.create(response=self.response_a, value_code=ec5, current_level=1,
                              target_level=2, priority="high", version=1)  # fmt: skip
        self.assertEqual(self.suggested_keys(), ["WP2", "EC2", "EC5", "ESM1", "ESS2"])

    def test_members_see_suggestions_but_cannot_act_on_them(self):
        for user in [self.victor, self.nina]:
            self.client.force_login(user)
            r = self.client.get(self.plan_url())
            self.assertEqual([s.key for s in r.context["suggestions"]], EXPECTED_ORDER)
            self.assertNotContains(r, self.plan_url("plans:accept"))
            self.assertEqual(self.accept("WP2").status_code, 403)
            self.assertEqual(self.dismiss("WP2").status_code, 403)
        self.assertFalse(Action.objects.filter(response=self.response_a).exists())
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_without_answers_there_is_nothing_to_suggest(self):
        self.client.force_login(self.charlie)
        r = self.client.get(self.plan_url(response=self.response_b))
        self.assertEqual(r.context["suggestions"], [])
        self.assertContains(r, "No suggestions")

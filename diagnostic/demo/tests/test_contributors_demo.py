"""The demo's colleagues: several councils with 3–8 contributors whose views really differ,
and Wigan part-way through consolidating them, with a sign-off waiting."""

from __future__ import annotations

import html
from collections import Counter

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Invitation, Membership, Role, User
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.consolidation.models import (
    Assignment,
    ContributorAnswer,
    Decision,
    SignOffRequest,
)
from diagnostic.consolidation.queries import consolidation_rows
from diagnostic.consolidation.spread import spread
from diagnostic.demo.seed import (
    COUNCIL_A,
    COUNCIL_B,
    DEMO_DOMAIN,
    PEOPLE,
    STEPS,
    DemoContext,
    step_contributors,
)
from diagnostic.organisations.models import Organisation

DEPARTMENTS = {
    "Adult Social Care", "Children's Services", "Highways", "Finance", "Legal", "Housing",
    "Corporate Procurement",
}  # fmt: skip
ROLES = {
    "Category manager", "Contract manager", "Commissioning lead", "Head of service",
    "Procurement officer", "Commissioning manager",
}  # fmt: skip
CONTESTED_AT_LEAST = 4  # value codes per council where views differ by two levels or more


def persona(key: str) -> User:
    return User.objects.get(email=next(p.email for p in PEOPLE if p.key == key))


def counts() -> dict:
    """Everything the contributors step writes, to compare before and after a second run."""
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "invitations": Invitation.objects.count(),
        "assignments": Assignment.objects.count(),
        "areas": Assignment.key_areas.through.objects.count(),
        "views": ContributorAnswer.objects.count(),
        "view versions": sum(ContributorAnswer.objects.values_list("version", flat=True)),
        "decisions": Decision.objects.count(),
        "sign-offs": SignOffRequest.objects.count(),
        "answer versions": sum(Answer.objects.values_list("version", flat=True)),
    }


class ContributorsDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        # The steps seed_demo runs, without its migrate and flush (the test database is empty).
        cls.lines: list[str] = []
        cls.ctx = DemoContext(log=cls.lines.append)
        for step in STEPS:
            step(cls.ctx)
        cls.current = Round.objects.get(status=Round.Status.OPEN)
        cls.responses = list(
            Response.objects.filter(round=cls.current, assignments__isnull=False)
            .distinct()
            .select_related("organisation__region", "round")
        )
        cls.wigan = Response.objects.get(round=cls.current, organisation__gss_code=COUNCIL_A)

    def active_views(self, response) -> dict[str, list[int | None]]:
        """Each value code's levels from active contributors asked about it (None: no view)."""
        return {
            row.value_code.code: [v.level for v in row.views]
            for row in consolidation_rows(response)
        }

    def test_five_councils_of_different_types_and_regions_have_3_to_8_colleagues(self):
        codes = {r.organisation.gss_code for r in self.responses}
        self.assertIn(COUNCIL_A, codes)  # Bob's
        self.assertIn(COUNCIL_B, codes)  # Charlie's
        self.assertTrue(5 <= len(self.responses) <= 7, codes)
        orgs = [r.organisation for r in self.responses]
        self.assertEqual(len({o.region_id for o in orgs}), len(orgs))
        self.assertGreaterEqual(len({o.type for o in orgs}), 4)
        for response in self.responses:
            self.assertTrue(response.is_editable, response)
            active = Assignment.objects.filter(response=response, withdrawn_at__isnull=True)
            self.assertTrue(3 <= active.count() <= 8, (response, active.count()))
            departments = set(active.values_list("department", flat=True))
            self.assertGreaterEqual(len(departments), 3, response)
            self.assertLessEqual(departments, DEPARTMENTS)
            self.assertLessEqual(set(active.values_list("job_role", flat=True)), ROLES)
            self.assertTrue(active.filter(all_value_codes=True).exists(), response)
            self.assertTrue(active.filter(all_value_codes=False).exists(), response)
            self.assertTrue(active.filter(finished_at__isnull=False).exists(), response)
            self.assertTrue(active.filter(finished_at__isnull=True).exists(), response)

    def test_colleagues_are_demo_contributors_of_their_own_council(self):
        alice = persona("alice")
        for a in Assignment.objects.filter(user__isnull=False).exclude(user=alice):
            self.assertTrue(a.user.is_demo)
            self.assertFalse(a.user.has_usable_password())  # only the personas sign in
            self.assertTrue(a.email.endswith(f".{DEMO_DOMAIN}"), a.email)
            membership = a.user.memberships.get()
            self.assertEqual(membership.role, Role.CONTRIBUTOR)
            self.assertEqual(membership.organisation_id, a.response.organisation_id)
            self.assertEqual(membership.department, a.department)
        emails = Assignment.objects.values_list("email", flat=True)
        self.assertEqual(len(emails), len(set(emails)))

    def test_views_differ_by_two_levels_or_more_on_several_value_codes_in_every_council(self):
        for response in self.responses:
            views = self.active_views(response)
            contested = [code for code, levels in views.items() if spread(levels).gap >= 2]
            self.assertGreaterEqual(len(contested), CONTESTED_AT_LEAST, response)
            self.assertTrue(all(spread(views[c]).disagreement for c in contested))
            not_assessed = sum(spread(levels).not_assessed for levels in views.values())
            self.assertGreater(not_assessed, 0, response)

    def test_views_cluster_around_the_councils_own_level(self):
        """Where a council has answered, the median of its colleagues' views is near it."""
        for response in self.responses:
            agreed = dict(
                Answer.objects.filter(response=response, current_level__gte=1).values_list(
                    "value_code__code", "current_level"
                )
            )
            gaps = [
                abs(spread(levels).median - agreed[code])
                for code, levels in self.active_views(response).items()
                if code in agreed and spread(levels).median is not None
            ]
            if len(gaps) >= 10:
                self.assertLess(sum(gaps) / len(gaps), 1.0, response)

    def test_views_are_valid_and_comments_plain_english(self):
        views = ContributorAnswer.objects.select_related("assignment")
        self.assertGreater(views.count(), 300)
        for v in views:
            self.assertIn(v.current_level, range(6))
            if v.current_level:
                self.assertGreaterEqual(v.target_level, v.current_level)
            else:
                self.assertIsNone(v.target_level)
        comments = list(views.exclude(comment="").values_list("comment", flat=True))
        self.assertGreater(len(comments), 50)
        self.assertFalse([c for c in comments if "lorem" in c.lower() or " | " in c])

    def test_wigan_has_a_withdrawn_colleague_one_invited_and_one_overdue(self):
        people = {a.full_name: a for a in Assignment.objects.filter(response=self.wigan)}
        self.assertEqual(len(people), 8)
        withdrawn = [a for a in people.values() if a.withdrawn_at]
        self.assertEqual(len(withdrawn), 1)
        self.assertTrue(withdrawn[0].answers.exists())  # their views so far are kept
        invited = [a for a in people.values() if a.user_id is None]
        self.assertEqual(len(invited), 1)
        self.assertIsNotNone(invited[0].invitation)
        self.assertEqual(invited[0].invitation.status, "pending")
        self.assertEqual(invited[0].invitation.email, invited[0].email)
        self.assertFalse(User.objects.filter(email=invited[0].email).exists())
        today = timezone.localdate()
        overdue = [a for a in people.values() if a.due_on and a.due_on < today]
        self.assertEqual([a.full_name for a in overdue], ["Helen Roberts"])
        self.assertEqual(overdue[0].reminder_count, 1)
        self.assertIsNone(overdue[0].finished_at)
        self.assertEqual([a for a in people.values() if a.reminder_count], overdue)
        due = [a for a in people.values() if a.due_on and a.due_on >= today]
        self.assertGreaterEqual(len(due), 3)
        self.assertTrue(all(a.due_on <= self.current.closes_on for a in due))

    def test_alice_is_asked_about_everything_in_wigan_and_is_half_way(self):
        alice = persona("alice")
        assignment = Assignment.objects.get(response=self.wigan, user=alice)
        self.assertTrue(assignment.all_value_codes)
        self.assertIsNone(assignment.finished_at)
        answered = assignment.answers.exclude(current_level=None).count()
        self.assertTrue(15 <= answered <= 45, answered)
        self.assertEqual(Assignment.objects.filter(user=alice).count(), 1)
        self.client.force_login(alice)
        r = self.client.get(reverse("consolidation:contribution", args=[self.wigan.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Alice Marsh")
        self.assertContains(r, f"{answered} of 59 value codes have your level")
        commented = assignment.answers.exclude(comment="").select_related("value_code").first()
        self.assertIsNotNone(commented)
        # One value code at a time: each of her comments is on its value code's page.
        r = self.client.get(
            reverse("consolidation:contribution", args=[self.wigan.pk]),
            {"code": commented.value_code.code},
        )
        self.assertContains(r, html.escape(commented.comment))

    def test_wigan_has_consolidated_some_value_codes_with_reasons(self):
        bob = persona("bob")
        decisions = list(Decision.objects.filter(response=self.wigan))
        self.assertTrue(8 <= len(decisions) <= 12, len(decisions))
        self.assertEqual({d.decided_by for d in decisions}, {bob})
        self.assertEqual(len({d.value_code_id for d in decisions}), len(decisions))
        overridden = [d for d in decisions if not d.adopted_suggestion]
        self.assertGreaterEqual(len(overridden), 2)
        for d in overridden:
            self.assertNotEqual(d.adopted_level, d.suggested_level)
            self.assertTrue(d.reason)
            self.assertNotIn("{", d.reason)
        adopted = [d for d in decisions if d.adopted_suggestion]
        self.assertGreaterEqual(len(adopted), 5)
        self.assertTrue(any(d.reason for d in adopted))
        for d in decisions:
            # The suggestion kept is the median of the views kept with it.
            self.assertEqual(d.suggested_level, spread(v["level"] for v in d.views).suggested)
            self.assertEqual(set(d.views[0]), {"assignment", "name", "department", "role", "level"})
            answer = Answer.objects.get(response=self.wigan, value_code=d.value_code)
            self.assertEqual(answer.current_level, d.adopted_level)
            self.assertFalse(answer.carried_forward)
            self.assertEqual(answer.updated_by, bob)
            self.assertEqual(answer.updated_at, d.decided_at)
        # Only answers Bob had already been through were consolidated.
        carried = Answer.objects.filter(response=self.wigan, carried_forward=True).count()
        self.assertEqual(carried, 59 - 31)

    def test_wigan_leaves_plenty_to_consolidate_and_some_views_changed_since(self):
        rows = consolidation_rows(self.wigan)
        consolidated = [r for r in rows if r.is_consolidated]
        changed = [r for r in rows if r.views_changed_since_decision]
        self.assertGreaterEqual(len(consolidated), 5)
        self.assertGreaterEqual(len(changed), 2)
        for row in changed:
            newer = [v.answer for v in row.views if v.answer and v.answer.version > 1]
            self.assertTrue(newer)
            self.assertTrue(all(v.updated_at > row.decision.decided_at for v in newer))
        undecided = [r for r in rows if r.decision is None]
        self.assertGreaterEqual(len(undecided), 40)
        self.assertGreaterEqual(sum(r.spread.disagreement for r in undecided), 4)
        # A contributor who changed a view after finishing said they had finished again.
        for a in Assignment.objects.filter(response=self.wigan, finished_at__isnull=False):
            last = max(v.updated_at for v in a.answers.all())
            self.assertGreater(a.finished_at, last)

    def test_bob_sees_his_colleagues_on_the_consolidation_pages(self):
        self.client.force_login(persona("bob"))
        for name in ("consolidate", "contributors", "analysis"):
            # The consolidation page as a list (by default it shows one value code at a time).
            r = self.client.get(
                reverse(f"consolidation:{name}", args=[self.wigan.pk]), {"show": "page"}
            )
            self.assertContains(r, "Priya Shah", msg_prefix=name)
        r = self.client.get(reverse("consolidation:contributors", args=[self.wigan.pk]))
        self.assertContains(r, "Neil Price")  # invited, not joined yet
        self.assertContains(r, "Helen Roberts")  # overdue

    def test_charlie_sees_kents_colleagues(self):
        kent = Response.objects.get(round=self.current, organisation__gss_code=COUNCIL_B)
        someone = Assignment.objects.filter(response=kent).first()
        self.client.force_login(persona("charlie"))
        r = self.client.get(reverse("consolidation:contributors", args=[kent.pk]))
        self.assertContains(r, html.escape(someone.full_name))

    def test_a_sign_off_waits_for_a_named_senior_officer(self):
        request = SignOffRequest.objects.get(response=self.wigan)
        self.assertEqual(request.status, "pending")
        self.assertEqual(request.officer_name, "Sandra Kelsall")
        self.assertEqual(request.officer_role, "Director of Resources")
        self.assertEqual(request.requested_by, persona("bob"))
        self.assertRegex(request.token_hash, r"^[0-9a-f]{64}$")
        self.assertEqual(SignOffRequest.objects.count(), 1)

    def test_wigans_draft_is_not_also_signed_off_by_someone_else(self):
        self.wigan.refresh_from_db()
        self.assertEqual(
            (self.wigan.signed_off_name, self.wigan.signed_off_role, self.wigan.signed_off_on),
            ("", "", None),
        )
        self.client.force_login(persona("bob"))
        page = self.client.get(reverse("assessments:response", args=[self.wigan.pk]))
        self.assertNotContains(page, "Signed off by")
        self.assertContains(page, "Sandra Kelsall")

    def test_the_step_prints_one_summary_line(self):
        lines = [line for line in self.lines if line.startswith("Contributors:")]
        self.assertEqual(len(lines), 1)
        self.assertIn("Wigan 7", lines[0])
        self.assertIn("differ by 2 levels or more", lines[0])

    def test_running_the_step_again_changes_nothing(self):
        before = counts()
        lines: list[str] = []
        ctx = DemoContext(users=self.ctx.users, rounds=self.ctx.rounds, log=lines.append)
        step_contributors(ctx)
        self.assertEqual(counts(), before)
        self.assertEqual(lines, ["Contributors: already there, nothing changed"])

    def test_the_same_councils_and_people_every_time(self):
        from diagnostic.demo.contributors import choose_councils

        chosen = [r.organisation.gss_code for r in choose_councils(self.current)]
        self.assertEqual(chosen[:2], [COUNCIL_A, COUNCIL_B])
        self.assertEqual(set(chosen), {r.organisation.gss_code for r in self.responses})
        self.assertEqual(
            Counter(
                Organisation.objects.filter(gss_code__in=chosen).values_list("type", flat=True)
            )["metropolitan_borough"],
            1,
        )

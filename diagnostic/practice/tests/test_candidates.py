"""Candidates from submitted answers, the queue per value code, and invitations to write up."""

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Answer, Response
from diagnostic.audit.models import AuditEvent
from diagnostic.organisations.models import Organisation
from diagnostic.practice.models import CaseStudy, State, WriteUpInvitation
from diagnostic.practice.testing import PracticeTestCase


class CandidateTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        self.levels = list(self.framework.levels.order_by("number"))
        self.top, self.second, self.third = self.levels[-1], self.levels[-2], self.levels[-3]
        self.council_c = Organisation.objects.create(
            gss_code="E07000117", name="Council C District Council", short_name="Council C",
            type="non_metropolitan_district", region=self.north_west, nation="England",
        )  # fmt: skip
        self.response_c = Response.objects.create(round=self.round, organisation=self.council_c)
        self.answer(self.response_a, "EC1", self.top, share=True, comment="Register covers 95%.")
        self.answer(self.response_b, "EC1", self.second, share=True, comment="South East hub.")
        self.answer(self.response_c, "EC1", self.third, share=True, comment="Too low to ask.")
        self.answer(self.response_c, "EC2", self.top, share=False, support=True)
        self.answer(self.response_a, "EC2", self.top, share=True, comment="Not submitted?")
        for r in (self.response_a, self.response_b, self.response_c):
            Response.objects.filter(pk=r.pk).update(status=Response.Status.SUBMITTED)
        # Two councils want support on EC1.
        Answer.objects.filter(response=self.response_c, value_code__code="EC1").update(
            want_support=True
        )
        Answer.objects.filter(response=self.response_b, value_code__code="EC1").update(
            want_support=True
        )

    def answer(self, response, code, level, *, share=False, support=False, comment=""):
        Answer.objects.create(
            response=response, value_code=self.framework.valuecodes.get(code=code),
            current_level=level.number, could_share=share, want_support=support,
            comment=comment, version=1, updated_at=timezone.now(),
        )  # fmt: skip

    def queue(self, user):
        self.client.force_login(user)
        r = self.client.get(reverse("practice:candidates"), {"round": self.round.pk})
        self.assertEqual(r.status_code, 200)
        return (
            {
                g.value_code.code: [
                    (c.organisation.short_name, c.level.number, c.comment) for c in g.candidates
                ]
                for g in r.context["groups"]
            },
            {g.value_code.code: g.want_support for g in r.context["groups"]},
            r,
        )

    def test_the_national_team_sees_every_candidate_at_the_top_two_levels(self):
        groups, support, r = self.queue(self.nina)
        self.assertEqual(
            groups,
            {
                "EC1": [("Council A", self.top.number, "Register covers 95%."),
                        ("Council B", self.second.number, "South East hub.")],
                "EC2": [("Council A", self.top.number, "Not submitted?")],
            },
        )  # fmt: skip
        self.assertEqual(support, {"EC1": 2, "EC2": 1})
        self.assertContains(r, "Register covers 95%.")
        self.assertContains(r, f"{self.top.number} {self.top.name}")

    def test_a_regional_lead_sees_their_region_only(self):
        groups, support, _ = self.queue(self.dana)
        self.assertEqual(set(groups), {"EC1", "EC2"})
        self.assertEqual([c[0] for c in groups["EC1"]], ["Council A"])
        self.assertEqual(support["EC1"], 1)  # Council C only: Council B is in the South East

    def test_drafts_are_not_candidates(self):
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.DRAFT)
        groups, _, _ = self.queue(self.nina)
        self.assertEqual([c[0] for c in groups["EC1"]], ["Council B"])

    def test_councils_do_not_see_the_queue(self):
        for user in (self.bob, self.alice, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("practice:candidates")).status_code, 403)

    def invite(self, user, org, code="EC1", reason="Highest level in the region."):
        self.client.force_login(user)
        return self.client.post(
            reverse("practice:invite", args=[self.round.pk]),
            {"organisation": org.pk, "value_code": code, "reason": reason},
            follow=True,
        )

    def test_one_action_invites_and_emails_the_lead_with_the_value_code_and_why(self):
        r = self.invite(self.dana, self.council_a)
        self.assertContains(r, "Invited Council A Metropolitan Borough Council to write up EC1")
        inv = WriteUpInvitation.objects.get()
        self.assertEqual((inv.organisation, inv.value_code.code, inv.level, inv.invited_by),
                         (self.council_a, "EC1", self.top, self.dana))  # fmt: skip
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["bob@example.org"])
        self.assertIn("EC1", mail.outbox[0].subject)
        self.assertIn("Highest level in the region.", mail.outbox[0].body)
        self.assertTrue(AuditEvent.objects.filter(action="write_up.invited", actor=self.dana))

    def test_nobody_is_asked_twice_for_the_same_thing_in_a_round(self):
        self.invite(self.nina, self.council_a)
        r = self.invite(self.erin, self.council_a)
        self.assertContains(r, "was asked about EC1 in this round already")
        self.assertEqual(WriteUpInvitation.objects.count(), 1)
        self.assertEqual(len(mail.outbox), 1)
        # Declined counts as asked.
        WriteUpInvitation.objects.update(status=WriteUpInvitation.Status.DECLINED)
        self.invite(self.nina, self.council_a)
        self.assertEqual(WriteUpInvitation.objects.count(), 1)

    def test_only_candidates_in_scope_can_be_invited(self):
        r = self.invite(self.nina, self.council_c)  # third level: not a candidate
        self.assertContains(r, "is not a candidate for EC1")
        self.assertEqual(self.invite(self.dana, self.council_b).status_code, 404)  # other region
        r = self.invite(self.nina, self.council_a, reason="")
        self.assertContains(r, "Say why the council was chosen.")
        r = self.invite(self.nina, self.council_a, code="NOPE")
        self.assertContains(r, "not in this round&#x27;s framework")
        self.client.force_login(self.bob)
        r = self.client.post(reverse("practice:invite", args=[self.round.pk]),
                             {"organisation": self.council_a.pk, "value_code": "EC1", "reason": "me"})  # fmt: skip
        self.assertEqual(r.status_code, 403)
        self.assertFalse(WriteUpInvitation.objects.exists())
        self.assertEqual(mail.outbox, [])

    def test_the_lead_writes_it_up_from_the_invitation(self):
        self.invite(self.nina, self.council_a)
        inv = WriteUpInvitation.objects.get()
        self.client.force_login(self.bob)
        r = self.client.get(reverse("practice:mine"))
        self.assertContains(r, "Write it up")
        r = self.client.post(reverse("practice:write_up", args=[inv.pk]))
        cs = CaseStudy.objects.get()
        self.assertRedirects(r, reverse("practice:edit", args=[cs.pk]))
        self.assertEqual((cs.level, list(cs.value_codes.values_list("code", flat=True)), cs.state),
                         (self.top, ["EC1"], State.DRAFT))  # fmt: skip
        inv.refresh_from_db()
        self.assertEqual((inv.status, inv.case_study), ("accepted", cs))
        # A second click returns to the same draft.
        self.client.post(reverse("practice:write_up", args=[inv.pk]))
        self.assertEqual(CaseStudy.objects.count(), 1)

    def test_the_lead_can_decline(self):
        self.invite(self.nina, self.council_a)
        inv = WriteUpInvitation.objects.get()
        self.client.force_login(self.victor)  # a viewer cannot answer for the council
        self.assertEqual(
            self.client.post(reverse("practice:decline", args=[inv.pk])).status_code, 404
        )
        self.client.force_login(self.bob)
        self.client.post(reverse("practice:decline", args=[inv.pk]), {"reason": "No capacity"})
        inv.refresh_from_db()
        self.assertEqual(
            (inv.status, inv.decline_reason, inv.answered_by), ("declined", "No capacity", self.bob)
        )
        r = self.client.post(reverse("practice:write_up", args=[inv.pk]), follow=True)
        self.assertContains(r, "That invitation was declined.")
        self.assertFalse(CaseStudy.objects.exists())
        groups, _, r = self.queue(self.nina)
        self.assertContains(r, "Declined")

    def test_councils_write_unprompted(self):
        self.client.force_login(self.bob)
        self.client.post(reverse("practice:new"), {"organisation": self.council_a.pk})
        self.assertEqual(CaseStudy.objects.get().organisation, self.council_a)
        self.client.force_login(self.victor)
        r = self.client.post(reverse("practice:new"), {"organisation": self.council_a.pk})
        self.assertEqual(r.status_code, 403)
        self.client.force_login(self.charlie)
        r = self.client.post(reverse("practice:new"), {"organisation": self.council_a.pk})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(CaseStudy.objects.count(), 1)

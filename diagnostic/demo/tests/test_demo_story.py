"""Demo data people can trust (issue 15): comments about their own value code, levels like real
councils', most councils with a lead, and dates that follow each round's story."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Membership, Role
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.broker.models import Introduction
from diagnostic.broker.services import contact_for
from diagnostic.consolidation.models import Assignment, ContributorAnswer
from diagnostic.demo.responses import COMMENTS, _words, comments_for
from diagnostic.demo.seed import COUNCIL_A, STEPS, DemoContext
from diagnostic.frameworks.models import FrameworkVersion, ValueCode
from diagnostic.plans.models import OPEN_STATUSES, Action, Origin
from diagnostic.twofactor.testing import VerifyingClient


class DemoStoryTests(TestCase):
    client_class = VerifyingClient

    @classmethod
    def setUpTestData(cls):
        cls.ctx = DemoContext(log=lambda line: None)
        for step in STEPS:
            step(cls.ctx)
        cls.current = Round.objects.get(status=Round.Status.OPEN)

    def test_comments_are_about_their_own_value_code(self):
        ec1 = ValueCode.objects.get(code="EC1")  # ward councillors' input
        for band in ("low", "mid", "high"):
            bank = comments_for(ec1, band)
            self.assertTrue(bank)
            self.assertTrue(all("ward" in t.lower() for t in bank), (band, bank))
        # Every comment given in the demo comes from its own value code's bank.
        for a in Answer.objects.exclude(comment="").select_related("value_code__key_area")[:400]:
            band = "low" if a.current_level <= 2 else "mid" if a.current_level == 3 else "high"
            bank = comments_for(a.value_code, band)
            self.assertTrue(
                any(a.comment.startswith(t) for t in bank), (a.value_code.code, a.comment[:60])
            )
        self.assertTrue(set(COMMENTS["EC"]["low"]) - set(comments_for(ec1, "low")))

    def test_every_value_code_has_comments_of_its_own(self):
        codes = list(
            ValueCode.objects.filter(
                version__in=Round.objects.values("framework_version")
            ).select_related("key_area")
        )
        self.assertEqual(len({vc.code for vc in codes}), 59)
        for band in ("low", "mid", "high"):
            seen: dict[str, str] = {}
            for vc in codes:
                bank = comments_for(vc, band)
                self.assertGreaterEqual(len(bank), 2, (vc.code, band))
                subject = _words(vc.title)
                for text in bank:
                    # Nobody else's comment, and about this code's subject: it shares a
                    # meaning-carrying word with the code's title.
                    self.assertEqual(seen.setdefault(text, vc.code), vc.code, text[:60])
                    self.assertTrue(subject & _words(text), (vc.code, band, text[:60]))
        by_code = {vc.code: vc for vc in codes}
        self.assertIn("ward", comments_for(by_code["EC1"], "mid")[0].lower())
        self.assertIn("modern slavery", comments_for(by_code["MSR3"], "high")[0].lower())
        self.assertIn("lot", comments_for(by_code["SME3"], "low")[0].lower())

    def test_another_frameworks_code_falls_back_to_its_key_areas_bank_by_topic(self):
        ec1 = ValueCode.objects.select_related("key_area").get(code="EC1")
        # Same code, another subject (as another framework's EC1 might be): not EC1's comments.
        ec1.pk, ec1.title = -1, "Councillors' role in cabinet gateways and key decisions"
        ec1.description = "Cabinet approves business cases at each procurement gateway."
        bank = comments_for(ec1, "low")
        self.assertTrue(bank)
        self.assertTrue(set(bank) <= set(COMMENTS["EC"]["low"]))
        self.assertTrue(any("cabinet" in t.lower() for t in bank), bank)
        # A key area the bank does not know: the best matches from every key area's.
        ec1.pk, ec1.key_area.code = -2, "ZZ"
        ec1.title, ec1.description = "Contract registers", "A register of every contract."
        bank = comments_for(ec1, "mid")
        self.assertTrue(bank)
        self.assertTrue(all("regist" in t.lower() for t in bank), bank)

    def test_levels_look_like_real_councils(self):
        levels = Counter(
            Answer.objects.filter(response__round=self.current, current_level__gte=1).values_list(
                "current_level", flat=True
            )
        )
        total = sum(levels.values())
        self.assertGreater((levels[2] + levels[3]) / total, 0.65)  # most Developing or Mature
        self.assertLess(levels[4] / total, 0.15)  # few Leaders
        self.assertLess(levels[5] / total, 0.03)  # fewer Innovators
        wigan = Counter(
            Answer.objects.filter(
                response__round=self.current, response__organisation__gss_code=COUNCIL_A
            ).values_list("current_level", flat=True)
        )
        self.assertLess(wigan[5], sum(wigan.values()) / 4)  # not Innovator everywhere
        self.assertLess(wigan[4] + wigan[5], sum(wigan.values()) / 3)  # mostly not at Leader

    def test_wigan_is_ahead_of_the_sector_in_some_codes_and_behind_in_others(self):
        for rnd in Round.objects.all():
            sector: dict[str, list[int]] = {}
            for code, level in Answer.objects.filter(
                response__round=rnd, response__status="submitted", current_level__gte=1
            ).values_list("value_code__code", "current_level"):
                sector.setdefault(code, []).append(level)
            wigan = dict(
                Answer.objects.filter(
                    response__round=rnd,
                    response__organisation__gss_code=COUNCIL_A,
                    current_level__gte=1,
                ).values_list("value_code__code", "current_level")
            )
            above = sum(1 for c, lv in wigan.items() if lv > statistics.median(sector[c]))
            below = sum(1 for c, lv in wigan.items() if lv < statistics.median(sector[c]))
            self.assertGreaterEqual(below, 5, (rnd.name, above, below))
            self.assertLess(above, len(wigan) * 0.6, (rnd.name, above, below))

    def test_most_councils_have_a_lead_to_remind(self):
        responses = Response.objects.filter(round=self.current)
        led = set(
            Membership.objects.filter(role=Role.LEAD).values_list("organisation_id", flat=True)
        )
        with_lead = sum(1 for r in responses if r.organisation_id in led)
        self.assertGreater(with_lead / responses.count(), 0.75)
        self.assertLess(with_lead, responses.count())  # and a few without, as in life
        # The fictional leads cannot sign in.
        lead = Membership.objects.filter(role=Role.LEAD, user__email__contains="@").last().user
        self.assertTrue(lead.is_demo)

    def test_dates_follow_the_story(self):
        version = FrameworkVersion.objects.get()
        first = Round.objects.order_by("opens_on").first()
        self.assertLess(version.published_at.date(), first.opens_on)
        self.assertEqual(version.published_at.year, 2018)
        for a in Assignment.objects.filter(withdrawn_at__isnull=False):
            last = (
                ContributorAnswer.objects.filter(assignment=a)
                .order_by("-updated_at")
                .values_list("updated_at", flat=True)
                .first()
            )
            if last:
                self.assertLess(last, a.withdrawn_at, a.full_name)
            self.assertLess(a.created_at, a.withdrawn_at - dt.timedelta(hours=1))

    def test_nothing_still_open_is_dated_before_today(self):
        """The rule: a target still to reach (target above the level now) in the current round,
        and an action still open in any plan, is dated after today, so nothing reads as
        overdue that a real council would have re-dated; a carried-forward action is done or
        re-dated (issue 15)."""
        today = timezone.localdate()
        targets = Answer.objects.filter(
            response__round=self.current, target_date__isnull=False
        ).select_related("response__organisation", "value_code")
        self.assertTrue(targets.filter(carried_forward=True).exists())
        for a in targets:
            if a.target_level and a.current_level is not None and a.target_level > a.current_level:
                self.assertGreater(
                    a.target_date, today, (a.response.organisation.short_name, a.value_code.code)
                )
        actions = list(Action.objects.select_related("response__round"))
        carried = [a for a in actions if a.origin == Origin.CARRIED_FORWARD]
        self.assertTrue(carried)
        self.assertTrue(any(a.status == "done" for a in carried))
        open_ones = [a for a in actions if a.status in OPEN_STATUSES]
        self.assertTrue(any(a.due_date for a in open_ones))
        for a in open_ones:
            self.assertFalse(a.is_overdue(today), (a.response.round.name, a.title, a.due_date))
            if a.due_date and a.response.round_id == self.current.pk:
                self.assertGreaterEqual(a.due_date, self.current.opens_on)
        # And what Bob sees: no action overdue on either plan.
        bob = Membership.objects.get(user__email__startswith="bob@").user
        self.client.force_login(bob)
        for response in {a.response for a in actions}:
            r = self.client.get(reverse("plans:plan", args=[response.pk]))
            self.assertEqual(r.status_code, 200)
            self.assertEqual(r.context["plan"].overdue, 0, response.round.name)
            self.assertNotContains(r, "Overdue</strong>")

    def test_accepted_introductions_name_both_contacts(self):
        """After both accept, each side sees the other's named contact: its lead."""
        accepted = list(Introduction.objects.filter(round=self.current, status="accepted"))
        self.assertGreaterEqual(len(accepted), 3)
        leads = {
            m.organisation_id: m.user_id
            for m in Membership.objects.filter(role=Role.LEAD, organisation__isnull=False)
        }
        for i in accepted:
            for org_id in (i.first_id, i.second_id):
                contact = contact_for(i, org_id)
                self.assertIsNotNone(contact, (i.pk, org_id))
                self.assertEqual(contact.pk, leads[org_id])
        # Every introduction belongs to this round's story: proposed after it opened.
        for i in Introduction.objects.filter(round=self.current):
            self.assertGreaterEqual(timezone.localdate(i.proposed_at), self.current.opens_on)
        # Bob's accepted introduction shows him his partner's contact, not "no contact".
        bob = Membership.objects.get(user__email__startswith="bob@")
        mine = next(i for i in accepted if bob.organisation_id in (i.first_id, i.second_id))
        other = contact_for(mine, mine.other(bob.organisation_id).pk)
        self.client.force_login(bob.user)
        r = self.client.get(reverse("broker:introduction", args=[mine.pk]))
        self.assertContains(r, 'id="contact"')
        self.assertContains(r, other.full_name)
        self.assertNotContains(r, 'id="no-contact"')

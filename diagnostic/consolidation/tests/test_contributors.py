"""Asking colleagues for their views, the contributor's own page, and the lead's page of who
was asked: invitations, what each contributor may see, reminders, finishing and withdrawing."""

import datetime as dt
import re

from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Invitation, Membership, Role, User
from diagnostic.assessments.models import Response, Round
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation.models import Assignment, ContributorAnswer
from diagnostic.consolidation.testing import (
    ConsolidationTestCase,
    make_assignment,
    make_contributor,
    make_view,
)
from diagnostic.frameworks.models import Framework, FrameworkVersion, KeyArea, Theme


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def submit_response(response) -> None:
    Response.objects.filter(pk=response.pk).update(
        status=Response.Status.SUBMITTED, submitted_at=timezone.now()
    )


class AskTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("consolidation:ask", args=[self.response_a.pk])
        self.client.force_login(self.bob)

    def area(self, code):
        return KeyArea.objects.get(version=self.framework, code=code)

    def form(self, **fields):
        data = {
            "email": "Fay.Li@Example.org",
            "full_name": "Fay Li",
            "department": "Finance",
            "job_role": "Accountant",
            "scope": "all",
            "due_on": "",
        }
        data.update(fields)
        return data

    def test_the_form_offers_the_rounds_key_areas(self):
        r = self.client.get(self.url)
        self.assertContains(r, "Ask a colleague for their views")
        self.assertContains(r, f'value="{self.area("EC").pk}"')
        self.assertContains(r, "EC Engaging councillors")
        self.assertContains(r, "<legend>What to ask them about</legend>", html=True)

    def test_it_invites_someone_new_and_stores_what_they_were_asked(self):
        due = timezone.localdate() + dt.timedelta(days=10)
        r = self.client.post(
            self.url,
            self.form(
                scope="areas",
                key_areas=[self.area("EC").pk, self.area("ESM").pk],
                due_on=due.isoformat(),
            ),
        )
        self.assertRedirects(r, reverse("consolidation:contributors", args=[self.response_a.pk]))
        a = Assignment.objects.get(response=self.response_a, email="fay.li@example.org")
        self.assertEqual(
            (a.full_name, a.department, a.job_role, a.all_value_codes, a.due_on, a.user),
            ("Fay Li", "Finance", "Accountant", False, due, None),
        )
        self.assertEqual(sorted(a.key_areas.values_list("code", flat=True)), ["EC", "ESM"])
        inv = Invitation.objects.get(email="fay.li@example.org")
        self.assertEqual(
            (inv.role, inv.organisation, inv.department, inv.job_role, a.invitation),
            (Role.CONTRIBUTOR, self.council_a, "Finance", "Accountant", inv),
        )
        self.assertEqual([m.to for m in mail.outbox], [["fay.li@example.org"]])
        self.assertRegex(mail.outbox[0].body, r"/invitations/[^\s/]+/")
        self.assertEqual(
            messages_of(r),
            [
                "We emailed an invitation to fay.li@example.org. Fay Li will see what you asked "
                "once they have accepted it."
            ],
        )
        self.assertTrue(AuditEvent.objects.filter(action="contributor.asked", actor=self.bob))

    def test_asking_an_existing_member_notifies_them_without_an_invitation(self):
        r = self.client.post(
            self.url, self.form(email="victor@example.org", full_name="Victor Osei")
        )
        self.assertRedirects(r, reverse("consolidation:contributors", args=[self.response_a.pk]))
        a = Assignment.objects.get(response=self.response_a, email="victor@example.org")
        self.assertEqual((a.user, a.all_value_codes, a.invitation), (self.victor, True, None))
        self.assertFalse(Invitation.objects.exists())
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["victor@example.org"])
        self.assertIn("Your views are asked for", mail.outbox[0].subject)
        self.assertIn(
            reverse("consolidation:contribution", args=[self.response_a.pk]), mail.outbox[0].body
        )
        self.assertIn("already has a role in Council A", messages_of(r)[0])

    def test_bad_input_is_refused_at_each_field_and_nothing_is_stored(self):
        other = FrameworkVersion.objects.create(
            framework=Framework.objects.create(code="other", name="Other"),
            label="1", name="Other 1", checksum="x" * 64,
        )  # fmt: skip
        theme = Theme.objects.create(version=other, code="T", name="Theme", position=1)
        foreign = KeyArea.objects.create(
            version=other, theme=theme, code="EC", name="Foreign area", position=1
        )
        yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
        cases = [
            ({"email": "not-an-email"}, "email", "Enter an email address like name@council.gov.uk."),
            ({"email": ""}, "email", "Enter their email address."),
            ({"full_name": "  "}, "full_name", "Enter their name."),
            ({"department": ""}, "department", "Enter their department."),
            ({"job_role": ""}, "job_role", "Enter their role."),
            ({"due_on": yesterday}, "due_on", "The due date cannot be in the past."),
            ({"due_on": "31/02/2026"}, "due_on", "Enter a real date, for example 31 March."),
            ({"scope": "areas"}, "key_areas", "Choose at least one key area, or ask about every value code."),
            ({"scope": "areas", "key_areas": [foreign.pk]}, "key_areas", "Choose key areas of this round's framework."),
            ({"scope": "areas", "key_areas": [987654]}, "key_areas", "Choose key areas of this round's framework."),
            ({"scope": "areas", "key_areas": ["EC"]}, "key_areas", "Choose key areas of this round's framework."),
            ({"scope": "everything"}, "scope", "Select a valid choice. everything is not one of the available choices."),
            ({"full_name": "x" * 151}, "full_name", "Ensure this value has at most 150 characters (it has 151)."),
        ]  # fmt: skip
        before = Assignment.objects.count()
        for fields, field, message in cases:
            with self.subTest(fields=fields):
                r = self.client.post(self.url, self.form(**fields))
                self.assertEqual(r.status_code, 400)
                self.assertEqual(r.context["form"].errors[field], [message])
                self.assertContains(r, "There is a problem", status_code=400)
                self.assertContains(r, f'href="#id_{field}', status_code=400)
        self.assertEqual(Assignment.objects.count(), before)
        self.assertFalse(Invitation.objects.exists())
        self.assertEqual(mail.outbox, [])

    def test_every_problem_is_listed_at_once(self):
        r = self.client.post(
            self.url, self.form(email="nope", full_name="", job_role="", scope="areas")
        )
        self.assertEqual(
            sorted(r.context["form"].errors), ["email", "full_name", "job_role", "key_areas"]
        )
        self.assertContains(r, 'href="#id_email"', status_code=400)
        self.assertContains(r, 'href="#id_key_areas_0"', status_code=400)
        self.assertContains(r, "<title>Error: Ask a colleague", status_code=400)

    def test_only_the_councils_lead_can_ask(self):
        for user, status in [
            (self.alice, 403), (self.victor, 403), (self.nina, 403),
            (self.charlie, 404), (self.dana, 404), (self.zoe, 404),
        ]:  # fmt: skip
            with self.subTest(user=user.full_name):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url).status_code, status)
                self.assertEqual(self.client.post(self.url, self.form()).status_code, status)
        self.assertFalse(Assignment.objects.filter(email="fay.li@example.org").exists())
        self.assertEqual(mail.outbox, [])

    def test_council_bs_lead_gets_404_on_council_a_and_can_ask_for_council_b(self):
        self.client.force_login(self.charlie)
        self.assertEqual(self.client.post(self.url, self.form()).status_code, 404)
        r = self.client.post(
            reverse("consolidation:ask", args=[self.response_b.pk]),
            self.form(scope="areas", key_areas=[self.area("WP").pk]),
        )
        self.assertEqual(r.status_code, 302)
        a = Assignment.objects.get(email="fay.li@example.org")
        self.assertEqual(a.response, self.response_b)

    def test_nobody_can_be_asked_once_the_response_is_submitted(self):
        submit_response(self.response_a)
        self.assertContains(self.client.get(self.url), "can no longer be changed")
        r = self.client.post(self.url, self.form())
        self.assertEqual(messages_of(r), ["This response can no longer be changed."])
        self.assertFalse(Assignment.objects.filter(email="fay.li@example.org").exists())
        self.assertEqual(mail.outbox, [])

    def test_a_new_person_accepts_the_invitation_and_their_request_is_claimed(self):
        self.client.post(self.url, self.form(scope="areas", key_areas=[self.area("EC").pk]))
        link = re.search(r"http://[^\s]+(/invitations/[^\s/]+/)", mail.outbox[0].body).group(1)
        self.client.logout()
        r = self.client.post(
            link,
            {"full_name": "Fay Li", "password1": "a long pass phrase",
             "password2": "a long pass phrase"},
        )  # fmt: skip
        self.assertRedirects(r, reverse("accounts:home"), fetch_redirect_response=False)
        fay = User.objects.get(email="fay.li@example.org")
        self.assertEqual(Membership.objects.get(user=fay).role, Role.CONTRIBUTOR)
        self.assertIsNone(Assignment.objects.get(email="fay.li@example.org").user)
        # Their assessment link takes them to their own page (reading it changes nothing)...
        r = self.client.get(reverse("assessments:mine"))
        self.assertRedirects(r, reverse("consolidation:contribution", args=[self.response_a.pk]))
        r = self.client.get(reverse("consolidation:contribution", args=[self.response_a.pk]))
        self.assertContains(r, "EC1")
        self.assertNotContains(r, 'id="vc-ESM1"')
        self.assertIsNone(Assignment.objects.get(email="fay.li@example.org").user)
        # ...and their first saved view ties the request to their account.
        r = self.client.post(
            reverse("consolidation:save_view", args=[self.response_a.pk, "EC1"]),
            {"EC1-current_level": "2", "EC1-version": "0", "EC1-request_id": "fay-1"},
            headers={"HX-Request": "true"},
        )
        self.assertEqual(r.status_code, 200)
        self.assertEqual(Assignment.objects.get(email="fay.li@example.org").user, fay)
        self.assertTrue(AuditEvent.objects.filter(action="contributor.claimed", actor=fay))
        self.assertEqual(
            ContributorAnswer.objects.get(assignment__email="fay.li@example.org").current_level, 2
        )


def shown_codes(r) -> list[str]:
    """The value codes whose forms a contribution page shows (one at a time: one)."""
    return [row["vc"].code for g in r.context["groups"] for row in g["rows"]]


def contents_codes(r) -> list[str]:
    """Every value code the page's contents counts, key area by key area."""
    return [c["vc"].code for a in r.context["contents"] for c in a["codes"]]


class ContributionPageTests(ConsolidationTestCase):
    def url(self, response=None, area="", code=""):
        url = reverse("consolidation:contribution", args=[(response or self.response_a).pk])
        if code:
            return f"{url}?code={code}"
        return f"{url}?area={area}" if area else url

    def test_alice_sees_every_value_code_her_progress_and_due_date(self):
        Assignment.objects.filter(pk=self.assignment_a.pk).update(due_on=dt.date(2030, 3, 31))
        make_view(self.assignment_a, "EC1", 3)
        make_view(self.assignment_a, "EC2", 0)
        make_view(self.assignment_a, "EC3", None, comment="Thinking about it")
        self.client.force_login(self.alice)
        r = self.client.get(self.url())
        self.assertContains(r, "2 of 59 value codes have your level")
        self.assertContains(r, "Sunday 31 March 2030")
        self.assertContains(r, "Every value code")
        self.assertContains(r, "I have finished")
        self.assertContains(
            r, reverse("consolidation:contribution_xlsx", args=[self.response_a.pk])
        )
        # One value code at a time: where she left off (the first without her level), with
        # every value code in the contents and every key area a link away.
        self.assertEqual(shown_codes(r), ["EC3"])
        self.assertContains(r, "Thinking about it")
        self.assertEqual(len(contents_codes(r)), 59)
        for a in r.context["contents"]:
            self.assertContains(r, f"?area={a['area'].code}")
        self.assertEqual(r.context["contents"][0]["answered"], 2)
        self.assertContains(r, "Value code 3 of 59: EC3")
        self.assertContains(r, "?code=EC2")
        self.assertContains(r, "?code=EC4")
        r = self.client.get(self.url(code="ESS4"))
        self.assertContains(r, 'id="vc-ESS4"')
        r = self.client.get(self.url(code="EC1"))
        self.assertContains(
            r, 'hx-post="' + reverse("consolidation:save_view", args=[self.response_a.pk, "EC1"])
        )
        self.assertContains(r, 'id="EC1-current-3" checked', html=False)
        self.assertContains(r, 'name="EC1-version" value="1"')
        r = self.client.get(self.url(code="EC4"))
        self.assertContains(r, 'name="EC4-version" value="0"')

    def test_a_limited_request_shows_only_its_key_areas(self):
        self.client.force_login(self.beth)
        r = self.client.get(self.url(self.response_b))
        self.assertEqual(contents_codes(r), ["EC1", "EC2", "EC3", "EC4", "EC5"])
        self.assertEqual(shown_codes(r), ["EC1"])
        self.assertContains(self.client.get(self.url(self.response_b, code="EC5")), 'id="vc-EC5"')
        self.assertNotContains(r, 'id="vc-ESM1"')
        self.assertNotContains(r, "?area=ESM")
        self.assertEqual(self.client.get(self.url(self.response_b, code="ESM1")).status_code, 404)
        self.assertContains(r, "0 of 5 value codes have your level")
        self.assertContains(r, "EC Engaging councillors (5 value codes)")

    def test_the_key_area_filter_shows_one_asked_area(self):
        self.client.force_login(self.alice)
        r = self.client.get(self.url(area="ESM"))
        self.assertEqual(shown_codes(r), ["ESM1"])
        current = [a for a in r.context["contents"] if a["is_current"]]
        self.assertEqual(
            [c["vc"].code for c in current[0]["codes"]], ["ESM1", "ESM2", "ESM3", "ESM4", "ESM5"]
        )
        self.assertContains(r, 'aria-current="page">')
        # Progress still counts everything asked.
        self.assertContains(r, "0 of 59")
        self.assertEqual(self.client.get(self.url(area="NOPE")).status_code, 404)
        self.assertEqual(self.client.get(self.url(code="NOPE1")).status_code, 404)
        self.client.force_login(self.beth)
        self.assertEqual(self.client.get(self.url(self.response_b, area="ESM")).status_code, 404)
        self.assertEqual(self.client.get(self.url(self.response_b, area="EC")).status_code, 200)

    def test_next_reaches_every_value_code_and_each_saves_without_javascript(self):
        """One value code at a time: following Next from the first reaches every value code
        asked about, in framework order, and each one's plain form saves (no JavaScript)."""
        self.client.force_login(self.alice)
        r = self.client.get(self.url())
        self.assertEqual(shown_codes(r), ["EC1"])
        self.assertNotContains(r, 'rel="prev"')
        seen = []
        while True:
            (code,) = shown_codes(r)
            seen.append(code)
            self.assertContains(
                r, f'action="{reverse("consolidation:save_view", args=[self.response_a.pk, code])}"'
            )
            saved = self.client.post(
                reverse("consolidation:save_view", args=[self.response_a.pk, code]),
                {f"{code}-current_level": "2", f"{code}-version": "0"},
            )
            self.assertRedirects(
                saved, self.url(code=code) + f"#vc-{code}", fetch_redirect_response=False
            )
            nxt = re.search(r'href="([^"]+)" rel="next"', r.content.decode())
            if nxt is None:
                break
            r = self.client.get(nxt.group(1).replace("&amp;", "&"))
        self.assertEqual(seen, contents_codes(r))
        self.assertEqual(len(seen), 59)
        self.assertEqual(
            ContributorAnswer.objects.filter(assignment=self.assignment_a, current_level=2).count(),
            59,
        )
        # With all given, the page opens on the first again, everything counted.
        r = self.client.get(self.url())
        self.assertEqual(shown_codes(r), ["EC1"])
        self.assertContains(r, "59 of 59 value codes have your level")

    def ask_carl(self, **kw):
        carl = make_contributor("carl@example.org", "Carl Reyes", self.council_a)
        assignment = make_assignment(
            self.response_a, carl, department="Legal Services", job_role="Solicitor", **kw
        )
        make_view(assignment, "EC1", 5, comment="Carl thinks we are leading")
        return assignment

    def test_contributors_do_not_see_each_others_views_unless_the_lead_shares_them(self):
        carl = self.ask_carl()
        self.client.force_login(self.alice)
        r = self.client.get(self.url())
        self.assertNotContains(r, "Carl thinks we are leading")
        self.assertNotContains(r, "Carl Reyes")
        self.assertNotContains(r, 'id="others-EC1"')
        # The lead turns sharing on.
        self.client.force_login(self.bob)
        self.client.post(
            reverse("consolidation:sharing", args=[self.response_a.pk]), {"share": "on"}
        )
        self.client.force_login(self.alice)
        r = self.client.get(self.url())
        self.assertContains(r, "Carl thinks we are leading")
        self.assertContains(r, "Carl Reyes")
        self.assertContains(r, "Solicitor, Legal Services")
        self.assertEqual(
            [
                (v.assignment.full_name, v.level)
                for v in r.context["groups"][0]["rows"][0]["others"]
            ],
            [("Carl Reyes", 5)],
        )
        # A withdrawn colleague's views are not shown, even when shared.
        Assignment.objects.filter(pk=carl.pk).update(withdrawn_at=timezone.now())
        self.assertNotContains(self.client.get(self.url()), "Carl thinks we are leading")

    def test_sharing_shows_nothing_of_another_councils_contributors(self):
        make_view(self.assignment_b, "EC1", 2, comment="Beth's view in Council B")
        Response.objects.update(contributors_see_each_other=True)
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(self.url()), "Beth")

    def test_nobody_sees_another_councils_contribution_page(self):
        for user, response in [
            (self.alice, self.response_b), (self.beth, self.response_a),
            (self.charlie, self.response_a), (self.zoe, self.response_a),
            (self.nina, self.response_a), (self.dana, self.response_a),
        ]:  # fmt: skip
            with self.subTest(user=user.full_name):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url(response)).status_code, 404)

    def test_someone_not_asked_in_their_own_council_gets_404(self):
        for user in (self.bob, self.victor):
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_a_contributor_cannot_submit_or_read_the_agreed_answers_of_a_draft(self):
        self.client.force_login(self.alice)
        r = self.client.post(reverse("assessments:submit", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 403)
        self.response_a.refresh_from_db()
        self.assertFalse(self.response_a.is_submitted)
        r = self.client.get(reverse("assessments:area", args=[self.response_a.pk, "EC"]))
        self.assertEqual(r.status_code, 403)
        self.assertContains(r, "not the agreed answers", status_code=403)

    def test_the_response_home_and_my_assessment_take_a_contributor_to_their_page(self):
        self.client.force_login(self.alice)
        page = self.url()
        self.assertRedirects(
            self.client.get(reverse("assessments:response", args=[self.response_a.pk])), page
        )
        self.assertRedirects(self.client.get(reverse("assessments:mine")), page)

    def test_a_contributor_not_yet_asked_is_told_so(self):
        Assignment.objects.filter(pk=self.assignment_a.pk).delete()
        self.client.force_login(self.alice)
        for url in (
            reverse("assessments:response", args=[self.response_a.pk]),
            reverse("assessments:mine"),
        ):
            r = self.client.get(url)
            self.assertContains(r, "Your lead has not asked for your views")
            self.assertNotContains(r, "Progress by key area")

    def test_once_submitted_the_page_is_read_only(self):
        make_view(self.assignment_a, "EC1", 3, comment="My evidence")
        submit_response(self.response_a)
        self.client.force_login(self.alice)
        r = self.client.get(self.url(code="EC1"))
        self.assertContains(r, "Your views can no longer be changed")
        self.assertContains(r, "My evidence")
        self.assertNotContains(r, "hx-post")
        self.assertNotContains(r, "I have finished")
        self.assertContains(r, '<fieldset class="levels" disabled>', html=False)

    def test_when_the_round_has_closed_the_page_is_read_only(self):
        Round.objects.filter(pk=self.round.pk).update(status=Round.Status.CLOSED)
        self.client.force_login(self.alice)
        r = self.client.get(self.url())
        self.assertContains(r, "closed on")
        self.assertNotContains(r, "hx-post")

    def test_finished_and_not_finished(self):
        self.client.force_login(self.alice)
        finished = reverse("consolidation:finished", args=[self.response_a.pk])
        r = self.client.post(finished, {"finished": "1"})
        self.assertRedirects(r, self.url())
        self.assignment_a.refresh_from_db()
        self.assertIsNotNone(self.assignment_a.finished_at)
        r = self.client.get(self.url())
        self.assertContains(r, "I have not finished yet")
        self.client.post(finished, {"finished": "0"})
        self.assignment_a.refresh_from_db()
        self.assertIsNone(self.assignment_a.finished_at)
        self.assertEqual(self.client.get(finished).status_code, 405)
        # Nobody else can finish for her.
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(finished, {"finished": "1"}).status_code, 404)
        self.assignment_a.refresh_from_db()
        self.assertIsNone(self.assignment_a.finished_at)

    def test_the_page_takes_a_fixed_number_of_queries_however_many_colleagues_share(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        Response.objects.update(contributors_see_each_other=True)
        self.ask_carl()
        self.client.force_login(self.alice)
        # The value code the colleagues below give views on (one value code at a time).
        self.client.get(self.url(code="EC2"))  # warm caches (content types, session)
        with CaptureQueriesContext(connection) as one:
            self.client.get(self.url(code="EC2"))
        for i in range(3):
            person = make_contributor(f"p{i}@example.org", f"Person {i}", self.council_a)
            make_view(make_assignment(self.response_a, person, areas=["EC"]), "EC2", 2)
        with CaptureQueriesContext(connection) as four:
            r = self.client.get(self.url(code="EC2"))
        self.assertContains(r, "Person 2")
        self.assertEqual(len(four), len(one))
        self.assertLessEqual(len(four), 13)


class ContributorsPageTests(ConsolidationTestCase):
    def url(self, name="contributors", response=None, *args):
        return reverse(f"consolidation:{name}", args=[(response or self.response_a).pk, *args])

    def test_it_lists_everyone_asked_with_their_progress(self):
        make_view(self.assignment_a, "EC1", 3)
        make_view(self.assignment_a, "EC2", 4)
        self.client.force_login(self.bob)
        self.client.post(
            self.url("ask"),
            {"email": "fay@example.org", "full_name": "Fay Li", "department": "Finance",
             "job_role": "Accountant", "scope": "areas",
             "key_areas": [KeyArea.objects.get(version=self.framework, code="WP").pk],
             "due_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat()},
        )  # fmt: skip
        r = self.client.get(self.url())
        self.assertContains(r, "2 colleagues asked; 0 have finished.")
        self.assertContains(r, "Alice Marsh")
        self.assertContains(r, "Adult Social Care")
        self.assertContains(r, "Commissioning manager")
        self.assertContains(r, "Every value code")
        self.assertContains(r, '<td class="num">2 of 59</td>', html=True)
        self.assertContains(r, "Fay Li")
        self.assertContains(r, "WP Working with partners")
        self.assertContains(r, '<td class="num">0 of 6</td>', html=True)
        self.assertContains(r, "Invited, not yet joined")
        self.assertContains(r, "Send a reminder to the 2 who have not finished")
        self.assertContains(r, self.url("withdraw", None, self.assignment_a.pk))
        self.assertContains(r, self.url("consolidate"))
        self.assertContains(r, self.url("analysis"))

    def test_empty_state(self):
        Assignment.objects.filter(response=self.response_a).delete()
        self.client.force_login(self.bob)
        r = self.client.get(self.url())
        self.assertContains(r, "You have not asked anyone for their views yet.")
        self.assertContains(r, self.url("ask"))
        self.assertNotContains(r, "Send a reminder")

    def test_only_the_lead_sees_it(self):
        for user, status in [
            (self.alice, 403), (self.victor, 403), (self.nina, 403),
            (self.charlie, 404), (self.dana, 404), (self.zoe, 404), (self.beth, 404),
        ]:  # fmt: skip
            with self.subTest(user=user.full_name):
                self.client.force_login(user)
                for name in ("contributors", "remind"):
                    self.assertEqual(self.client.get(self.url(name)).status_code, status)
                for name in ("remind", "sharing"):
                    self.assertEqual(self.client.post(self.url(name)).status_code, status)
                withdraw = self.url("withdraw", None, self.assignment_a.pk)
                self.assertEqual(self.client.post(withdraw).status_code, status)
        self.assertEqual(mail.outbox, [])
        self.assignment_a.refresh_from_db()
        self.assertIsNone(self.assignment_a.withdrawn_at)

    def test_a_lead_cannot_withdraw_another_councils_request_through_their_own_response(self):
        self.client.force_login(self.bob)
        r = self.client.post(self.url("withdraw", None, self.assignment_b.pk))
        self.assertEqual(r.status_code, 404)
        self.assignment_b.refresh_from_db()
        self.assertIsNone(self.assignment_b.withdrawn_at)

    def test_reminders_go_only_to_active_contributors_who_have_not_finished(self):
        done = make_assignment(self.response_a, email="done@example.org", name="Dee Done")
        done.finished_at = timezone.now()
        done.save()
        gone = make_assignment(self.response_a, email="gone@example.org", name="Gus Gone")
        gone.withdrawn_at = timezone.now()
        gone.save()
        make_assignment(self.response_a, email="eve@example.org", name="Eve Late", areas=["EC"])
        self.client.force_login(self.bob)
        r = self.client.get(self.url("remind"))
        self.assertEqual(
            [a.email for a in r.context["recipients"]], ["alice@example.org", "eve@example.org"]
        )
        self.assertContains(r, "Send 2 reminders")
        self.assertNotContains(r, "Dee Done")
        self.assertNotContains(r, "Gus Gone")
        self.assertEqual(mail.outbox, [])  # a preview sends nothing
        r = self.client.post(self.url("remind"))
        self.assertRedirects(r, self.url())
        self.assertEqual(messages_of(r), ["Reminder sent to 2 colleagues."])
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["alice@example.org", "eve@example.org"]
        )
        self.assertIn("A reminder", mail.outbox[0].subject)
        counts = dict(Assignment.objects.values_list("email", "reminder_count"))
        self.assertEqual(
            (counts["alice@example.org"], counts["eve@example.org"], counts["done@example.org"],
             counts["gone@example.org"]),
            (1, 1, 0, 0),
        )  # fmt: skip
        self.assertContains(self.client.get(self.url()), "last ")

    def test_when_everyone_has_finished_no_reminder_is_sent(self):
        Assignment.objects.filter(response=self.response_a).update(finished_at=timezone.now())
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.url("remind")), "there is nobody to remind")
        r = self.client.post(self.url("remind"))
        self.assertEqual(messages_of(r), ["Everyone asked has finished: no reminder was sent."])
        self.assertEqual(mail.outbox, [])

    def test_a_contributor_who_finishes_is_not_reminded(self):
        self.client.force_login(self.alice)
        self.client.post(self.url("finished"), {"finished": "1"})
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.url()), "Finished")
        self.client.post(self.url("remind"))
        self.assertEqual(mail.outbox, [])

    def test_withdrawing_hides_the_page_from_the_contributor_and_stops_reminders(self):
        make_view(self.assignment_a, "EC1", 2)
        withdraw = self.url("withdraw", None, self.assignment_a.pk)
        self.client.force_login(self.bob)
        r = self.client.get(withdraw)
        self.assertContains(r, "Stop asking Alice Marsh for their views?")
        self.assignment_a.refresh_from_db()
        self.assertIsNone(self.assignment_a.withdrawn_at)  # GET changes nothing
        r = self.client.post(withdraw)
        self.assertRedirects(r, self.url())
        self.assertIn("Alice Marsh is no longer asked", messages_of(r)[0])
        self.assignment_a.refresh_from_db()
        self.assertIsNotNone(self.assignment_a.withdrawn_at)
        r = self.client.get(self.url())
        self.assertContains(r, "No longer asked")
        self.client.post(self.url("remind"))
        self.assertEqual(mail.outbox, [])
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.url("contribution")).status_code, 404)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, "Your lead has not asked for your views")

    def test_the_sharing_switch(self):
        self.client.force_login(self.bob)
        r = self.client.post(self.url("sharing"), {"share": "on"})
        self.assertRedirects(r, self.url())
        self.assertEqual(messages_of(r), ["Contributors can now see each other's views."])
        self.response_a.refresh_from_db()
        self.assertTrue(self.response_a.contributors_see_each_other)
        self.assertContains(self.client.get(self.url()), "checked")
        self.client.post(self.url("sharing"), {})
        self.response_a.refresh_from_db()
        self.assertFalse(self.response_a.contributors_see_each_other)
        self.assertEqual(self.client.get(self.url("sharing")).status_code, 405)

    def test_after_submission_nothing_changes(self):
        submit_response(self.response_a)
        self.client.force_login(self.bob)
        r = self.client.get(self.url())
        self.assertContains(r, "This response can no longer be changed")
        self.assertNotContains(r, self.url("withdraw", None, self.assignment_a.pk))
        for name, args in [("remind", ()), ("sharing", ()), ("withdraw", (self.assignment_a.pk,))]:
            r = self.client.post(self.url(name, None, *args), {"share": "on"}, follow=True)
            self.assertEqual(messages_of(r), ["This response can no longer be changed."])
        self.assertEqual(mail.outbox, [])
        self.assignment_a.refresh_from_db()
        self.response_a.refresh_from_db()
        self.assertIsNone(self.assignment_a.withdrawn_at)
        self.assertFalse(self.response_a.contributors_see_each_other)


class ResponseHomeViewsSectionTests(ConsolidationTestCase):
    def test_the_lead_sees_colleagues_views_and_the_links(self):
        carl = make_assignment(self.response_a, email="carl@example.org", name="Carl Reyes")
        make_view(self.assignment_a, "EC1", 1)
        make_view(carl, "EC1", 4)
        make_view(self.assignment_a, "EC2", 3)
        Assignment.objects.filter(pk=carl.pk).update(finished_at=timezone.now())
        self.client.force_login(self.bob)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, "Colleagues' views")
        self.assertContains(r, "2 colleagues asked for their views; 1 has finished.")
        self.assertContains(r, "1 value code where views differ by two levels or more")
        self.assertContains(r, "2 value codes with views not yet consolidated")
        self.assertContains(r, "Not asked for")
        for name in ("contributors", "consolidate", "analysis", "request_sign_off",
                     "response_xlsx", "response_upload"):  # fmt: skip
            self.assertContains(r, reverse(f"consolidation:{name}", args=[self.response_a.pk]))
        # Keeps the existing content.
        self.assertContains(r, "Progress by key area")

    def test_it_shows_the_latest_sign_off(self):
        self.client.force_login(self.charlie)
        r = self.client.get(reverse("assessments:response", args=[self.response_b.pk]))
        self.assertContains(r, "Waiting for a decision")
        self.assertContains(r, "Sam Senior, Director of Finance")

    def test_viewers_do_not_see_it(self):
        self.client.force_login(self.victor)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertNotContains(r, "Colleagues' views")
        self.assertNotContains(r, reverse("consolidation:contributors", args=[self.response_a.pk]))

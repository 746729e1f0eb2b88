"""The lead's consolidation page: everyone's views side by side, the spread, flags, filters."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostic.assessments.models import Answer
from diagnostic.consolidation.models import Decision
from diagnostic.consolidation.testing import ConsolidationTestCase, make_assignment, make_view


def section(html: str, code: str) -> str:
    """The HTML of one value code's section on the page."""
    m = re.search(rf'<section class="value-code" id="vc-{code}".*?</section>', html, re.S)
    assert m, f"no section for {code}"
    return m.group(0)


def codes_on(html: str) -> list[str]:
    return re.findall(r'<section class="value-code" id="vc-([A-Z]+\d+)"', html)


class ConsolidationFixture(ConsolidationTestCase):
    """In Council A, Alice (Adult Social Care), Carol (Finance) and Dev (Highways, asked about
    key area EC only) have given views:

    EC1: 1, 3, 4 (views differ); EC2: 2, 2, unanswered; EC3: not yet assessed, 4, –;
    ESM1: 5, 1 (differ; Dev was not asked). Nothing else has a view.
    """

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.carol = make_assignment(
            cls.response_a, email="carol@example.org", name="Carol Finch",
            department="Finance", job_role="Head of finance", by=cls.bob,
        )  # fmt: skip
        cls.dev = make_assignment(
            cls.response_a, email="dev@example.org", name="Dev Anand", department="Highways",
            job_role="Category manager", areas=["EC"], by=cls.bob,
        )  # fmt: skip
        a, c, d = cls.assignment_a, cls.carol, cls.dev
        make_view(a, "EC1", 1, comment="Only a third of contracts have a named manager.")
        make_view(c, "EC1", 3, comment="Finance tracks every contract over £100k.")
        make_view(d, "EC1", 4)
        make_view(a, "EC2", 2)
        make_view(c, "EC2", 2)
        make_view(a, "EC3", 0)
        make_view(c, "EC3", 4)
        make_view(a, "ESM1", 5)
        make_view(c, "ESM1", 1)

    def setUp(self):
        super().setUp()
        self.url = reverse("consolidation:consolidate", args=[self.response_a.pk])

    def page(self, **params):
        """The page as a list (20 to a page); one value code at a time is tested on its own."""
        self.client.force_login(self.bob)
        params.setdefault("show", "page")
        r = self.client.get(self.url, params)
        self.assertEqual(r.status_code, 200)
        return r.content.decode()


class ConsolidationPageTests(ConsolidationFixture):
    def test_it_shows_everyones_view_with_department_and_role(self):
        html = section(self.page(area="EC"), "EC1")
        for name, dept, role in [
            ("Alice Marsh", "Adult Social Care", "Commissioning manager"),
            ("Carol Finch", "Finance", "Head of finance"),
            ("Dev Anand", "Highways", "Category manager"),
        ]:
            self.assertRegex(
                html,
                rf"<th scope=\"row\">{name}</th>\s*<td>{dept}</td>\s*<td>{role}</td>",
            )
        self.assertIn('<caption id="views-EC1">Colleagues\' views on EC1</caption>', html)

    def test_it_gives_the_spread_and_flags_views_two_levels_apart(self):
        html = self.page(area="EC")
        ec1 = section(html, "EC1")
        self.assertIn("<dd>From 1 to 4 (1, 3, 4); median 3</dd>", ec1)
        self.assertIn("Views differ by 3 levels", ec1)
        self.assertIn('<span aria-hidden="true">⚠ </span>', ec1)  # an icon as well as words
        self.assertIn("Adopt the suggested level (3)", ec1)
        ec2 = section(html, "EC2")
        self.assertIn("<dd>All at level 2 (2, 2); median 2</dd>", ec2)
        self.assertNotIn("Views differ", ec2)
        self.assertIn("2 colleagues gave a level; 1 has not answered yet", ec2)
        self.assertIn("Adopt the suggested level (2)", ec2)

    def test_not_yet_assessed_is_shown_but_left_out_of_the_figures(self):
        ec3 = section(self.page(area="EC"), "EC3")
        self.assertIn(
            "1 colleague gave a level; 1 said “not yet assessed”; 1 has not answered yet", ec3
        )
        self.assertIn("<dd>All at level 4 (4); median 4</dd>", ec3)
        self.assertIn("Not yet assessed</td>", ec3)
        self.assertNotIn("Views differ", ec3)

    def test_it_shows_only_the_people_asked_about_a_value_code(self):
        esm1 = section(self.page(area="ESM"), "ESM1")
        self.assertIn("Carol Finch", esm1)
        self.assertNotIn("Dev Anand", esm1)
        self.assertIn("<dd>From 1 to 5 (1, 5); median 3</dd>", esm1)
        # The suggestion is not the median here, and the page says why.
        self.assertIn(
            "The median, 3, falls between 1 and 5: the lower of the two is suggested.", esm1
        )
        self.assertIn("Adopt the suggested level (1)", esm1)

    def test_it_gathers_every_comment(self):
        ec1 = section(self.page(area="EC"), "EC1")
        self.assertIn("Only a third of contracts have a named manager.", ec1)
        self.assertIn("Finance tracks every contract over £100k.", ec1)
        self.assertIn("No comments.", section(self.page(area="EC"), "EC2"))

    def test_it_shows_the_decision_in_force_and_when_views_changed_since(self):
        vc = self.codes[0]  # EC1
        Decision.objects.create(
            response=self.response_a, value_code=vc, adopted_level=2, suggested_level=3,
            reason="Audit found gaps.", decided_by=self.bob,
        )  # fmt: skip
        Answer.objects.create(response=self.response_a, value_code=vc, current_level=2, version=1)
        html = section(self.page(area="EC"), "EC1")
        self.assertIn("adopted by Bob Hughes", html)
        self.assertIn("where level 3 was suggested", html)
        self.assertIn("Reason: “Audit found gaps.”", html)
        self.assertNotIn("Views changed since your decision", html)
        make_view(self.carol, "EC1", 4)  # saved after the decision
        html = section(self.page(area="EC"), "EC1")
        self.assertIn("Views changed since your decision", html)

    def test_it_counts_disagreements_and_waiting_value_codes(self):
        html = self.page()
        self.assertIn(
            "<dt>Views differ by two levels or more</dt><dd><strong>2</strong> value codes", html
        )
        self.assertIn("<dt>Waiting for a decision</dt><dd><strong>4</strong> value codes", html)
        self.assertIn("59, of which 4 have views from colleagues", html)


class OneAtATimeTests(ConsolidationFixture):
    """By default the lead works through one value code at a time, keeping the filters."""

    def get(self, **params):
        self.client.force_login(self.bob)
        r = self.client.get(self.url, params)
        self.assertEqual(r.status_code, 200)
        return r.content.decode()

    def test_by_default_it_shows_one_value_code_with_the_next(self):
        html = self.get()
        self.assertEqual(codes_on(html), ["EC1"])
        self.assertIn("Value code 1 of 59", html)
        self.assertIn('rel="next">Next<span class="visually-hidden"> value code</span>: EC2', html)
        self.assertNotIn('rel="prev"', html)
        self.assertIn('<option value="one" selected>One value code at a time</option>', html)

    def test_previous_and_next_keep_the_filters(self):
        html = self.get(open="1", page="2")
        self.assertEqual(codes_on(html), ["EC2"])
        self.assertIn("Value code 2 of 4 matching these filters", html)
        self.assertIn('href="?open=1&amp;page=1" rel="prev">', html)
        self.assertIn(": EC1</a>", html)
        self.assertIn('href="?open=1&amp;page=3" rel="next">', html)
        self.assertIn(": EC3<span", html)

    def test_the_last_has_no_next(self):
        html = self.get(differ="1", page="2")
        self.assertEqual(codes_on(html), ["ESM1"])
        self.assertNotIn('rel="next"', html)

    def test_twenty_to_a_page_on_request(self):
        html = self.get(show="page")
        self.assertEqual(len(codes_on(html)), 20)
        self.assertIn("Page 1 of 3", html)

    def test_an_unknown_choice_is_refused(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url, {"show": "all-at-once"})
        self.assertEqual(r.status_code, 400)


class FilterTests(ConsolidationFixture):
    def test_by_default_it_shows_the_first_page_of_every_value_code(self):
        html = self.page()
        self.assertEqual(codes_on(html), [vc.code for vc in self.codes[:20]])
        self.assertIn("<strong>59</strong> value codes match", html)
        self.assertIn("Page 1 of 3", html)
        html = self.page(page=3)
        self.assertEqual(codes_on(html), [vc.code for vc in self.codes[40:]])

    def test_only_disagreements(self):
        self.assertEqual(codes_on(self.page(differ="1")), ["EC1", "ESM1"])

    def test_only_waiting_for_a_decision(self):
        self.assertEqual(codes_on(self.page(open="1")), ["EC1", "EC2", "EC3", "ESM1"])

    def test_by_key_area(self):
        self.assertEqual(codes_on(self.page(area="ESM")), [f"ESM{i}" for i in range(1, 6)])

    def test_filters_combine(self):
        self.assertEqual(codes_on(self.page(area="EC", differ="1")), ["EC1"])
        self.assertEqual(codes_on(self.page(area="ESM", differ="1", open="1")), ["ESM1"])

    def test_a_consolidated_value_code_is_no_longer_waiting(self):
        vc = self.codes[1]  # EC2
        Decision.objects.create(
            response=self.response_a, value_code=vc, adopted_level=2, suggested_level=2,
            adopted_suggestion=True, decided_by=self.bob,
        )  # fmt: skip
        self.assertEqual(codes_on(self.page(open="1")), ["EC1", "EC3", "ESM1"])

    def test_the_filter_options_show_their_counts(self):
        html = self.page()
        self.assertIn("Only where views differ by two levels or more (2)", html)
        self.assertIn("Only value codes waiting for a decision (4)", html)
        self.assertRegex(html, r"EC [^<]+ \(5 value codes, 1 differ, 3 waiting\)</option>")

    def test_nothing_matching_says_so(self):
        html = self.page(area="WP", differ="1")
        self.assertEqual(codes_on(html), [])
        self.assertIn("No value code matches these filters", html)
        self.assertIn("<strong>0</strong> value codes match these filters", html)

    def test_an_unknown_key_area_is_refused_with_a_message(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url, {"area": "NOPE"})
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "Choose a key area from the list.", status_code=400)
        # Everything is shown instead.
        self.assertEqual(codes_on(r.content.decode())[:1], ["EC1"])

    def test_htmx_redraws_only_the_results(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url, {"differ": "1", "show": "page"}, HTTP_HX_REQUEST="true")
        html = r.content.decode()
        self.assertEqual(codes_on(html), ["EC1", "ESM1"])
        self.assertNotIn("<h1>", html)
        self.assertIn('hx-swap-oob="innerHTML">2 value codes match', html)


class EmptyStateTests(ConsolidationTestCase):
    def test_it_says_nobody_has_been_asked_yet(self):
        self.assignment_a.delete()
        self.client.force_login(self.bob)
        r = self.client.get(reverse("consolidation:consolidate", args=[self.response_a.pk]))
        self.assertContains(r, "Nobody has been asked for views yet")
        self.assertContains(r, reverse("consolidation:ask", args=[self.response_a.pk]))
        self.assertEqual(codes_on(r.content.decode()), [])

    def test_with_no_views_yet_every_value_code_says_so(self):
        self.client.force_login(self.bob)
        r = self.client.get(
            reverse("consolidation:consolidate", args=[self.response_a.pk]), {"area": "EC"}
        )
        html = section(r.content.decode(), "EC1")
        self.assertIn("No levels yet", html)
        self.assertIn("Not answered yet", html)
        self.assertNotIn("Adopt the suggested level", html)
        self.assertIn("Choose a level", html)


class QueryCountTests(ConsolidationTestCase):
    def count(self) -> tuple[int, str]:
        self.client.force_login(self.bob)
        url = reverse("consolidation:consolidate", args=[self.response_a.pk])
        self.client.get(url)  # warm the session and caches alike for both counts
        with CaptureQueriesContext(connection) as ctx:
            r = self.client.get(url, {"differ": "1"})
        self.assertEqual(r.status_code, 200)
        return len(ctx.captured_queries), r.content.decode()

    def test_it_reads_a_fixed_number_of_queries_whatever_the_number_of_contributors(self):
        for code in [vc.code for vc in self.codes]:
            make_view(self.assignment_a, code, 1)
        few, _ = self.count()
        for i in range(7):
            a = make_assignment(
                self.response_a, email=f"c{i}@example.org", name=f"Colleague {i}",
                department=f"Department {i % 3}", areas=[] if i % 2 else ["EC", "WP"],
            )  # fmt: skip
            for vc in self.codes:
                make_view(a, vc.code, 1 + (i + vc.position) % 5)
        with self.assertNumQueries(few):
            self.client.get(
                reverse("consolidation:consolidate", args=[self.response_a.pk]), {"differ": "1"}
            )
        self.assertLessEqual(few, 10)


class AccessTests(ConsolidationTestCase):
    def test_only_the_lead_may_see_it(self):
        url = reverse("consolidation:consolidate", args=[self.response_a.pk])
        expected = {
            "alice": 403, "victor": 403, "nina": 403, "erin": 403,
            "charlie": 404, "dana": 404, "zoe": 404, "bob": 200,
        }  # fmt: skip
        got = {}
        for key, user in self.personas.items():
            self.client.force_login(user)
            got[key] = self.client.get(url).status_code
        self.assertEqual(got, expected)

    def test_signed_out_people_are_sent_to_sign_in(self):
        r = self.client.get(reverse("consolidation:consolidate", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 302)
        self.assertIn(reverse("accounts:sign_in"), r["Location"])

    def test_a_post_is_not_allowed(self):
        self.client.force_login(self.bob)
        r = self.client.post(reverse("consolidation:consolidate", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 405)


class AdoptTests(ConsolidationFixture):
    def adopt(self, code: str, user=None, *, htmx: bool = False, **data):
        self.client.force_login(user or self.bob)
        url = reverse("consolidation:adopt", args=[self.response_a.pk, code])
        payload = {"version": "0", **{k: str(v) for k, v in data.items()}}
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        return self.client.post(url, payload, **headers)

    def agreed(self, code: str) -> Answer | None:
        return Answer.objects.filter(response=self.response_a, value_code__code=code).first()

    def test_adopting_the_suggestion_records_who_when_and_the_views(self):
        r = self.adopt("EC1", level=3, suggested=3, differ=1)
        self.assertEqual(r.status_code, 302)
        self.assertEqual(r["Location"], f"{self.url}?differ=1#vc-EC1")
        d = Decision.objects.get(response=self.response_a, value_code__code="EC1")
        self.assertEqual(
            (d.adopted_level, d.suggested_level, d.adopted_suggestion, d.reason, d.decided_by),
            (3, 3, True, "", self.bob),
        )
        self.assertIsNotNone(d.decided_at)
        self.assertEqual(
            sorted((v["name"], v["department"], v["role"], v["level"]) for v in d.views),
            [
                ("Alice Marsh", "Adult Social Care", "Commissioning manager", 1),
                ("Carol Finch", "Finance", "Head of finance", 3),
                ("Dev Anand", "Highways", "Category manager", 4),
            ],
        )
        answer = self.agreed("EC1")
        self.assertEqual(
            (answer.current_level, answer.version, answer.updated_by), (3, 1, self.bob)
        )
        page = self.client.get(r["Location"]).content.decode()
        self.assertIn("Adopted level 3 for EC1", page)
        self.assertIn("the suggested level.", section(page, "EC1"))

    def test_adopting_keeps_the_rest_of_the_agreed_answer(self):
        Answer.objects.create(
            response=self.response_a, value_code=self.codes[0], current_level=1, target_level=4,
            comment="Our evidence.", version=3,
        )  # fmt: skip
        self.assertEqual(self.adopt("EC1", level=3, version=3).status_code, 302)
        a = self.agreed("EC1")
        self.assertEqual(
            (a.current_level, a.target_level, a.comment, a.version), (3, 4, "Our evidence.", 4)
        )

    def test_another_level_needs_a_reason(self):
        r = self.adopt("EC1", level=1, suggested=3, choice="other", reason="  ")
        self.assertEqual(r.status_code, 422)
        html = section(r.content.decode(), "EC1")
        self.assertIn("Say why you chose a level other than the suggested one.", html)
        self.assertIn('href="#adopt-EC1-reason"', html)  # the error summary links to the field
        self.assertIn('id="adopt-EC1-level-1" checked', html)  # the choice is kept
        self.assertIn("<details open>", html)
        self.assertFalse(Decision.objects.exists())
        self.assertIsNone(self.agreed("EC1"))

    def test_another_level_with_a_reason_is_kept_with_it(self):
        r = self.adopt("EC1", level=2, suggested=3, choice="other", reason="Audit found gaps.")
        self.assertEqual(r.status_code, 302)
        d = Decision.objects.get()
        self.assertEqual(
            (d.adopted_level, d.suggested_level, d.adopted_suggestion, d.reason),
            (2, 3, False, "Audit found gaps."),
        )
        self.assertEqual(self.agreed("EC1").current_level, 2)
        page = self.client.get(self.url, {"area": "EC"}).content.decode()
        self.assertIn("Reason: “Audit found gaps.”", section(page, "EC1"))

    def test_not_yet_assessed_can_be_adopted(self):
        r = self.adopt("EC1", level=0, choice="other", reason="Nobody can judge it yet.")
        self.assertEqual(r.status_code, 302)
        self.assertEqual(self.agreed("EC1").current_level, 0)

    def test_bad_input_changes_nothing(self):
        for data, message in [
            ({}, "Choose a level to adopt."),
            ({"level": "6"}, "Choose a level from 1 to 5"),
            ({"level": "-1"}, "Choose a level from 1 to 5"),
            ({"level": "three"}, "Choose a level from 1 to 5"),
            ({"level": "2", "reason": "x" * 2001}, "Keep the reason to 2000 characters"),
            ({"level": "3", "version": "-1"}, "Something went wrong with this form"),
            ({"level": "3", "version": "abc"}, "Something went wrong with this form"),
        ]:
            with self.subTest(data=data):
                r = self.adopt("EC1", **data)
                self.assertEqual(r.status_code, 422)
                self.assertIn(message, r.content.decode())
        self.assertFalse(Decision.objects.exists())
        self.assertFalse(Answer.objects.exists())

    def test_a_stale_version_is_refused_with_the_current_level(self):
        Answer.objects.create(
            response=self.response_a, value_code=self.codes[0], current_level=4, version=2,
            updated_by=self.bob,
        )  # fmt: skip
        r = self.adopt("EC1", level=3, suggested=3, version=1)
        self.assertEqual(r.status_code, 409)
        html = section(r.content.decode(), "EC1")
        self.assertIn("The agreed answer for EC1 changed since you loaded this page", html)
        self.assertIn(
            "The agreed answer is now <strong>level 4</strong>, saved by Bob Hughes", html
        )
        self.assertIn('name="version" value="2"', html)  # the next try is against the new one
        self.assertFalse(Decision.objects.exists())
        self.assertEqual(self.agreed("EC1").current_level, 4)

    def test_a_changed_suggestion_is_explained(self):
        make_view(self.carol, "EC1", 4)  # the median is now 4; the page said 3
        r = self.adopt("EC1", level=3, suggested=3)
        self.assertEqual(r.status_code, 422)
        self.assertIn("the suggested level is now level 4", r.content.decode())
        self.assertFalse(Decision.objects.exists())

    def test_a_submitted_response_is_locked_and_read_only(self):
        type(self.response_a).objects.filter(pk=self.response_a.pk).update(status="submitted")
        r = self.adopt("EC1", level=3, suggested=3)
        self.assertEqual(r.status_code, 423)
        html = r.content.decode()
        self.assertIn("This response can no longer be changed", html)
        self.assertNotIn("Adopt the suggested level", html)
        self.assertNotIn(
            'action="' + reverse("consolidation:adopt", args=[self.response_a.pk, "EC1"]), html
        )
        self.assertFalse(Decision.objects.exists())
        page = self.client.get(self.url).content.decode()
        self.assertIn("This response can no longer be changed", page)
        self.assertNotIn('<form method="post"', page.split("<main", 1)[1])

    def test_a_retried_post_makes_one_decision(self):
        for _ in range(2):
            r = self.adopt("EC1", level=3, suggested=3, request_id="abc123")
            self.assertEqual(r.status_code, 302)
        self.assertEqual(Decision.objects.count(), 1)
        self.assertEqual(self.agreed("EC1").version, 1)

    def test_htmx_redraws_the_value_code(self):
        r = self.adopt("EC2", level=2, suggested=2, htmx=True)
        self.assertEqual(r.status_code, 200)
        html = r.content.decode()
        self.assertEqual(codes_on(html), ["EC2"])
        self.assertIn("Adopted level 2 for EC2", html)
        self.assertIn('id="consolidation-counts" hx-swap-oob="true"', html)
        self.assertIn("<dt>Waiting for a decision</dt><dd><strong>3</strong> value codes", html)
        r = self.adopt("EC2", level=5, htmx=True, choice="other")
        self.assertEqual(r.status_code, 422)
        self.assertIn("Say why you chose", r.content.decode())
        self.assertEqual(Decision.objects.count(), 1)

    def test_an_unknown_value_code_is_not_found(self):
        self.assertEqual(self.adopt("NOPE1", level=3).status_code, 404)

    def test_only_the_lead_may_adopt(self):
        expected = {
            "alice": 403, "victor": 403, "nina": 403, "erin": 403,
            "charlie": 404, "dana": 404, "zoe": 404,
        }  # fmt: skip
        got = {}
        for key, user in self.personas.items():
            if key != "bob":
                got[key] = self.adopt("EC1", user, level=3, suggested=3).status_code
        self.assertEqual(got, expected)
        self.assertFalse(Decision.objects.exists())

    def test_it_is_post_only(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("consolidation:adopt", args=[self.response_a.pk, "EC1"]))
        self.assertEqual(r.status_code, 405)

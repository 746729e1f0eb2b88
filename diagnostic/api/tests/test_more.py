"""Good practice (open), a council lead's introductions and where to focus support, through
HTTP with tokens: the same case studies, disclosures and suppressed figures as the site's pages."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnostic.api.testing import V1, TokenClient, make_token
from diagnostic.broker.models import Introduction, Visibility
from diagnostic.broker.testing import BrokerTestCase, choose
from diagnostic.practice.models import State
from diagnostic.practice.models import Visibility as CaseVisibility
from diagnostic.practice.testing import PracticeTestCase, make_case_study
from diagnostic.support.testing import SupportTestCase

FIGURES = ("organisations", "demand", "wanting", "weighted_gap", "peers", "adviser_days", "unmet")


def all_items(client, url):
    items = []
    while url:
        body = client.get(url).json()
        items += body["items"]
        url = body["next"]
    return items


class CaseStudyApiTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        fv = self.framework
        self.public = make_case_study(self.council_a, fv, title="Public and named")
        self.anonymous = make_case_study(
            self.council_b, fv, title="Public and anonymous", named=False, codes=("OSV1",)
        )
        self.councils_only = make_case_study(
            self.council_a, fv, title="Councils only", visibility=CaseVisibility.COUNCILS
        )
        self.sector_only = make_case_study(
            self.council_a, fv, title="Sector only", visibility=CaseVisibility.SECTOR_BODIES
        )
        self.withdrawn = make_case_study(
            self.council_a, fv, title="Withdrawn", state=State.WITHDRAWN
        )
        self.draft = make_case_study(self.council_a, fv, title="Draft", state=State.DRAFT)
        self.submitted = make_case_study(
            self.council_a, fv, title="Submitted", state=State.SUBMITTED
        )
        self.url = f"{V1}/case-studies"

    def test_the_list_is_the_public_librarys_for_a_signed_out_visitor(self):
        items = all_items(self.client, self.url + "?page_size=1")
        self.assertEqual({i["title"] for i in items}, {"Public and named", "Public and anonymous"})
        # The same case studies as the library page shows a signed-out visitor.
        page = self.client.get(reverse("practice:library"))
        self.assertEqual(
            {cs.title for cs in page.context["page"].object_list}, {i["title"] for i in items}
        )
        named = next(i for i in items if i["title"] == "Public and named")
        self.assertEqual(
            named["council"], {"gss_code": self.council_a.gss_code, "name": self.council_a.name}
        )
        self.assertEqual(named["author"], self.council_a.name)
        self.assertEqual(named["value_codes"], ["EC1"])
        self.assertEqual(
            named["level"]["number"], self.framework.levels.order_by("number").last().number
        )

    def test_a_token_or_a_session_sees_no_more(self):
        """The open list is the signed-out view whoever asks: a national admin's token or
        session adds nothing."""
        for client in (TokenClient(make_token(self.erin)), self.client):
            if client is self.client:
                client.force_login(self.erin)
            titles = {i["title"] for i in all_items(client, self.url)}
            self.assertEqual(titles, {"Public and named", "Public and anonymous"})

    def test_an_anonymous_case_study_never_names_its_council(self):
        for url in (self.url, f"{self.url}/{self.anonymous.pk}"):
            with self.subTest(url=url):
                body = self.client.get(url).content.decode()
                self.assertIn("Public and anonymous", body)
                self.assertNotIn(self.council_b.name, body)
                self.assertNotIn(self.council_b.gss_code, body)
                self.assertNotIn(self.council_b.short_name, body)
        one = self.client.get(f"{self.url}/{self.anonymous.pk}").json()
        self.assertIsNone(one["council"])
        self.assertEqual(one["author"], self.anonymous.author_label)

    def test_one_case_study_in_full(self):
        r = self.client.get(f"{self.url}/{self.public.pk}")
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual(body["what_was_done"], self.public.what_was_done)
        self.assertEqual(body["results"], "Spend under contract rose from 61% to 88% in a year.")
        self.assertEqual(body["contact_role"], "Head of procurement")
        self.assertTrue(body["url"].endswith(reverse("practice:case_study", args=[self.public.pk])))

    def test_restricted_withdrawn_and_unpublished_ones_are_404_like_a_missing_one(self):
        for cs in (
            self.councils_only,
            self.sector_only,
            self.withdrawn,
            self.draft,
            self.submitted,
        ):
            for client in (self.client, TokenClient(make_token(self.bob))):
                with self.subTest(cs=cs.title):
                    r = client.get(f"{self.url}/{cs.pk}")
                    self.assertEqual(r.status_code, 404)
                    self.assertEqual(r["Content-Type"], "application/problem+json")
        self.assertEqual(self.client.get(f"{self.url}/987654321").status_code, 404)

    def test_filters_are_the_librarys(self):
        self.assertEqual(
            [i["title"] for i in self.client.get(self.url + "?value_code=OSV1").json()["items"]],
            ["Public and anonymous"],
        )
        self.assertEqual(
            [i["title"] for i in self.client.get(self.url + "?sort=title").json()["items"]],
            ["Public and anonymous", "Public and named"],
        )
        region = self.council_a.region.code
        self.assertEqual(
            [i["title"] for i in self.client.get(f"{self.url}?region={region}").json()["items"]],
            ["Public and named"],
        )
        self.assertEqual(self.client.get(self.url + "?sort=worst").status_code, 422)

    def test_search_is_the_librarys_and_never_finds_a_restricted_one(self):
        for q, expected in [("anonymous", ["Public and anonymous"]), ("Councils only", []),
                            ("Withdrawn", []), ("Sector", [])]:  # fmt: skip
            with self.subTest(q=q):
                r = self.client.get(self.url, {"q": q})
                self.assertEqual([i["title"] for i in r.json()["items"]], expected)
                page = self.client.get(reverse("practice:library"), {"q": q})
                self.assertEqual([cs.title for cs in page.context["page"].object_list], expected)

    def test_queries_per_page_are_constant(self):
        for i in range(6):
            make_case_study(self.council_a, self.framework, title=f"More {i}", codes=("EC1", "EC2"))
        counts = []
        for n in (1, 8):
            with CaptureQueriesContext(connection) as ctx:
                body = self.client.get(f"{self.url}?page_size={n}").json()
            self.assertEqual(len(body["items"]), n)
            counts.append(len(ctx))
        self.assertEqual(counts[0], counts[1])
        self.assertLessEqual(counts[1], 6)


class IntroductionApiTests(BrokerTestCase):
    def setUp(self):
        super().setUp()
        now = timezone.now()

        def intro(a, b, **kw):
            first, second = sorted([a, b], key=lambda o: o.pk)
            return Introduction.objects.create(
                round=self.round, first=first, second=second, proposed_as="national",
                proposed_at=now, expires_at=now + dt.timedelta(days=14), **kw,
            )  # fmt: skip

        self.accepted = intro(
            self.council_a, self.council_b, status="accepted",
            first_answer="accepted", second_answer="accepted", accepted_at=now,
            first_answered_by=self.bob if self.council_a.pk < self.council_b.pk else self.charlie,
            second_answered_by=self.charlie if self.council_a.pk < self.council_b.pk else self.bob,
            reasons={"first": ["gain 1"], "second": ["gain 2"], "fit": ["same region"]},
        )  # fmt: skip
        # Council C chose "not at all" and has not answered.
        choose(self.round, self.council_c, Visibility.NONE)
        self.hidden = intro(self.council_a, self.council_c)
        self.d_only = intro(self.council_b, self.council_d)
        self.bob_client = TokenClient(make_token(self.bob, scopes=["read"]))

    def items(self, client, query=""):
        return all_items(client, f"{V1}/introductions?page_size=1{query}")

    def test_a_lead_sees_their_councils_introductions_only(self):
        items = self.items(self.bob_client)
        self.assertEqual({i["id"] for i in items}, {self.accepted.pk, self.hidden.pk})
        self.assertNotIn(self.council_d.gss_code, str(items))

    def test_contact_details_only_once_both_accepted(self):
        accepted = self.bob_client.get(f"{V1}/introductions/{self.accepted.pk}").json()
        self.assertEqual(
            accepted["contact"],
            {"full_name": self.charlie.full_name, "job_title": self.charlie.job_title,
             "email": self.charlie.email},
        )  # fmt: skip
        self.assertEqual(accepted["other_council"]["gss_code"], self.council_b.gss_code)
        self.assertEqual(accepted["your_council"]["gss_code"], self.council_a.gss_code)
        self.assertIn("same region", accepted["reasons"]["fit"])
        waiting = self.bob_client.get(f"{V1}/introductions/{self.hidden.pk}").json()
        self.assertIsNone(waiting["contact"])
        self.assertEqual(waiting["status"], "proposed")

    def test_a_not_at_all_council_is_never_named_before_it_accepts(self):
        for body in (
            self.bob_client.get(f"{V1}/introductions/{self.hidden.pk}").content.decode(),
            self.bob_client.get(f"{V1}/introductions").content.decode(),
        ):
            self.assertNotIn(self.council_c.gss_code, body)
            self.assertNotIn(self.council_c.short_name, body)
            self.assertNotIn(self.cleo.email, body)
        waiting = self.bob_client.get(f"{V1}/introductions/{self.hidden.pk}").json()
        self.assertEqual((waiting["other_council"], waiting["reasons"]), (None, None))
        # Once it accepts, it is named (as on the introduction page); contact still waits.
        side = "first" if self.hidden.first_id == self.council_c.pk else "second"
        Introduction.objects.filter(pk=self.hidden.pk).update(**{f"{side}_answer": "accepted"})
        waiting = self.bob_client.get(f"{V1}/introductions/{self.hidden.pk}").json()
        self.assertEqual(waiting["other_council"]["gss_code"], self.council_c.gss_code)
        self.assertIsNone(waiting["contact"])

    def test_the_same_disclosure_as_the_page(self):
        self.client.force_login(self.bob)
        page = self.client.get(reverse("broker:introduction", args=[self.hidden.pk]))
        self.assertFalse(page.context["named"])
        self.assertIsNone(page.context["contact"])
        page = self.client.get(reverse("broker:introduction", args=[self.accepted.pk]))
        self.assertTrue(page.context["named"])
        self.assertEqual(page.context["contact"], self.charlie)

    def test_others_get_404_and_an_empty_list(self):
        for user in (self.dev, self.alice, self.erin, self.dana):
            client = TokenClient(make_token(user))
            with self.subTest(user=user.email):
                self.assertEqual(
                    client.get(f"{V1}/introductions/{self.accepted.pk}").status_code, 404
                )
        self.assertEqual(self.items(TokenClient(make_token(self.alice))), [])
        self.assertEqual(
            [i["id"] for i in self.items(TokenClient(make_token(self.dev)))], [self.d_only.pk]
        )

    def test_round_filter(self):
        self.assertEqual(len(self.items(self.bob_client, f"&round={self.round.pk}")), 2)
        self.assertEqual(self.items(self.bob_client, "&round=987654321"), [])

    def test_queries_per_page_are_constant(self):
        counts = []
        # The first request in a rate-limit window adds its count (one statement without
        # Redis); every later one increments it: warm up past that.
        self.bob_client.get(f"{V1}/introductions?page_size=1")
        for n in (1, 2):
            with CaptureQueriesContext(connection) as ctx:
                body = self.bob_client.get(f"{V1}/introductions?page_size={n}").json()
            self.assertEqual(len(body["items"]), n)
            counts.append(len(ctx))
        self.assertEqual(counts[0], counts[1])


class SupportFocusApiTests(SupportTestCase):
    def url(self, query=""):
        return f"{V1}/sector/rounds/{self.round.pk}/support/focus?page_size=200{query}"

    def ranking(self, user, query=""):
        r = TokenClient(make_token(user)).get(self.url(query))
        self.assertEqual(r.status_code, 200, r.content)
        return r.json()["items"]

    def test_the_national_team_gets_the_pages_ranking(self):
        items = self.ranking(self.erin)
        self.assertEqual(items[0]["code"], "EC")
        self.assertEqual(items[0]["rank"], 1)
        self.assertEqual(tuple(items[0][k] for k in FIGURES), (12, 5, 2, 11, 1, 0, 4))
        self.client.force_login(self.erin)
        page = self.client.get(reverse("support:focus")).context["ranking"]
        self.assertEqual(
            [(i["code"], tuple(i[k] for k in FIGURES)) for i in items],
            [(r["code"], tuple(r[k] for k in FIGURES)) for r in page],
        )

    def test_value_codes(self):
        top = self.ranking(self.erin, "&by=value_code")[:2]
        self.assertEqual(
            [(t["code"], tuple(t[k] for k in FIGURES)) for t in top],
            [("EC1", (12, 4, 1, 11, 1, 0, 3)), ("EC2", (12, 1, 1, 0, 0, 0, 1))],
        )

    def test_a_regional_lead_gets_their_region(self):
        items = self.ranking(self.dana)
        self.assertEqual(tuple(items[0][k] for k in FIGURES), (8, 3, 1, 10, 1, 0, 2))
        self.assertEqual(self.ranking(self.dana, f"&region={self.north_west.code}"), items)
        # Another region is not hers: 404, as for a region that does not exist.
        client = TokenClient(make_token(self.dana))
        self.assertEqual(client.get(self.url(f"&region={self.south_east.code}")).status_code, 404)
        self.assertEqual(client.get(self.url("&region=E99")).status_code, 404)

    def test_a_small_region_is_suppressed_for_its_lead_not_for_the_national_team(self):
        items = self.ranking(self.sam)
        self.assertTrue(items)
        for row in items:
            self.assertTrue(row["suppressed"])
            self.assertIsNone(row["rank"])
            self.assertEqual({row[k] for k in FIGURES}, {None})
        self.assertEqual(
            [row["code"] for row in items],
            list(self.framework.keyareas.order_by("position").values_list("code", flat=True)),
        )
        national = self.ranking(self.nina, f"&region={self.south_east.code}")
        self.assertFalse(national[0]["suppressed"])
        self.assertEqual(national[0]["demand"], 2)

    def test_council_roles_are_refused(self):
        for user in (self.bob, self.charlie, self.alice):
            with self.subTest(user=user.email):
                r = TokenClient(make_token(user)).get(self.url())
                self.assertEqual(r.status_code, 403)

    def test_a_missing_or_draft_round_is_404(self):
        client = TokenClient(make_token(self.erin))
        r = client.get(f"{V1}/sector/rounds/987654321/support/focus")
        self.assertEqual(r.status_code, 404)
        type(self.round).objects.filter(pk=self.round.pk).update(status="draft")
        self.assertEqual(client.get(self.url()).status_code, 404)

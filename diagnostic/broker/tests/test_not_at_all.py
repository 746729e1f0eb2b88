"""A council that chose "not at all" appears in nothing another council, a regional lead or the
national team sees from the broker: suggestions, introductions, plans, coverage, emails. And a
page's queries do not grow with the number of councils."""

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostic.broker import services
from diagnostic.broker.models import Introduction, Visibility
from diagnostic.broker.testing import STRONG, BrokerTestCase, choose, need, submit_with


class NotAtAllTests(BrokerTestCase):
    def pages(self):
        rnd = self.round.pk
        return [
            (self.bob, reverse("broker:partners", args=[self.response_a.pk])),
            (self.dev, reverse("broker:partners", args=[self.response_d.pk])),
            (self.charlie, reverse("broker:partners", args=[self.response_b.pk])),
            (self.erin, reverse("broker:plan", args=[rnd]) + "?capacity=3"),
            (self.nina, reverse("broker:plan", args=[rnd]) + "?capacity=1&region=E12000008"),
            (self.erin, reverse("broker:coverage", args=[rnd])),
            (self.erin, reverse("broker:coverage", args=[rnd]) + "?capacity=1&region=E12000008"),
            (self.dana, reverse("broker:plan", args=[rnd]) + "?capacity=2"),
            (self.dana, reverse("broker:coverage", args=[rnd])),
            (self.erin, reverse("broker:dashboard", args=[rnd])),
        ] + [
            (self.erin, reverse("broker:introduction", args=[i.pk]))
            for i in Introduction.objects.all()
        ]

    def test_it_appears_nowhere(self):
        # Council C is seen everywhere while named (the control case) …
        seen = []
        for user, url in self.pages():
            self.client.force_login(user)
            r = self.client.get(url)
            self.assertEqual(r.status_code, 200, url)
            seen.append("Council C" in r.content.decode())
        self.assertTrue(any(seen))
        # … and nowhere once it chose "not at all"; no proposal to it is possible either.
        choose(self.round, self.council_c, Visibility.NONE)
        for user, url in self.pages():
            self.client.force_login(user)
            with self.subTest(user=user.email, url=url):
                self.assertNotContains(self.client.get(url), "Council C")
        for proposer in (self.erin, self.dana, self.bob, self.dev):
            self.client.force_login(proposer)
            self.client.post(
                reverse("broker:propose", args=[self.round.pk]),
                {"first": self.council_a.pk, "second": self.council_c.pk},
            )
            self.client.post(
                reverse("broker:ask", args=[self.response_a.pk]), {"partner": self.council_c.pk}
            )
            self.client.post(
                reverse("broker:ask", args=[self.response_d.pk]), {"partner": self.council_c.pk}
            )
        self.assertFalse(Introduction.objects.filter(second=self.council_c).exists())
        self.assertFalse(any("Council C" in m.body for m in mail.outbox))

    def test_choosing_it_withdraws_a_proposal_naming_it(self):
        intro = services.do_propose(
            rnd=self.round, a=self.council_c, b=self.council_d, by=self.erin
        )
        self.client.force_login(self.dev)
        self.assertContains(
            self.client.get(reverse("broker:introduction", args=[intro.pk])), "Council C"
        )
        services.do_set_disclosure(
            response=self.response_c, visibility=Visibility.NONE, show_levels=False, by=self.cleo
        )
        intro.refresh_from_db()
        self.assertEqual(intro.status, "withdrawn")
        self.assertNotContains(
            self.client.get(reverse("broker:partners", args=[self.response_d.pk])), "Council C"
        )


class QueryCountTests(BrokerTestCase):
    def test_pages_take_the_same_queries_however_many_councils(self):
        urls = [
            (self.bob, reverse("broker:partners", args=[self.response_a.pk])),
            (self.erin, reverse("broker:plan", args=[self.round.pk]) + "?capacity=2"),
            (self.erin, reverse("broker:coverage", args=[self.round.pk])),
            (self.erin, reverse("broker:dashboard", args=[self.round.pk])),
        ]
        before = {}
        for user, url in urls:
            self.client.force_login(user)
            self.client.get(url)  # the round's answers are now cached, as in production
            with CaptureQueriesContext(connection) as q:
                self.client.get(url)
            before[url] = len(q)
            self.assertLessEqual(len(q), 12, url)
        from diagnostic.assessments.models import Response
        from diagnostic.organisations.models import Organisation

        for i in range(6):
            org = Organisation.objects.create(gss_code=f"E0600{i:04d}", name=f"Extra {i}", short_name=f"Extra {i}",
                                              type="unitary", region=self.north_west, nation="England")  # fmt: skip
            resp = Response.objects.create(round=self.round, organisation=org)
            submit_with(resp, {"MCR2": need(), "OSV1": STRONG, "EC1": need()}, self.codes)
            choose(self.round, org)
        from diagnostic.analytics.cache import bump

        bump(self.round.pk)
        for user, url in urls:
            self.client.force_login(user)
            self.client.get(url)
            with CaptureQueriesContext(connection) as q:
                self.client.get(url)
            self.assertEqual(len(q), before[url], url)

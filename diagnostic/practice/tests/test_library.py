"""The library page: filters, sorting, pagination, constant queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostic.organisations.models import Organisation
from diagnostic.practice.testing import PracticeTestCase, make_case_study


class LibraryTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        fw = self.framework
        self.themes = list(fw.themes.order_by("position"))
        vc_last = fw.valuecodes.order_by("-position").first()
        self.a = make_case_study(self.council_a, fw, title="Alpha register", codes=("EC1",),
                                 level_rank=-1)  # fmt: skip
        self.b = make_case_study(self.council_b, fw, title="Bravo last code",
                                 codes=(vc_last.code,), level_rank=-2)  # fmt: skip
        self.vc_last = vc_last
        enabler = fw.enablers.first()
        self.a.enablers.add(enabler)
        self.enabler = enabler

    def titles(self, **params) -> list[str]:
        r = self.client.get(reverse("practice:library"), params)
        self.assertEqual(r.status_code, 200)
        return [cs.title for cs in r.context["page"].object_list]

    def test_each_filter(self):
        top = self.framework.levels.order_by("-number").first()
        ka_a = self.a.key_area
        self.assertEqual(
            self.titles(theme=ka_a.theme.code),
            ["Alpha register"]
            if ka_a.theme != self.b.key_area.theme
            else ["Bravo last code", "Alpha register"],
        )
        self.assertEqual(self.titles(key_area=ka_a.code), ["Alpha register"])
        self.assertEqual(self.titles(value_code=self.vc_last.code), ["Bravo last code"])
        self.assertEqual(self.titles(enabler=self.enabler.code), ["Alpha register"])
        self.assertEqual(self.titles(level=top.number), ["Alpha register"])
        self.assertEqual(self.titles(council_type="county"), ["Bravo last code"])
        self.assertEqual(self.titles(region="E12000002"), ["Alpha register"])
        self.assertEqual(self.titles(region="W92000004"), [])

    def test_nonsense_filters_find_nothing_and_break_nothing(self):
        for params in [{"level": "abc"}, {"above": "x"}, {"value_code": "<script>"},
                       {"sort": "DROP"}, {"page": "999"}, {"page": "-1"}, {"q": "x" * 5000}]:  # fmt: skip
            with self.subTest(params=params):
                r = self.client.get(reverse("practice:library"), params)
                self.assertEqual(r.status_code, 200)
        self.assertEqual(self.titles(value_code="<script>"), [])

    def test_sorting(self):
        self.assertEqual(self.titles(sort="title"), ["Alpha register", "Bravo last code"])
        self.assertEqual(self.titles(sort="newest"), ["Bravo last code", "Alpha register"])
        self.assertEqual(self.titles(sort="oldest"), ["Alpha register", "Bravo last code"])

    def test_pagination(self):
        for i in range(25):
            make_case_study(self.council_a, self.framework, title=f"More {i:02d}")
        r = self.client.get(reverse("practice:library"), {"sort": "title", "page": 2})
        self.assertEqual(len(r.context["page"].object_list), 7)
        self.assertContains(r, "Showing 21–27 of 27")
        self.assertContains(r, 'href="?sort=title&amp;page=1"')

    def test_queries_do_not_grow_with_the_number_of_case_studies(self):
        self.client.force_login(self.bob)
        self.client.get("/")
        self.client.get(reverse("practice:library"))  # the filters' choices are cached per version

        def count():
            with CaptureQueriesContext(connection) as ctx:
                self.client.get(reverse("practice:library"), {"q": "register"})
            return len(ctx.captured_queries)

        few = count()
        other = Organisation.objects.create(gss_code="E06000001", name="Hartlepool", short_name="H",
                                            type="unitary", region=self.north_west, nation="England")  # fmt: skip
        for i in range(30):
            make_case_study(other, self.framework, title=f"Register {i}", codes=("EC1", "EC2"))
        self.assertEqual(count(), few)
        self.assertLessEqual(few, 10)

    def test_the_public_view_invites_signing_in(self):
        self.assertContains(
            self.client.get(reverse("practice:library")), "Signed-in councils see more."
        )
        self.client.force_login(self.bob)
        self.assertNotContains(
            self.client.get(reverse("practice:library")), "Signed-in councils see more."
        )


class FilterWithoutRepeatsTests(PracticeTestCase):
    def test_a_case_study_with_several_value_codes_and_enablers_is_listed_once(self):
        cs = make_case_study(self.council_a, self.framework, title="Two codes",
                             codes=("EC1", "EC2"))  # fmt: skip
        cs.enablers.set(self.framework.enablers.all()[:2])
        for params in [{"value_code": "EC1"}, {"value_code": "EC2"},
                       {"enabler": self.framework.enablers.all()[1].code},
                       {"value_code": "EC1", "sort": "title"}]:  # fmt: skip
            with self.subTest(params=params):
                r = self.client.get(reverse("practice:library"), params)
                self.assertEqual([c.title for c in r.context["page"].object_list], ["Two codes"])
                self.assertEqual(r.context["page"].paginator.count, 1)

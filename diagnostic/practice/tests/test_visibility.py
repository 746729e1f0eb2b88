"""A withdrawn or restricted case study never appears where it should not: on the library, its
page, a search result, the feed, the CSV export, or beside a value code (ASVS 8.2.2, 8.3.1)."""

from django.urls import reverse

from diagnostic.practice.models import State, Visibility
from diagnostic.practice.testing import PracticeTestCase, make_case_study


class VisibilityTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        # Council B (South East) writes them, so Council A's people read them as outsiders.
        self.public = make_case_study(self.council_b, self.framework, title="Zebra public",
                                      body="quagga everyone")  # fmt: skip
        self.councils = make_case_study(
            self.council_b, self.framework, title="Zebra councils", body="quagga councils",
            visibility=Visibility.COUNCILS,
        )  # fmt: skip
        self.sector = make_case_study(
            self.council_b, self.framework, title="Zebra sector", body="quagga sector",
            visibility=Visibility.SECTOR_BODIES,
        )  # fmt: skip
        self.withdrawn = make_case_study(
            self.council_b, self.framework, title="Zebra withdrawn", body="quagga withdrawn",
            state=State.WITHDRAWN,
        )  # fmt: skip
        self.draft = make_case_study(self.council_b, self.framework, title="Zebra draft",
                                     body="quagga draft", state=State.DRAFT)  # fmt: skip
        self.review = make_case_study(self.council_b, self.framework, title="Zebra review",
                                      body="quagga review", state=State.IN_REVIEW)  # fmt: skip

    # Who should see which, as an outsider to Council B.
    EXPECTED = {
        None: {"Zebra public"},
        "zoe": {"Zebra public"},
        "alice": {"Zebra public", "Zebra councils"},
        "bob": {"Zebra public", "Zebra councils"},
        "dana": {"Zebra public", "Zebra councils", "Zebra sector"},
        "nina": {"Zebra public", "Zebra councils", "Zebra sector"},
        "erin": {"Zebra public", "Zebra councils", "Zebra sector"},
    }
    ALL = ["public", "councils", "sector", "withdrawn", "draft", "review"]

    def as_(self, key):
        if key is None:
            self.client.logout()
        else:
            self.client.force_login(getattr(self, key))

    def titles_on(self, url) -> set[str]:
        r = self.client.get(url)
        self.assertEqual(r.status_code, 200, url)
        text = r.content.decode()
        return {t for t in (getattr(self, k).title for k in self.ALL) if t in text}

    def test_the_library_page(self):
        for key, expected in self.EXPECTED.items():
            with self.subTest(user=key):
                self.as_(key)
                self.assertEqual(self.titles_on(reverse("practice:library")), expected)

    def test_search_results(self):
        for key, expected in self.EXPECTED.items():
            with self.subTest(user=key):
                self.as_(key)
                url = reverse("practice:library") + "?q=quagga"
                self.assertEqual(self.titles_on(url), expected)

    def test_the_csv_export(self):
        for key, expected in self.EXPECTED.items():
            with self.subTest(user=key):
                self.as_(key)
                self.assertEqual(self.titles_on(reverse("practice:library_csv")), expected)

    def test_the_feed_carries_public_ones_only_whoever_asks(self):
        for key in self.EXPECTED:
            with self.subTest(user=key):
                self.as_(key)
                self.assertEqual(self.titles_on(reverse("practice:feed")), {"Zebra public"})

    def test_each_case_study_page(self):
        for key, expected in self.EXPECTED.items():
            self.as_(key)
            for name in self.ALL:
                cs = getattr(self, name)
                r = self.client.get(reverse("practice:case_study", args=[cs.pk]))
                moderating = key in ("nina", "erin") and name == "review"
                with self.subTest(user=key, case_study=name):
                    self.assertEqual(
                        r.status_code, 200 if cs.title in expected or moderating else 404
                    )

    def test_beside_the_value_code_on_the_framework_pages(self):
        url = reverse("public:value_code", args=["nps", "2018", "EC1"])
        for key, expected in self.EXPECTED.items():
            with self.subTest(user=key):
                self.as_(key)
                self.assertEqual(self.titles_on(url), expected)

    def test_withdrawing_takes_it_off_every_page_at_once(self):
        self.client.force_login(self.charlie)
        self.client.post(reverse("practice:withdraw", args=[self.public.pk]))
        self.client.logout()
        for url in [
            reverse("practice:library"),
            reverse("practice:library") + "?q=quagga",
            reverse("practice:library_csv"),
            reverse("practice:feed"),
            reverse("public:value_code", args=["nps", "2018", "EC1"]),
        ]:
            with self.subTest(url=url):
                self.assertEqual(self.titles_on(url), set())
        r = self.client.get(reverse("practice:case_study", args=[self.public.pk]))
        self.assertEqual(r.status_code, 404)

    def test_the_council_itself_sees_every_state_of_its_own(self):
        self.client.force_login(self.charlie)
        for name in self.ALL:
            cs = getattr(self, name)
            r = self.client.get(reverse("practice:case_study", args=[cs.pk]))
            self.assertEqual(r.status_code, 200, name)
        r = self.client.get(reverse("practice:mine"))
        self.assertEqual(
            self.titles_on(reverse("practice:mine")), {getattr(self, k).title for k in self.ALL}
        )
        self.assertEqual(r.status_code, 200)

    def test_an_anonymous_case_study_does_not_name_its_council(self):
        self.public.named = False
        self.public.save()
        self.client.logout()
        r = self.client.get(reverse("practice:case_study", args=[self.public.pk]))
        self.assertContains(r, "A county council in South East")
        self.assertNotContains(r, "Council B")
        for url in [
            reverse("practice:library"),
            reverse("practice:feed"),
            reverse("practice:library_csv"),
        ]:
            self.assertNotContains(self.client.get(url), "Council B")

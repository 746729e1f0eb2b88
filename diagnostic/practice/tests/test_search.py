"""Full-text search through the one query function, on whichever database runs the suite.

Run on both: the default (SQLite, FTS5) and
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/issue-10 pytest diagnostic/practice/tests/test_search.py`.
"""

from django.urls import reverse

from diagnostic.practice.models import CaseStudy, State
from diagnostic.practice.queries import LibraryFilters, library
from diagnostic.practice.search import search_case_studies
from diagnostic.practice.testing import PracticeTestCase, make_case_study


class SearchTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        self.register = make_case_study(
            self.council_a, self.framework, title="One contract register",
            body="Every department's contracts went into a single register, renewed monthly.",
        )  # fmt: skip
        self.social = make_case_study(
            self.council_b, self.framework, title="Social value in every tender",
            body="We weighted social value at ten percent and trained buyers on the register.",
            codes=("OSV1",) if self.framework.valuecodes.filter(code="OSV1").exists() else ("EC1",),
        )  # fmt: skip

    def found(self, q) -> list[str]:
        return list(library(None, LibraryFilters(q=q)).values_list("title", flat=True))

    def test_a_word_in_the_body_finds_it(self):
        self.assertEqual(self.found("monthly"), ["One contract register"])
        self.assertEqual(self.found("buyers"), ["Social value in every tender"])

    def test_word_forms_match(self):
        # "contracts" in the body, "contract" asked (stemming on both databases).
        self.assertIn("One contract register", self.found("contract"))
        self.assertIn("One contract register", self.found("departments"))

    def test_every_word_must_match(self):
        self.assertEqual(self.found("register monthly"), ["One contract register"])
        self.assertEqual(self.found("monthly buyers"), [])

    def test_a_title_match_ranks_above_a_body_match(self):
        self.assertEqual(
            self.found("register"), ["One contract register", "Social value in every tender"]
        )

    def test_search_syntax_is_taken_as_words_never_as_operators(self):
        for q in ['"', "NOT", "register OR", "(register", "regi*", "title:register", "-register",
                  "' OR 1=1 --", "register AND NEAR(", "\x00"]:  # fmt: skip
            with self.subTest(q=q):
                self.found(q)  # no database error
        self.assertEqual(self.found("' OR 1=1 --"), [])

    def test_the_index_follows_changes_and_deletions(self):
        CaseStudy.objects.filter(pk=self.register.pk).update(what_was_done="Now about hedgehogs.")
        self.assertEqual(self.found("monthly"), [])
        self.assertEqual(self.found("hedgehogs"), ["One contract register"])
        self.register.delete()
        self.assertEqual(self.found("hedgehogs"), [])

    def test_unpublished_case_studies_are_not_found(self):
        make_case_study(self.council_a, self.framework, title="Secret draft",
                        body="monthly", state=State.DRAFT)  # fmt: skip
        self.assertEqual(self.found("monthly"), ["One contract register"])

    def test_an_empty_query_is_everything_with_rank_zero(self):
        qs = search_case_studies(CaseStudy.objects.all(), "  ")
        self.assertEqual({cs.rank for cs in qs}, {0.0})

    def test_the_library_page_searches(self):
        r = self.client.get(reverse("practice:library"), {"q": "monthly"})
        self.assertEqual(
            [cs.title for cs in r.context["page"].object_list], ["One contract register"]
        )
        self.assertContains(r, "<strong>1</strong> case study")


class SearchPagesTests(PracticeTestCase):
    """The library page fetches a page in two steps (its ids, then its rows): the pages must
    hold exactly the query's matches, in the query's order, on both databases."""

    def setUp(self):
        super().setUp()
        # Six with the word in the title (ranked above), nineteen with it in the body only.
        for i in range(6):
            make_case_study(self.council_a, self.framework, title=f"Hedgerow title {i:02d}",
                            body="Nothing else here.")  # fmt: skip
        for i in range(19):
            make_case_study(self.council_b, self.framework, title=f"Body only {i:02d}",
                            body="We planted a hedgerow " + "and more " * i)  # fmt: skip
        make_case_study(self.council_a, self.framework, title="Hedgerow draft", state=State.DRAFT)

    def page_titles(self, **params) -> tuple[list[str], int]:
        r = self.client.get(reverse("practice:library"), params)
        self.assertEqual(r.status_code, 200)
        page = r.context["page"]
        return [cs.title for cs in page.object_list], page.paginator.count

    def test_the_pages_are_the_querys_matches_in_its_order(self):
        for sort in ("relevance", "newest", "oldest", "title"):
            with self.subTest(sort=sort):
                expected = list(
                    library(None, LibraryFilters(q="hedgerow", sort=sort)).values_list(
                        "title", flat=True
                    )
                )
                first, count = self.page_titles(q="hedgerow", sort=sort)
                second, _ = self.page_titles(q="hedgerow", sort=sort, page=2)
                self.assertEqual(count, 25)
                self.assertEqual(len(first), 20)
                self.assertEqual(first + second, expected)

    def test_title_matches_come_first_on_the_first_page(self):
        first, _ = self.page_titles(q="hedgerow")
        self.assertEqual(sorted(first[:6]), [f"Hedgerow title {i:02d}" for i in range(6)])
        self.assertTrue(all(t.startswith("Body only") for t in first[6:]))

    def test_no_match_is_an_empty_page(self):
        self.assertEqual(self.page_titles(q="zeppelin"), ([], 0))

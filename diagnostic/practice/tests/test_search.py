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

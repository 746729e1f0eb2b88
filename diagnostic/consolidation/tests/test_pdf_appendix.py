"""The response PDF: its sign-off section, and the appendix of colleagues' views and
consolidation decisions that only the lead may add (`?appendix=views`)."""

from __future__ import annotations

import datetime as dt
import html
import io
from unittest import mock

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from pypdf import PdfReader

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.tests.test_pdf import text_of
from diagnostic.consolidation import services
from diagnostic.consolidation.models import SignOffRequest
from diagnostic.consolidation.testing import (
    ConsolidationTestCase,
    make_assignment,
    make_sign_off_request,
    make_view,
)

STUB = "diagnostic.assessments.views.pdf.render_pdf"


def words(content: bytes) -> str:
    """The PDF's text with runs of white space as one space (lines wrap anywhere)."""
    return " ".join(text_of(content).split())


class PdfAppendixTests(ConsolidationTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.carol = make_assignment(
            cls.response_a, email="carol@example.org", name="Carol Price",
            department="Children's Services", job_role="Head of commissioning", by=cls.bob,
        )  # fmt: skip
        make_view(cls.assignment_a, "EC1", 1, comment="We lack a contract register.")
        make_view(cls.carol, "EC1", 4, comment="The register went live in May.")
        make_view(cls.assignment_a, "EC2", 3)
        ec1 = next(vc for vc in cls.codes if vc.code == "EC1")
        services.do_adopt_level(
            by=cls.bob, response=cls.response_a, value_code=ec1, level=2, expected_version=0,
            reason="Live but covers only half of spend.",
        )  # fmt: skip

    def url(self, response=None, appendix=True):
        url = reverse("assessments:response_pdf", args=[(response or self.response_a).pk])
        return url + ("?appendix=views" if appendix else "")

    def get(self, user=None, **kwargs):
        self.client.force_login(user or self.bob)
        return self.client.get(self.url(**kwargs))

    def test_the_lead_adds_colleagues_views_and_decisions(self):
        r = self.get()
        self.assertEqual(r.status_code, 200)
        self.assertIn("council-a-nps-2026-draft-with-views.pdf", r["Content-Disposition"])
        text = words(r.content)
        self.assertIn("Appendix: Colleagues' views and consolidation decisions", text)
        # Who was asked, with department and role.
        for expected in [
            "Alice Marsh",
            "Adult Social Care",
            "Commissioning manager",
            "Carol Price",
            "Children's Services",
            "Head of commissioning",
        ]:
            self.assertIn(expected, text)
        # Each view with its level and comment, the spread and the flag.
        self.assertIn("1 Minimum We lack a contract register.", text)
        self.assertIn("4 Leader The register went live in May.", text)
        self.assertIn("lowest 1 · median 2.5 · highest 4", text)
        self.assertIn("Views differ by 3 levels.", text)
        # The decision in force: level, suggestion, who, when and why.
        self.assertIn("Decision in force: 2 Developing adopted by Bob Hughes on", text)
        self.assertIn("Suggested: 1 Minimum (a different level was chosen)", text)
        self.assertIn("Reason: Live but covers only half of spend.", text)
        # EC2: a view but no decision yet.
        self.assertIn("EC2", text.split("Appendix:")[1])
        self.assertIn("No decision yet. Agreed answer now: Not answered.", text)
        reader = PdfReader(io.BytesIO(r.content))
        self.assertIn("/StructTreeRoot", reader.trailer["/Root"])  # still tagged

    def test_without_the_option_the_pdf_holds_none_of_it(self):
        r = self.get(appendix=False)
        self.assertIn("council-a-nps-2026-draft.pdf", r["Content-Disposition"])
        text = words(r.content)
        for absent in [
            "Appendix",
            "Alice Marsh",
            "Carol Price",
            "Children's Services",
            "We lack a contract register.",
            "The register went live in May.",
            "Live but covers only half of spend.",
            "Views differ",
        ]:
            self.assertNotIn(absent, text)
        # The sign-off section is there whatever the option.
        self.assertIn("Sign-off Not signed off.", text)

    @mock.patch(STUB, return_value=b"%PDF-1.7 stub")
    def test_only_the_lead_may_add_the_appendix(self, render):
        for user, status in [
            (self.bob, 200),
            (self.victor, 403),
            (self.nina, 403),
            (self.erin, 403),
            (self.alice, 403),  # contributors do not see a draft's agreed answers at all
            (self.charlie, 404),
            (self.dana, 404),
            (self.zoe, 404),
        ]:
            with self.subTest(user=user.email):
                self.assertEqual(self.get(user).status_code, status)
        self.assertEqual(render.call_count, 1)
        self.assertEqual(render.call_args.args[1]["appendix"]["value_codes"], 2)  # EC1 and EC2 only
        # Readers still get the PDF without it.
        self.assertEqual(self.get(self.victor, appendix=False).status_code, 200)
        self.assertNotIn("appendix", render.call_args.args[1])

    @mock.patch(STUB, return_value=b"%PDF-1.7 stub")
    def test_once_submitted_the_lead_may_still_add_it_and_no_one_else(self, render):
        Response.objects.filter(pk=self.response_a.pk).update(
            status="submitted", submitted_at=timezone.now(), submitted_by=self.bob
        )
        for user, status in [(self.bob, 200), (self.alice, 403), (self.nina, 403)]:
            with self.subTest(user=user.email):
                self.assertEqual(self.get(user).status_code, status)
        for user in (self.alice, self.nina):
            self.assertEqual(self.get(user, appendix=False).status_code, 200)

    @mock.patch(STUB, return_value=b"%PDF-1.7 stub")
    def test_another_councils_appendix_is_not_found(self, render):
        self.assertEqual(self.get(self.bob, response=self.response_b).status_code, 404)
        render.assert_not_called()

    def test_the_appendix_is_read_in_a_fixed_number_of_queries(self):
        """QUALITY: queries per request independent of the number of contributors (the
        template is rendered to HTML, so its queries count too; WeasyPrint is left out)."""
        self.client.force_login(self.bob)

        def count() -> int:
            with (
                mock.patch(STUB, side_effect=lambda t, c: render_to_string(t, c).encode()),
                CaptureQueriesContext(connection) as ctx,
            ):
                r = self.client.get(self.url())
            self.assertIn(b"Carol Price", r.content)
            return len(ctx.captured_queries)

        count()  # the first request also saves the session
        before = count()
        for i in range(4):
            extra = make_assignment(
                self.response_a, email=f"x{i}@example.org", name=f"Extra {i}", by=self.bob,
                areas=["EC", "ESM"],
            )  # fmt: skip
            make_view(extra, "EC3", 2, comment="Fine")
        self.assertEqual(count(), before)


class PdfSignOffTests(ConsolidationTestCase):
    """The PDF says where sign-off stands (real renders: the text is what a reader sees)."""

    def pdf_text(self) -> str:
        self.client.force_login(self.bob)
        r = self.client.get(reverse("assessments:response_pdf", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        return words(r.content)

    def test_an_approval_with_changes_since(self):
        req = make_sign_off_request(self.response_a, by=self.bob, token="a" * 43)
        services.do_decide_sign_off(request=req, approve=True)
        ec1 = next(vc for vc in self.codes if vc.code == "EC1")
        Answer.objects.create(
            response=self.response_a, value_code=ec1, current_level=3, version=1,
            updated_at=timezone.now() + dt.timedelta(seconds=1),
        )  # fmt: skip
        text = self.pdf_text()
        today = timezone.localdate()
        self.assertIn(
            f"Signed off by Sam Senior, Director of Finance, on {today.day} "
            f"{today:%B} {today.year}.",
            text,
        )
        self.assertIn("Approved through the emailed sign-off link", text)
        self.assertIn("1 answer changed since the approval.", text)

    def test_waiting_then_declined(self):
        """The same section in the other states, read from the PDF's HTML (no render each)."""
        req = make_sign_off_request(self.response_a, by=self.bob, token="a" * 43)
        text = self.html_text()
        self.assertIn("Sign-off Not signed off.", text)
        self.assertIn("Waiting for approval from Sam Senior (Director of Finance) since", text)
        SignOffRequest.objects.filter(pk=req.pk).update(
            decision="declined", decided_at=timezone.now(), decision_note="EC1 is too generous."
        )
        text = self.html_text()
        self.assertIn("Sign-off Not signed off.", text)
        self.assertIn("Not approved by Sam Senior (Director of Finance) on", text)
        self.assertIn("“EC1 is too generous.”", text)
        self.assertNotIn("Waiting for approval", text)

    def html_text(self) -> str:
        self.client.force_login(self.bob)
        with mock.patch(STUB, side_effect=lambda t, c: render_to_string(t, c).encode()):
            r = self.client.get(reverse("assessments:response_pdf", args=[self.response_a.pk]))
        body = r.content.decode().split("<body>")[1]
        return " ".join(html.unescape(strip_tags(body)).split())

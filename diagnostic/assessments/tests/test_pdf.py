"""The response as PDF, the blank questionnaire, and the renderer fetching nothing."""

import io
from unittest import mock

from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.reports import pdf as pdf_module


def text_of(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


class ResponsePdfTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        ec1 = next(vc for vc in cls.codes if vc.code == "EC1")
        Answer.objects.create(
            response=cls.response_a, value_code=ec1, current_level=2, target_level=4, priority="high",
            comment='Cabinet briefed <b>quarterly</b>. See <img src="http://127.0.0.1:9/tracker.png"> & url(http://127.0.0.1:9/x)',
            want_support=True, version=1,
        )  # fmt: skip
        Response.objects.filter(pk=cls.response_a.pk).update(officer_name="Pat Lee")

    def get(self, user=None):
        self.client.force_login(user or self.bob)
        return self.client.get(reverse("assessments:response_pdf", args=[self.response_a.pk]))

    def test_the_draft_pdf_holds_the_whole_framework_and_the_answers(self):
        r = self.get()
        self.assertEqual(r["Content-Type"], "application/pdf")
        self.assertIn("council-a-nps-2026-draft.pdf", r["Content-Disposition"])
        text = text_of(r.content)
        self.assertIn("DRAFT", text)
        self.assertIn("Council A Metropolitan Borough Council", text)
        self.assertIn("Pat Lee", text)
        self.assertIn("Current level: 2 Developing", text)
        self.assertIn("Would welcome support", text)
        for vc in self.codes:
            self.assertIn(vc.code, text)
        # The user's markup is shown as text, not interpreted.
        self.assertIn("<b>quarterly</b>", text)
        reader = PdfReader(io.BytesIO(r.content))
        self.assertGreater(len(reader.pages), 20)
        self.assertIn("/StructTreeRoot", reader.trailer["/Root"])  # tagged for assistive technology
        self.assertEqual(reader.trailer["/Root"]["/Lang"], "en-GB")

    def test_the_pdf_renderer_fetches_no_url_from_user_text(self):
        """QUALITY: PDF rendering fetches nothing from URLs found in user text."""
        with mock.patch("urllib.request.OpenerDirector.open") as network:
            r = self.get()
        self.assertEqual(r.status_code, 200)
        network.assert_not_called()

    @override_settings(PDF_RENDER_IN_SUBPROCESS=True)
    def test_the_fetcher_refuses_anything_even_real_markup(self):
        """Belt and braces: even markup that asks for URLs gets nothing fetched.

        WeasyPrint runs in the rendering child (docs/decisions/0010), which the mock does not
        reach: the refusals counted here are the child's, logged again in this process.
        diagnostic/reports/tests checks with a real server that nothing reaches the network.
        """
        html = '<img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="file:///etc/passwd"><p>hi</p>'
        with (
            mock.patch("urllib.request.OpenerDirector.open") as network,
            mock.patch.object(pdf_module, "render_to_string", return_value=html),
            self.assertLogs("weasyprint", level="WARNING") as logs,
        ):
            pdf = pdf_module.render_pdf("ignored.html", {})
        network.assert_not_called()
        self.assertTrue(pdf.startswith(b"%PDF"))
        refusals = [line for line in logs.output if "does not fetch URLs" in line]
        self.assertEqual(len(refusals), 2, logs.output)

    def test_a_submitted_response_says_when_and_by_whom(self):
        from django.utils import timezone

        Response.objects.filter(pk=self.response_a.pk).update(
            status="submitted", submitted_at=timezone.now(), submitted_by=self.bob
        )
        text = text_of(self.get().content)
        self.assertIn("Submitted", text)
        self.assertIn("by Bob Hughes", text)
        self.assertNotIn("DRAFT", text)

    @mock.patch("diagnostic.assessments.views.pdf.render_pdf", return_value=b"%PDF-1.7 stub")
    def test_readers_of_the_council_can_download_it_others_cannot(self, _render):
        # Alice is a contributor: she gives her own views and sees the agreed answers only
        # once they are submitted (docs/decisions/0011-consolidation.md).
        for user, status in [
            (self.alice, 403),
            (self.victor, 200),
            (self.nina, 200),
            (self.charlie, 404),
            (self.dana, 404),
            (self.zoe, 404),
        ]:
            with self.subTest(user=user.email):
                self.assertEqual(self.get(user).status_code, status)

    @mock.patch("diagnostic.assessments.views.pdf.render_pdf", return_value=b"%PDF-1.7 stub")
    def test_a_regional_lead_sees_a_named_response_only_with_consent(self, _render):
        self.assertEqual(self.get(self.dana).status_code, 404)
        Response.objects.filter(pk=self.response_a.pk).update(consent_regional_sharing=True)
        self.assertEqual(self.get(self.dana).status_code, 200)


class BlankQuestionnaireTests(AssessmentTestCase):
    def test_anyone_can_download_the_blank_questionnaire_with_every_value_code(self):
        r = self.client.get(reverse("assessments:blank_pdf", args=["nps", "2018"]))
        self.assertEqual(r.status_code, 200)
        text = text_of(r.content)
        self.assertIn("questionnaire", text)
        for vc in self.codes:
            self.assertIn(vc.code, text)
        self.assertIn("Not yet assessed", text)
        self.assertEqual(
            self.client.get(reverse("assessments:blank_pdf", args=["nps", "1999"])).status_code, 404
        )

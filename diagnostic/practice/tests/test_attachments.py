"""Attachments over HTTP: checked by content, nothing stored on refusal, served only as
downloads to those who may read the case study (ASVS 5.2.1, 5.2.2, 5.3.1, 5.3.2)."""

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from diagnostic.practice.models import Attachment, State, Visibility
from diagnostic.practice.testing import PracticeTestCase, make_case_study
from diagnostic.practice.tests.test_uploads import PDF, PNG, docx, ooxml

MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=MEMORY)
class AttachmentTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        self.cs = make_case_study(self.council_a, self.framework, state=State.DRAFT)
        self.client.force_login(self.bob)

    def upload(self, name: str, data: bytes):
        return self.client.post(
            reverse("practice:add_attachment", args=[self.cs.pk]),
            {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        )

    def stored_files(self) -> list[str]:
        try:
            return default_storage.listdir("practice")[1]
        except FileNotFoundError:
            return []

    def test_a_pdf_is_stored_through_the_storage_api_under_a_random_name(self):
        r = self.upload("Register & results.pdf", PDF)
        self.assertEqual(r.status_code, 302)
        att = Attachment.objects.get(case_study=self.cs)
        self.assertEqual(
            (att.kind, att.original_name, att.size), ("pdf", "Register & results.pdf", len(PDF))
        )
        self.assertRegex(att.file.name, r"^practice/[0-9a-f]{32}\.pdf$")
        self.assertEqual(default_storage.open(att.file.name).read(), PDF)

    def test_the_type_comes_from_the_content_not_the_name(self):
        self.upload("picture.pdf", PNG)
        self.assertEqual(Attachment.objects.get(case_study=self.cs).kind, "png")

    def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_stored(self):
        before = self.stored_files()
        bomb = ooxml("word/document.xml", extra={"word/media/x.bin": b"\x00" * (60 * 1024 * 1024)})
        for name, data, words in [
            ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 500, "a program, not a document"),
            ("report.docx", b"PK\x03\x04broken" * 30, "damaged"),
            ("report.docx", bomb, "zip bomb"),
            ("notes.pdf", b"just some text", "not a type we accept"),
            (
                "big.pdf",
                b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024) + b"%%EOF",
                "largest accepted is 10 MB",
            ),
            ("page.html", b"<html><script>alert(1)</script>", "not a type we accept"),
        ]:
            with self.subTest(name=name, words=words):
                r = self.upload(name, data)
                self.assertEqual(r.status_code, 422)
                self.assertContains(r, words, status_code=422)
                self.assertContains(r, "There is a problem", status_code=422)
        self.assertFalse(Attachment.objects.exists())
        self.assertEqual(self.stored_files(), before)

    def test_a_docx_is_accepted(self):
        self.upload("plan.docx", docx())
        self.assertEqual(Attachment.objects.get().kind, "docx")

    def test_no_file_is_a_clear_error(self):
        r = self.client.post(reverse("practice:add_attachment", args=[self.cs.pk]), {})
        self.assertContains(r, "Choose a file to attach.", status_code=422)

    def test_downloads_are_attachments_with_nosniff(self):
        self.upload("a.pdf", PDF)
        att = Attachment.objects.get()
        r = self.client.get(reverse("practice:attachment", args=[self.cs.pk, att.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(b"".join(r.streaming_content), PDF)
        self.assertTrue(r["Content-Disposition"].startswith("attachment;"))
        self.assertIn('filename="a.pdf"', r["Content-Disposition"])
        self.assertEqual(r["X-Content-Type-Options"], "nosniff")
        self.assertEqual(r["Content-Type"], "application/pdf")

    def test_only_those_who_may_read_the_case_study_download(self):
        self.upload("a.pdf", PDF)
        att = Attachment.objects.get()
        url = reverse("practice:attachment", args=[self.cs.pk, att.pk])
        # A draft: Council A's people only.
        for user, status in [(self.victor, 200), (self.charlie, 404), (self.dana, 404),
                             (self.nina, 404), (self.zoe, 404)]:  # fmt: skip
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, status, user)
        self.client.logout()
        self.assertEqual(self.client.get(url).status_code, 404)
        # Published to the LGA and regions only.
        self.cs.state, self.cs.visibility = State.PUBLISHED, Visibility.SECTOR_BODIES
        self.cs.save()
        for user, status in [
            (self.charlie, 404),
            (self.dana, 200),
            (self.nina, 200),
            (self.zoe, 404),
        ]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, status, user)
        # Withdrawn: nobody outside the council.
        self.cs.state = State.WITHDRAWN
        self.cs.save()
        for user, status in [(self.bob, 200), (self.dana, 404), (self.nina, 404)]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, status, user)

    def test_an_attachment_of_one_case_study_is_not_reached_through_another(self):
        self.upload("a.pdf", PDF)
        att = Attachment.objects.get()
        other = make_case_study(self.council_a, self.framework, state=State.PUBLISHED)
        self.client.logout()
        r = self.client.get(reverse("practice:attachment", args=[other.pk, att.pk]))
        self.assertEqual(r.status_code, 404)

    def test_removing_deletes_the_stored_file(self):
        self.upload("a.pdf", PDF)
        att = Attachment.objects.get()
        name = att.file.name
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("practice:remove_attachment", args=[self.cs.pk, att.pk]))
        self.assertFalse(Attachment.objects.exists())
        self.assertFalse(default_storage.exists(name))

    def test_nothing_is_attached_once_submitted(self):
        self.cs.state = State.SUBMITTED
        self.cs.save()
        r = self.upload("a.pdf", PDF)
        self.assertEqual(r.status_code, 302)
        self.assertFalse(Attachment.objects.exists())

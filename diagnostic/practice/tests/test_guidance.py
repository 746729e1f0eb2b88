"""Related guidance: curated by the national team, links checked for format and never fetched."""

from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from diagnostic.practice.models import Guidance
from diagnostic.practice.testing import PracticeTestCase, make_case_study
from diagnostic.practice.tests.test_attachments import MEMORY
from diagnostic.practice.tests.test_uploads import PDF


@override_settings(STORAGES=MEMORY)
class GuidanceTests(PracticeTestCase):
    def data(self, **over):
        data = {
            "title": "Contract register toolkit", "url": "https://www.example.org/toolkit",
            "publisher": "LGA", "published_on": "2025-03-01", "type": "toolkit",
            "value_code": self.framework.valuecodes.get(code="EC1").pk, "key_area": "",
        }  # fmt: skip
        data.update(over)
        return data

    def test_the_national_team_adds_guidance_shown_beside_case_studies(self):
        self.client.force_login(self.nina)
        with (
            mock.patch("urllib.request.urlopen") as urlopen,
            mock.patch("socket.create_connection") as connect,
        ):
            r = self.client.post(reverse("practice:guidance"), self.data())
        self.assertEqual(r.status_code, 302)
        urlopen.assert_not_called()
        connect.assert_not_called()
        cs = make_case_study(self.council_b, self.framework)
        self.client.logout()
        r = self.client.get(reverse("practice:case_study", args=[cs.pk]))
        self.assertContains(
            r,
            '<a href="https://www.example.org/toolkit" rel="noopener noreferrer">Contract register toolkit</a>',
            html=True,
        )
        self.assertContains(r, "Toolkit · LGA · March 2025")
        # A link is followed from the page: the file route never redirects anywhere.
        g = Guidance.objects.get()
        self.assertEqual(
            self.client.get(reverse("practice:guidance_file", args=[g.pk])).status_code, 404
        )

    def test_bad_links_and_choices_are_refused(self):
        self.client.force_login(self.erin)
        ka = self.framework.keyareas.first()
        for over, words in [
            ({"url": "javascript:alert(1)"}, "Enter a full web address"),
            ({"url": "ftp://example.org/x"}, "Enter a full web address"),
            ({"url": "not a link"}, "Enter a full web address"),
            ({"url": ""}, "Give a link or attach a file"),
            ({"value_code": ""}, "Choose a value code or a key area"),
            ({"key_area": ka.pk}, "Choose a value code or a key area"),
            ({"type": "rumour"}, "Select a valid choice"),
            ({"published_on": "31/02/2025"}, "Enter a valid date"),
        ]:
            with self.subTest(over=over):
                r = self.client.post(reverse("practice:guidance"), self.data(**over))
                self.assertContains(r, words, status_code=422)
        self.assertFalse(Guidance.objects.exists())

    def test_a_file_is_checked_like_an_attachment(self):
        self.client.force_login(self.erin)
        bad = SimpleUploadedFile("x.pdf", b"MZ" + b"\x00" * 100)
        r = self.client.post(reverse("practice:guidance"), self.data(url="", file=bad))
        self.assertContains(r, "a program, not a document", status_code=422)
        good = SimpleUploadedFile("template.pdf", PDF)
        self.client.post(reverse("practice:guidance"), self.data(url="", file=good))
        g = Guidance.objects.get()
        r = self.client.get(reverse("practice:guidance_file", args=[g.pk]))
        self.assertEqual(b"".join(r.streaming_content), PDF)
        self.assertTrue(r["Content-Disposition"].startswith("attachment;"))

    def test_only_the_national_team_curates(self):
        for user in (self.bob, self.dana, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("practice:guidance")).status_code, 403)
            self.client.post(reverse("practice:guidance"), self.data())
        self.assertFalse(Guidance.objects.exists())

    def test_removing(self):
        self.client.force_login(self.nina)
        self.client.post(reverse("practice:guidance"), self.data())
        g = Guidance.objects.get()
        self.client.force_login(self.dana)
        self.assertEqual(
            self.client.post(reverse("practice:remove_guidance", args=[g.pk])).status_code, 404
        )
        self.client.force_login(self.nina)
        self.client.post(reverse("practice:remove_guidance", args=[g.pk]))
        self.assertFalse(Guidance.objects.exists())

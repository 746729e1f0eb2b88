"""`lib.http.this_site`: the one check on a "next" or "back" address taken from a request
(ASVS 3.7.2), used by sign-in's second step, switching organisation and the broker's plan."""

from django.test import RequestFactory, SimpleTestCase

from diagnostic.lib.http import this_site


class ThisSiteTests(SimpleTestCase):
    def setUp(self):
        self.plain = RequestFactory().get("/")
        self.secure = RequestFactory().get("/", secure=True)

    def test_a_path_or_this_host_is_kept(self):
        for url in ["/account/", "/broker/1/plan/runs/2/?page=2", "http://testserver/x"]:
            with self.subTest(url):
                self.assertEqual(this_site(self.plain, url), url)
        self.assertEqual(this_site(self.secure, "https://testserver/x"), "https://testserver/x")

    def test_anywhere_else_or_nothing_gives_nothing(self):
        for url in [
            None, "", "//evil.example/x", "/\\evil.example/x", "\\\\evil.example",
            "https://evil.example/", "http://testserver.evil.example/", "javascript:alert(1)",
            "data:text/html,hi", "ftp://testserver/x", " //evil.example",
        ]:  # fmt: skip
            with self.subTest(url):
                self.assertEqual(this_site(self.plain, url), "")

    def test_a_secure_request_is_never_sent_to_plain_http(self):
        self.assertEqual(this_site(self.secure, "http://testserver/x"), "")
        self.assertEqual(this_site(self.secure, "/x"), "/x")

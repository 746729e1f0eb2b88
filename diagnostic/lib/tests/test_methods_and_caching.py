"""Methods no view uses are refused (v5.0.0-13.4.4 TRACE, v5.0.0-3.5.3), and no response to a
signed-in person may be stored by a browser or a shared cache (v5.0.0-14.3.2, 14.2.2)."""

import inspect

from django.conf import settings
from django.test import override_settings
from django.urls import resolve, reverse

from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.lib.tests.every_page import placeholder_urls
from diagnostic.lib.tests.test_control_characters import _routes

METHODS = ["TRACE", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "PROPFIND", "FOO"]


def _sample_paths(ids):
    import re

    out = []
    for name, route in _routes():
        if route.startswith("django-admin"):
            continue

        def fill(m):
            return str(ids.get(m.group(2), 1)) if m.group(1) == "int" else "EC"

        out.append((name, "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route.lstrip("^").rstrip("$"))))
    return out


class MethodTests(AssessmentTestCase):
    def test_every_route_refuses_methods_no_view_uses(self):
        paths = _sample_paths({"response_id": self.response_a.pk, "round_id": self.round.pk})
        self.assertGreater(len(paths), 80)
        for who in (None, self.erin):
            self.client.logout()
            if who:
                self.client.force_login(who)
            for name, path in paths:
                if path.startswith("/api/"):
                    continue  # the JSON API answers methods itself: test_the_api_* below
                for method in METHODS:
                    with self.subTest(who=str(who), name=name, method=method):
                        r = self.client.generic(method, path)
                        self.assertEqual(r.status_code, 405)
                        self.assertEqual(r["Allow"], "GET, HEAD, POST")

    def test_the_api_refuses_other_methods_in_its_own_shape(self):
        for method in ("TRACE", "DELETE", "PATCH", "FOO"):
            with self.subTest(method):
                r = self.client.generic(method, "/api/v1/frameworks")
                self.assertEqual(r.status_code, 405)
                self.assertEqual(r["Content-Type"], "application/problem+json")
                self.assertEqual(r["Allow"], "GET")

    def test_trace_echoes_nothing(self):
        r = self.client.generic("TRACE", "/", HTTP_COOKIE="sessionid=secret-value")
        self.assertEqual(r.status_code, 405)
        self.assertNotIn(b"secret-value", r.content)

    def test_get_head_and_post_still_reach_views(self):
        self.assertEqual(self.client.get("/").status_code, 200)
        self.assertEqual(self.client.head("/").status_code, 200)
        self.assertEqual(self.client.post(reverse("accounts:sign_in"), {}).status_code, 200)


# The site-wide backstop (lib/middleware.py) taken away, so what is tested is each view's own
# declaration: `require_safe`, `require_POST`, `lib.http.require_get_or_post`, or a class
# view's `http_method_names`.
WITHOUT_BACKSTOP = [m for m in settings.MIDDLEWARE if not m.endswith(".AllowedMethodsMiddleware")]
FORM_READ = ("request.POST", "request.FILES", "request.method", "posted(request", "request.body")

# Views whose form is read by a helper they call, not in their own code.
FORM_READ_ELSEWHERE = {
    "consolidation:response_upload": "consolidation/views/spreadsheet.py:_upload",
    "consolidation:contribution_upload": "consolidation/views/spreadsheet.py:_upload",
}


def reads_a_form(view) -> bool:
    """Whether a view's own code takes anything sent by POST (a class view: has `post`)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    func = inspect.unwrap(view)
    if not inspect.isfunction(func):
        return False  # an object serving GET only (the Atom feed)
    return any(marker in inspect.getsource(func) for marker in FORM_READ)


@override_settings(MIDDLEWARE=WITHOUT_BACKSTOP)
class EachViewDeclaresItsMethodsTests(AssessmentTestCase):
    """Every view names the methods it uses and refuses the rest itself, with an `Allow` header
    (v5.0.0-13.4.4: no TRACE; v5.0.0-3.5.3: a page that only shows something is not reached by
    POST, an action not by GET). Walks every route (lib/tests/every_page.py); the methods are
    checked before anything is looked up, so the routes' parameters name nothing. A national
    admin passes every view's sign-in guard; someone signed out is sent to sign in first by the
    views that need it."""

    def declared(self, path) -> list[str]:
        r = self.client.generic("TRACE", path)
        self.assertEqual(r.status_code, 405, path)
        return [m.strip() for m in r["Allow"].split(",")]

    def test_every_view_refuses_trace_put_delete_and_patch_itself(self):
        urls = placeholder_urls()
        self.assertGreater(len(urls), 150)
        sign_in = reverse("accounts:sign_in")
        for who in (None, self.erin):
            self.client.logout()
            if who:
                self.client.force_login(who)
            for name, path in urls:
                for method in ("TRACE", "PUT", "DELETE", "PATCH", "OPTIONS"):
                    with self.subTest(who=str(who), name=name, method=method):
                        r = self.client.generic(method, path)
                        if who is None and r.status_code == 302:
                            # Signing in comes first, as for every method (test_tenant_isolation).
                            self.assertTrue(r["Location"].startswith(sign_in), name)
                            continue
                        self.assertEqual(r.status_code, 405)
                        allow = {m.strip() for m in r["Allow"].split(",")}
                        self.assertTrue(allow, name)
                        self.assertLessEqual(allow, {"GET", "HEAD", "POST"}, name)

    def test_views_that_never_handle_post_refuse_it(self):
        self.client.force_login(self.erin)
        refused = 0
        for name, path in placeholder_urls():
            with self.subTest(name=name):
                allow = self.declared(path)
                # Whatever answers GET answers HEAD, and only that.
                self.assertEqual("GET" in allow, "HEAD" in allow, allow)
                if allow == ["POST"]:
                    continue  # an action: POST is what it is for
                if reads_a_form(resolve(path).func) or name in FORM_READ_ELSEWHERE:
                    self.assertIn("POST", allow, "the view reads a form but refuses POST")
                    continue
                # A page that only shows something: POST is refused, saying what is allowed.
                self.assertNotIn("POST", allow, "the view never reads a form: declare GET only")
                r = self.client.post(path)
                self.assertEqual(r.status_code, 405)
                self.assertEqual(r["Allow"], "GET, HEAD")
                refused += 1
        self.assertGreater(refused, 60)

    def test_a_public_read_only_page_refuses_post_even_signed_out(self):
        for path in ("/", reverse("public:privacy"), reverse("public:framework_index")):
            with self.subTest(path):
                r = self.client.post(path)
                self.assertEqual(r.status_code, 405)
                self.assertEqual(r["Allow"], "GET, HEAD")

    def test_an_action_refuses_get(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("accounts:switch_organisation"))
        self.assertEqual((r.status_code, r["Allow"]), (405, "POST"))
        r = self.client.get(reverse("accounts:sign_out"))
        self.assertEqual((r.status_code, r["Allow"]), (405, "POST"))


class CacheControlTests(AssessmentTestCase):
    def assertNoStore(self, r, what):
        cc = {p.strip() for p in r.get("Cache-Control", "").split(",")}
        self.assertTrue({"private", "no-store"} <= cc, (what, r.get("Cache-Control")))

    def test_every_page_a_signed_in_person_gets_is_not_stored(self):
        for who in (self.erin, self.bob, self.zoe):
            self.client.force_login(who)
            for name, path in _sample_paths({"response_id": self.response_a.pk,
                                             "round_id": self.round.pk}):  # fmt: skip
                if name == "analytics:chart":
                    continue  # its own private cache header, tested below
                if name == "public:favicon":
                    continue  # the site's icon: the same for everyone, cached publicly
                with self.subTest(who=who.email, name=name):
                    r = self.client.get(path)
                    self.assertNoStore(r, name)

    def test_downloads_and_redirects_too(self):
        self.client.force_login(self.bob)
        for url in [reverse("plans:export_csv", args=[self.response_a.pk]),
                    reverse("assessments:response_pdf", args=[self.response_a.pk]),
                    reverse("accounts:sign_in")]:  # fmt: skip
            with self.subTest(url):
                r = self.client.get(url)
                self.assertIn(r.status_code, (200, 302))
                self.assertNoStore(r, url)

    def test_a_chart_keeps_its_own_private_header(self):
        from diagnostic.analytics import charts

        self.client.force_login(self.nina)
        token = charts.chart_viewer.set(self.nina.pk)
        try:
            url = charts.url_for({"mark": "bar", "data": {"values": [{"a": 1}]}})
        finally:
            charts.chart_viewer.reset(token)
        r = self.client.get(url)
        self.assertEqual(r.status_code, 200)
        self.assertIn("private", r["Cache-Control"])
        self.assertNotIn("public", r["Cache-Control"])

    def test_public_pages_for_someone_signed_out_are_left_alone(self):
        r = self.client.get(reverse("public:framework_index"))
        self.assertNotIn("no-store", r.get("Cache-Control", ""))

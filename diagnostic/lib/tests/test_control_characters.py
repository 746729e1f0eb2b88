"""Control characters (NUL above all) in paths, query strings, form fields and the invitation
CSV are refused the same way on SQLite and PostgreSQL: 404, 400 or a listed problem, never a
500 and never stored (v5.0.0-2.2.1 input validated, v5.0.0-1.3.3 dangerous characters,
v5.0.0-16.5.3 fails securely). Run on both databases (CI runs the suite on each).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from diagnostic.accounts.models import Invitation, User
from diagnostic.assessments.models import Answer
from diagnostic.assessments.testing import AssessmentTestCase

BAD = ["\x00", "\x01", "\x0b", "\x1f", "\x7f"]


def _routes() -> list[tuple[str, str]]:
    """(name, route) for every URL pattern."""
    out = []

    def walk(patterns, prefix, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or ns)
            elif isinstance(p, URLPattern):
                out.append((f"{ns}:{p.name}" if ns else str(p.name), prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return out


def _path_with(route: str, bad: str, ids: dict) -> str:
    """The route with its parameters filled in; the bad character goes into every text
    parameter, or at the end when there is none."""
    route = route.lstrip("^").rstrip("$")
    text_param = re.search(r"<(?:str|slug|path):\w+>", route)
    bad_q = quote(bad)

    def fill(m):
        conv = m.group(1) or "str"
        if conv == "int":
            return str(ids.get(m.group(2), 1))
        return "EC" + bad_q

    path = "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)
    if not text_param:
        path = path.rstrip("/") + "/x" + bad_q if path.endswith("/") else path + bad_q
    return path


class ControlCharacterTests(AssessmentTestCase):
    def ids(self):
        return {"response_id": self.response_a.pk, "round_id": self.round.pk,
                "organisation_id": self.council_a.pk, "version_id": self.framework.pk}  # fmt: skip

    def test_every_route_answers_404_to_a_control_character_in_its_path(self):
        routes = [(n, r) for n, r in _routes() if not r.startswith(("django-admin", "static"))]
        self.assertGreater(len(routes), 80)
        for who in (None, self.erin, self.bob):
            self.client.logout()
            if who:
                self.client.force_login(who)
            for name, route in routes:
                for bad in ("\x00", "\x1f"):
                    path = _path_with(route, bad, self.ids())
                    with self.subTest(who=str(who), name=name, path=path):
                        self.assertEqual(self.client.get(path).status_code, 404)

    def test_the_framework_pages_named_in_the_report(self):
        self.client.force_login(self.erin)
        base = reverse("public:framework_version", args=["nps", "2018"]).rstrip("/")
        self.assertEqual(self.client.get(base + "/").status_code, 200)
        for path in [
            f"{base}%00/",
            f"{base}/key-areas/EC%00/",
            f"{base}/value-codes/EC1%00/",
            reverse("assessments:area", args=[self.response_a.pk, "EC"]).replace("EC", "EC%00"),
            reverse("assessments:response_pdf", args=[self.response_a.pk]) + "%00",
            reverse("analytics:regional", args=["E12000002"]).replace("E12000002", "E12000002%00"),
        ]:
            with self.subTest(path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_every_query_string_parameter_is_checked(self):
        plain = [n for n, r in _routes() if "<" not in r and n and not r.startswith("django-admin")]
        self.client.force_login(self.erin)
        for name in plain:
            try:
                url = reverse(name)
            except Exception:  # a pattern without a name cannot be reversed
                continue
            for bad in BAD:
                with self.subTest(name=name, bad=repr(bad)):
                    r = self.client.get(url, {"q": "Council" + bad, "region": "E12000002"})
                    self.assertEqual(r.status_code, 400)
                    r = self.client.get(url, {"region" + bad: "E12000002"})
                    self.assertEqual(r.status_code, 400)

    def test_the_people_search_and_dashboard_filters(self):
        self.client.force_login(self.erin)
        for url, params in [
            (reverse("accounts:manage_people"), {"q": "a\x00b"}),
            (
                reverse("analytics:national"),
                {"round": str(self.round.pk), "region": f"{self.north_west.pk}\x00"},
            ),
        ]:
            with self.subTest(url):
                r = self.client.get(url, params)
                self.assertContains(r, "could not be used", status_code=400)
                ok = self.client.get(url, {k: v.replace("\x00", "") for k, v in params.items()})
                self.assertEqual(ok.status_code, 200)

    def test_a_comment_with_a_control_character_is_refused_and_not_stored(self):
        self.client.force_login(self.bob)
        code = self.codes[0].code
        url = reverse("assessments:save_answer", args=[self.response_a.pk, code])
        for bad in BAD:
            with self.subTest(repr(bad)):
                r = self.client.post(url, self.answer_payload(code, comment=f"fine{bad}text"))
                self.assertEqual(r.status_code, 400)
                self.assertFalse(Answer.objects.exists())

    def test_tabs_and_line_breaks_in_free_text_are_kept(self):
        self.client.force_login(self.bob)
        code = self.codes[0].code
        url = reverse("assessments:save_answer", args=[self.response_a.pk, code])
        r = self.client.post(url, self.answer_payload(code, comment="one\ttwo\r\nthree"))
        self.assertLess(r.status_code, 400)
        self.assertEqual(Answer.objects.get().comment, "one\ttwo\r\nthree")

    def test_an_invitation_name_with_nul_is_refused(self):
        self.client.force_login(self.erin)
        r = self.client.post(
            reverse("accounts:manage_invite"),
            {"email": "new@example.org", "full_name": "New\x00Person", "role": "national_analyst"},
        )
        self.assertEqual(r.status_code, 400)
        self.assertFalse(Invitation.objects.exists())
        self.assertFalse(User.objects.filter(full_name__contains="New").exists())


class BulkInvitationCsvTests(AssessmentTestCase):
    url = reverse("accounts:manage_bulk_invite")

    def post(self, text: str):
        self.client.force_login(self.erin)
        f = SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv")
        return self.client.post(self.url, {"file": f})

    def test_control_characters_in_any_column_are_listed_and_nothing_is_stored(self):
        r = self.post(
            "organisation_code,name,email\n"
            "E08000010,Ann\x00Lead,ann@example.org\n"
            "E10000016\x00,Ben Lead,ben@example.org\n"
            "E10000016,Cat Lead,cat\x01@example.org\n"
        )
        self.assertEqual(r.status_code, 400)
        self.assertEqual(
            [str(p) for p in r.context["problems"]],
            [
                "row 2, column name: holds a control character (such as NUL); type it again",
                "row 3, column organisation_code: holds a control character (such as NUL); type it again",
                "row 4, column email: holds a control character (such as NUL); type it again",
            ],
        )
        self.assertFalse(Invitation.objects.exists())

    def test_names_that_a_spreadsheet_would_run_are_refused(self):
        rows = "".join(f"E08000010,{start}Lead,l{i}@example.org\n"
                       for i, start in enumerate(["=", "+", "-", "@"]))  # fmt: skip
        r = self.post("organisation_code,name,email\n" + rows)
        self.assertEqual(r.status_code, 400)
        self.assertEqual(
            [str(p) for p in r.context["problems"]],
            [f"row {n}, column name: starts with = + - or @, which a spreadsheet runs as a formula"
             for n in range(2, 6)],
        )  # fmt: skip
        self.assertFalse(Invitation.objects.exists())

"""The API's description, its reference page and the guide agree with the API itself."""

import re
from pathlib import Path

from django.conf import settings
from django.test import TestCase

from diagnostic.api.api import api
from diagnostic.api.problems import KINDS, PROBLEM_CONTENT_TYPE

GUIDE = Path(settings.BASE_DIR) / "docs" / "api.md"


def schema():
    return api.get_openapi_schema(path_prefix="")


class DescriptionTests(TestCase):
    def test_the_description_is_served_at_openapi_json(self):
        r = self.client.get("/api/v1/openapi.json")
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual(body["info"]["version"], "1")
        self.assertTrue(all(p.startswith("/api/v1/") for p in body["paths"]))
        self.assertEqual(len(body["paths"]), len(schema()["paths"]))

    def test_every_operation_documents_its_errors_as_problem_details(self):
        for path, item in schema()["paths"].items():
            for method, op in item.items():
                with self.subTest(op=f"{method} {path}"):
                    errors = {s: r for s, r in op["responses"].items() if str(s) >= "400"}
                    self.assertIn(404, errors)
                    self.assertIn(422, errors)
                    for response in errors.values():
                        self.assertEqual(list(response["content"]), [PROBLEM_CONTENT_TYPE])
                    if op.get("security"):
                        self.assertTrue({401, 403, 429} <= set(errors))
                        self.assertIn("Retry-After", errors[429]["headers"])
                    if "{" not in path and method == "get" and path != "/me":
                        self.assertIn(
                            "page_size",
                            {p["name"] for p in op.get("parameters", [])},
                            "every list is paged",
                        )


class ReferenceAndGuideTests(TestCase):
    def test_the_reference_page_lists_every_operation_and_every_problem(self):
        r = self.client.get("/api/v1/reference/")
        self.assertEqual(r.status_code, 200)
        html = r.content.decode()
        for path, item in schema()["paths"].items():
            for method in item:
                with self.subTest(op=f"{method} {path}"):
                    self.assertIn(f'<span class="code">/api/v1{path}</span>', html)
        for slug in KINDS:
            self.assertIn(f'id="problem-{slug}"', html)
        self.assertNotIn("<script", html.split("</header>", 1)[-1].split("<footer", 1)[0])

    def test_the_guide_shows_every_operation(self):
        guide = GUIDE.read_text(encoding="utf-8")
        for path in schema()["paths"]:
            pattern = re.escape(f"/api/v1{path}")
            pattern = re.sub(r"\\\{[a-z_]+\\\}", r"[^/?\"\\s]+", pattern) + r"[?\"\s]"
            with self.subTest(path=path):
                self.assertRegex(guide, pattern)

"""A council's own response through the API, with tokens of each role: the same rules as the
questionnaire's autosave (versions, replays, locks), the token owner's roles and no more."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diagnostic.analytics import council
from diagnostic.api.testing import V1, TokenClient, make_token
from diagnostic.assessments.models import Answer, Response
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation.models import ContributorAnswer
from diagnostic.consolidation.testing import ConsolidationTestCase
from diagnostic.plans.testing import GAP_ANSWERS, give_answers, make_action


class CouncilApiTestCase(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.as_ = {key: TokenClient(make_token(user)) for key, user in self.personas.items()}

    def answer_url(self, code="EC1", response=None):
        return f"{V1}/responses/{(response or self.response_a).pk}/answers/{code}"

    def put(self, who="bob", code="EC1", **body):
        payload = {"version": 0, "current_level": 3, "target_level": 4, "priority": "high",
                   "comment": "From our system."}  # fmt: skip
        payload.update(body)
        return self.as_[who].put_json(self.answer_url(code), payload)


class ResponseListTests(CouncilApiTestCase):
    def ids(self, who):
        return [r["id"] for r in self.as_[who].get(f"{V1}/responses").json()["items"]]

    def test_each_role_lists_only_what_it_may_read(self):
        a, b = self.response_a.pk, self.response_b.pk
        self.assertEqual(self.ids("bob"), [a])
        self.assertEqual(self.ids("victor"), [a])
        self.assertEqual(self.ids("charlie"), [b])
        self.assertEqual(sorted(self.ids("nina")), sorted([a, b]))
        self.assertEqual(sorted(self.ids("erin")), sorted([a, b]))
        # A contributor sees the agreed answers only once submitted; a regional lead only with
        # consent; no role, nothing.
        self.assertEqual(self.ids("alice"), [])
        self.assertEqual(self.ids("dana"), [])
        self.assertEqual(self.ids("zoe"), [])
        Response.objects.filter(pk=a).update(consent_regional_sharing=True, status="submitted")
        self.assertEqual(self.ids("alice"), [a])
        self.assertEqual(self.ids("dana"), [a])

    def test_a_response_says_the_token_owners_role(self):
        body = self.as_["victor"].get(f"{V1}/responses/{self.response_a.pk}").json()
        self.assertEqual(body["your_role"], "viewer")
        self.assertEqual(body["organisation"]["gss_code"], self.council_a.gss_code)
        self.assertTrue(body["editable"])
        self.assertEqual(body["status"], "draft")

    def test_a_contributor_cannot_read_the_draft_agreed_answers(self):
        for path in ["", "/answers", "/completeness", "/results", "/comparisons", "/action-plan"]:
            with self.subTest(path=path):
                r = self.as_["alice"].get(f"{V1}/responses/{self.response_a.pk}{path}")
                self.assertEqual(r.status_code, 403)
                self.assertEqual(r["Content-Type"], "application/problem+json")


class SaveAnswerTests(CouncilApiTestCase):
    def test_the_lead_saves_and_the_answer_is_versioned(self):
        r = self.put()
        self.assertEqual(r.status_code, 200, r.content)
        self.assertEqual(r.json()["version"], 1)
        a = Answer.objects.get(response=self.response_a, value_code__code="EC1")
        self.assertEqual((a.current_level, a.target_level, a.priority, a.comment, a.updated_by),
                         (3, 4, "high", "From our system.", self.bob))  # fmt: skip
        r = self.put(version=1, current_level=4, target_level=5)
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(AuditEvent.objects.filter(action="answer.saved").count(), 2)
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.answered_count, 1)
        listed = self.as_["bob"].get(f"{V1}/responses/{self.response_a.pk}/answers?page_size=1")
        self.assertEqual(listed.json()["items"][0]["current_level"], 4)
        self.assertEqual(listed.json()["count"], len(self.codes))

    def test_a_stale_update_gets_409_with_the_stored_answer(self):
        self.put(comment="First")
        r = self.put(version=0, comment="Mine", current_level=1)
        self.assertEqual(r.status_code, 409)
        self.assertEqual(r["Content-Type"], "application/problem+json")
        body = r.json()
        self.assertEqual(body["current"]["version"], 1)
        self.assertEqual(body["current"]["comment"], "First")
        self.assertEqual(body["current"]["current_level"], 3)
        self.assertEqual(Answer.objects.get(response=self.response_a).comment, "First")
        # A version that was never there is stale too.
        self.assertEqual(self.put(code="EC2", version=7).status_code, 409)
        self.assertEqual(self.put(code="EC2", version=7).json()["current"]["version"], 0)

    def test_a_replayed_request_id_is_a_no_op(self):
        r1 = self.put(request_id="sys-1", current_level=2)
        r2 = self.put(request_id="sys-1", current_level=2)
        self.assertEqual((r1.status_code, r2.status_code), (200, 200))
        self.assertEqual(r1.json(), r2.json())
        self.assertEqual(Answer.objects.get(response=self.response_a).version, 1)
        self.assertEqual(AuditEvent.objects.filter(action="answer.saved").count(), 1)
        self.put(version=1, request_id="sys-2", current_level=3)
        self.assertEqual(self.put(version=0, request_id="sys-1", current_level=2).status_code, 409)
        self.assertEqual(Answer.objects.get(response=self.response_a).current_level, 3)

    def test_every_bad_field_is_named(self):
        cases = [
            ({"current_level": 9}, "current_level"),
            ({"target_level": 0}, "target_level"),
            ({"current_level": "three"}, "current_level"),
            ({"priority": "urgent"}, "priority"),
            ({"target_date": "2030-02-30"}, "target_date"),
            ({"target_date": "1999-12-31"}, "target_date"),
            ({"comment": "x" * 5001}, "comment"),
            ({"version": -1}, "version"),
            ({"version": None}, "version"),
            ({"could_share": "perhaps"}, "could_share"),
            ({"request_id": "x" * 65}, "request_id"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                r = self.put(**body)
                self.assertEqual(r.status_code, 422, r.content)
                self.assertEqual(
                    [(e["location"], e["field"]) for e in r.json()["errors"]], [("body", field)]
                )
        r = self.as_["bob"].put(self.answer_url(), "not json", content_type="application/json")
        self.assertEqual(r.status_code, 400, r.content)
        self.assertEqual(r.json()["type"], "/api/v1/reference/#problem-bad-request")
        r = self.as_["bob"].put_json(self.answer_url(), {})
        self.assertEqual([e["field"] for e in r.json()["errors"]], ["version"])
        self.assertFalse(Answer.objects.exists())

    def test_extra_fields_have_no_effect(self):
        """Mass assignment (ASVS 15.3.3): organisation, status, version fields are ignored."""
        r = self.put(organisation=self.council_b.pk, status="submitted", carried_forward=True,
                     response=self.response_b.pk, updated_by=self.erin.pk)  # fmt: skip
        self.assertEqual(r.status_code, 200)
        a = Answer.objects.get()
        self.assertEqual(
            (a.response_id, a.carried_forward, a.updated_by), (self.response_a.pk, False, self.bob)
        )
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.status, "draft")

    def test_a_submitted_response_is_locked(self):
        Response.objects.filter(pk=self.response_a.pk).update(
            status="submitted", submitted_at=timezone.now()
        )
        r = self.put()
        self.assertEqual(r.status_code, 423)
        self.assertEqual(r.json()["type"], "/api/v1/reference/#problem-locked")
        self.assertFalse(Answer.objects.exists())

    def test_only_the_lead_writes(self):
        for who, status in [("victor", 403), ("alice", 403), ("nina", 403), ("erin", 403),
                            ("dana", 404), ("charlie", 404), ("zoe", 404)]:  # fmt: skip
            with self.subTest(who=who):
                self.assertEqual(self.put(who=who).status_code, status)
        self.assertFalse(Answer.objects.exists())

    def test_a_value_code_not_in_the_round_is_404(self):
        self.assertEqual(self.put(code="NOPE").status_code, 404)
        self.assertEqual(self.put(code="x" * 21).status_code, 422)


class ReadTests(CouncilApiTestCase):
    def setUp(self):
        super().setUp()
        give_answers(self.response_a, GAP_ANSWERS, self.codes)
        Response.objects.filter(pk=self.response_a.pk).update(answered_count=len(GAP_ANSWERS))
        self.action = make_action(
            self.response_a, "Publish a contract register", codes=["EC1", "EC2"]
        )

    def test_completeness_lists_what_stops_submission(self):
        body = self.as_["bob"].get(f"{V1}/responses/{self.response_a.pk}/completeness").json()
        self.assertFalse(body["complete"])
        self.assertEqual(body["answered"], len(GAP_ANSWERS))
        self.assertEqual(body["value_codes"], len(self.codes))
        missing_codes = {m["value_code"] for m in body["missing"] if m["value_code"]}
        unanswered = {vc.code for vc in self.codes} - set(GAP_ANSWERS)
        self.assertTrue(unanswered <= missing_codes)
        self.assertIn("ESS2", missing_codes)  # no priority yet
        self.assertIn(None, [m["value_code"] for m in body["missing"]])  # the officer's name

    def test_results_are_the_results_pages(self):
        body = self.as_["victor"].get(f"{V1}/responses/{self.response_a.pk}/results").json()
        own = council.own_levels(self.response_a)
        self.assertEqual([a["code"] for a in body["key_areas"]], [a["code"] for a in own["areas"]])
        for api_row, row in zip(body["key_areas"], own["areas"], strict=True):
            self.assertEqual(
                (api_row["median"], api_row["gap"], api_row["weighted_gap"], api_row["answered"]),
                (row["median"], row["gap"], row["weighted_gap"], row["answered"]),
            )
            self.assertEqual(
                {lv["level"]: lv["count"] for lv in api_row["levels"] if lv["count"]},
                {k: v for k, v in row["counts"].items() if k},
            )
        self.assertEqual(body["overall"]["weighted_gap"], own["overall"]["weighted_gap"])

    def test_comparisons_hide_groups_under_five(self):
        body = self.as_["bob"].get(f"{V1}/responses/{self.response_a.pk}/comparisons").json()
        self.assertEqual([g["key"] for g in body["groups"]], ["region", "type", "nation"])
        self.assertTrue(all(g["too_few"] for g in body["groups"]))
        self.assertTrue(
            all(
                c["too_few"] and c["median"] is None
                for row in body["key_areas"]
                for c in row["cells"]
            )
        )

    def test_the_action_plan(self):
        body = self.as_["victor"].get(f"{V1}/responses/{self.response_a.pk}/action-plan").json()
        self.assertEqual(body["count"], 1)
        [action] = body["items"]
        self.assertEqual(
            (action["title"], action["value_codes"], action["number"]),
            ("Publish a contract register", ["EC1", "EC2"], 1),
        )
        # A regional lead never reads a plan, even with consent.
        Response.objects.filter(pk=self.response_a.pk).update(consent_regional_sharing=True)
        self.assertEqual(
            self.as_["dana"].get(f"{V1}/responses/{self.response_a.pk}/action-plan").status_code,
            404,
        )
        self.assertEqual(
            self.as_["dana"].get(f"{V1}/responses/{self.response_a.pk}/results").status_code, 200
        )

    def test_queries_per_page_are_constant(self):
        for who, url in [
            ("bob", f"{V1}/responses/{self.response_a.pk}/answers?page_size={{n}}"),
            ("nina", f"{V1}/responses?page_size={{n}}"),
            ("bob", f"{V1}/responses/{self.response_a.pk}/action-plan?page_size={{n}}"),
            ("alice", f"{V1}/responses/{self.response_a.pk}/my-views?page_size={{n}}"),
            ("alice", f"{V1}/my-requests?page_size={{n}}"),
        ]:
            with self.subTest(url=url):
                counts = []
                # The first request in a rate-limit window adds its count (one statement
                # without Redis); every later one increments it: warm up past that.
                self.as_[who].get(url.format(n=1))
                for n in (1, 50):
                    with CaptureQueriesContext(connection) as ctx:
                        self.assertEqual(self.as_[who].get(url.format(n=n)).status_code, 200)
                    counts.append(len(ctx))
                self.assertEqual(counts[0], counts[1])
                self.assertLessEqual(counts[1], 12)


class ContributorViewTests(CouncilApiTestCase):
    def view_url(self, code="EC1", response=None):
        return f"{V1}/responses/{(response or self.response_a).pk}/my-views/{code}"

    def test_a_contributor_finds_their_requests_and_gives_views(self):
        reqs = self.as_["alice"].get(f"{V1}/my-requests").json()["items"]
        self.assertEqual([r["response"] for r in reqs], [self.response_a.pk])
        views = (
            self.as_["alice"]
            .get(f"{V1}/responses/{self.response_a.pk}/my-views?page_size=200")
            .json()
        )
        self.assertEqual(views["count"], len(self.codes))
        r = self.as_["alice"].put_json(
            self.view_url(), {"version": 0, "current_level": 2, "comment": "Mine"}
        )
        self.assertEqual(r.status_code, 200, r.content)
        self.assertEqual(r.json()["version"], 1)
        view = ContributorAnswer.objects.get()
        self.assertEqual(
            (view.current_level, view.assignment, view.comment), (2, self.assignment_a, "Mine")
        )
        # The agreed answers are untouched.
        self.assertFalse(Answer.objects.exists())
        stale = self.as_["alice"].put_json(self.view_url(), {"version": 0, "current_level": 4})
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(stale.json()["current"]["current_level"], 2)

    def test_views_only_on_what_was_asked_and_only_ones_own(self):
        # Beth was asked about key area EC only.
        beth = TokenClient(make_token(self.beth))
        self.assertEqual(
            beth.put_json(
                self.view_url("ESM1", self.response_b), {"version": 0, "current_level": 2}
            ).status_code,
            404,
        )
        self.assertEqual(
            beth.put_json(
                self.view_url("EC1", self.response_b), {"version": 0, "current_level": 2}
            ).status_code,
            200,
        )
        codes = [
            v["value_code"]
            for v in beth.get(f"{V1}/responses/{self.response_b.pk}/my-views?page_size=200").json()[
                "items"
            ]
        ]
        self.assertTrue(codes and all(c.startswith("EC") for c in codes))
        # Nobody else reaches another person's request.
        for who in ["bob", "victor", "charlie", "dana", "nina", "erin", "zoe"]:
            with self.subTest(who=who):
                self.assertEqual(
                    self.as_[who].get(f"{V1}/responses/{self.response_a.pk}/my-views").status_code,
                    404,
                )
                self.assertEqual(
                    self.as_[who].put_json(self.view_url(), {"version": 0}).status_code, 404
                )
        self.assertEqual(ContributorAnswer.objects.filter(assignment=self.assignment_a).count(), 0)

    def test_a_contributor_token_never_writes_agreed_answers(self):
        self.assertEqual(self.put(who="alice").status_code, 403)
        self.assertFalse(Answer.objects.exists())

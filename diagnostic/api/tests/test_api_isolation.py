"""Nobody reaches another council's objects through the API, whatever their token (ASVS 8.2.2,
8.3.1, 6.4.1).

Every operation of the OpenAPI description must be classified here: `OPEN` (no token, public
data) or `TOKEN` (how to name Council B's object in its path). The walk then asks for Council B's
objects with tokens of Council A's lead, contributor and viewer, of another region's regional
lead and of Council B's lower roles, and with Council B's lead's own tokens once expired and once
revoked: nothing but 401/403/404, the same answer as for an id that does not exist, and nothing
changed. The site-wide walk (accounts/tests/test_tenant_isolation.py) counts these routes as
classified here.
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Membership, Role
from diagnostic.accounts.tests.test_tenant_isolation import named_patterns_with_parameters
from diagnostic.api.api import api
from diagnostic.api.models import ApiToken
from diagnostic.api.testing import V1, TokenClient, make_token
from diagnostic.api.tests.routes import API_ROUTES
from diagnostic.assessments.models import Answer, Response
from diagnostic.broker.models import Introduction
from diagnostic.consolidation.models import ContributorAnswer
from diagnostic.consolidation.testing import ConsolidationTestCase, make_contributor
from diagnostic.organisations.models import Organisation
from diagnostic.plans.models import Action
from diagnostic.plans.testing import make_action

MISSING_ID = 987654321

# Public data: no token needed, nothing of a council's (published aggregates are suppressed).
OPEN = {
    "GET /frameworks",
    "GET /frameworks/{framework_code}/versions/{version}",
    "GET /frameworks/{framework_code}/versions/{version}/value-codes",
    "GET /organisations",
    "GET /organisations/{gss_code}",
    "GET /rounds",
    "GET /rounds/{round_id}",
    "GET /rounds/{round_id}/figures",
    "GET /case-studies",
    "GET /case-studies/{case_study_id}",
}
# Token operations -> (path params naming Council B's object, or None for lists and "me";
# the lowest role of Council B's own that may use it: "lead", "viewer", "contributor" (their
# own request), "lead-read" (the lead, even with a read-only token), or "national" for the
# sector endpoints).
TOKEN = {
    "GET /me": (None, None),
    "GET /responses": (None, None),
    "GET /my-requests": (None, None),
    "GET /responses/{response_id}": (lambda t: {"response_id": t.response_b.pk}, "viewer"),
    "GET /responses/{response_id}/answers": (lambda t: {"response_id": t.response_b.pk}, "viewer"),
    "PUT /responses/{response_id}/answers/{code}": (
        lambda t: {"response_id": t.response_b.pk, "code": "EC1"}, "lead"),
    "GET /responses/{response_id}/completeness": (lambda t: {"response_id": t.response_b.pk}, "viewer"),
    "GET /responses/{response_id}/results": (lambda t: {"response_id": t.response_b.pk}, "viewer"),
    "GET /responses/{response_id}/comparisons": (lambda t: {"response_id": t.response_b.pk}, "viewer"),
    "GET /responses/{response_id}/action-plan": (lambda t: {"response_id": t.response_b.pk}, "viewer"),
    "GET /responses/{response_id}/my-views": (lambda t: {"response_id": t.response_b.pk}, "contributor"),
    "PUT /responses/{response_id}/my-views/{code}": (
        lambda t: {"response_id": t.response_b.pk, "code": "EC1"}, "contributor"),
    "GET /sector/rounds/{round_id}/progress": (lambda t: {"round_id": t.round.pk}, "national"),
    "GET /sector/rounds/{round_id}/progress/councils": (lambda t: {"round_id": t.round.pk}, "national"),
    "GET /sector/rounds/{round_id}/export": (lambda t: {"round_id": t.round.pk}, "national"),
    "GET /introductions": (None, None),
    "GET /introductions/{introduction_id}": (
        lambda t: {"introduction_id": t.introduction_b.pk}, "lead-read"),
    "GET /sector/rounds/{round_id}/support/focus": (lambda t: {"round_id": t.round.pk}, "national"),
}  # fmt: skip
BODY = {"version": 0, "current_level": 3, "target_level": 4, "priority": "high", "comment": "x"}


def operations() -> set[str]:
    schema = api.get_openapi_schema(path_prefix="")
    return {f"{m.upper()} {path}" for path, item in schema["paths"].items() for m in item}


def url_for(op: str, params: dict) -> str:
    path = op.split(" ", 1)[1]
    for k, v in params.items():
        path = path.replace("{" + k + "}", str(v))
    return V1 + path


class ApiIsolationTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.action_b = make_action(self.response_b, "Council B's action", codes=["EC1"])
        self.viewer_b = make_contributor("vera@example.org", "Vera B", self.council_b)
        Membership.objects.filter(user=self.viewer_b).update(role=Role.VIEWER)
        # Council B lets its region see its named response: the regional lead of another
        # region still gets nothing.
        Response.objects.filter(pk=self.response_b.pk).update(consent_regional_sharing=True)
        expired = make_token(self.charlie, name="expired")
        ApiToken.objects.filter(name="expired").update(expires_at=timezone.now())
        revoked = make_token(self.charlie, name="revoked")
        ApiToken.objects.filter(name="revoked").update(revoked_at=timezone.now())
        # An introduction of Council B's (to Council C, in Council B's region), both accepted.
        council_c = Organisation.objects.create(
            gss_code="E07000999", name="Council C District Council", short_name="Council C",
            type="non_metropolitan_district", region=self.council_b.region, nation="England",
        )  # fmt: skip
        first, second = sorted([self.council_b, council_c], key=lambda o: o.pk)
        self.introduction_b = Introduction.objects.create(
            round=self.round, first=first, second=second, status="accepted",
            proposed_as="national", proposed_at=timezone.now(),
            expires_at=timezone.now() + dt.timedelta(days=14),
            first_answer="accepted", second_answer="accepted",
        )  # fmt: skip
        self.dead = {"expired": TokenClient(expired), "revoked": TokenClient(revoked)}
        self.others = {
            key: TokenClient(make_token(getattr(self, key)))
            for key in ["alice", "bob", "victor", "dana", "zoe"]
        }

    def call(self, client, op, params):
        method = op.split(" ", 1)[0].lower()
        url = url_for(op, params)
        if method == "put":
            return client.put_json(url, BODY)
        return getattr(client, method)(url)

    def test_every_operation_is_classified(self):
        self.assertEqual(operations() - OPEN - set(TOKEN), set(), "classify these operations")
        self.assertEqual(OPEN | set(TOKEN), operations())
        schema = api.get_openapi_schema(path_prefix="")
        for op in operations():
            method, path = op.split(" ", 1)
            secured = bool(schema["paths"][path][method.lower()].get("security"))
            self.assertEqual(secured, op in TOKEN, op)
        routes = {n for n in named_patterns_with_parameters() if n.startswith("api:")}
        self.assertEqual(routes, API_ROUTES)

    def test_other_councils_and_another_regions_lead_get_nothing_of_council_b(self):
        for key, client in self.others.items():
            for op, (params, _) in TOKEN.items():
                with self.subTest(token=key, op=op):
                    if params is None:
                        if op.startswith("GET"):
                            r = self.call(client, op, {})
                            self.assertEqual(r.status_code, 200)
                            self.assertNotIn(self.council_b.gss_code, r.content.decode())
                        continue
                    given = params(self)
                    if op.startswith("GET /sector") and key == "dana":
                        # A round is no council's: she sees her own region, never Council B.
                        r = self.call(client, op, given)
                        self.assertEqual(r.status_code, 200)
                        self.assertNotIn(self.council_b.gss_code, r.content.decode())
                        self.assertNotIn(self.council_b.name, r.content.decode())
                        continue
                    status = self.call(client, op, given).status_code
                    self.assertIn(status, (403, 404))
                    first = next(iter(given))
                    missing = self.call(client, op, {**given, first: MISSING_ID}).status_code
                    if op.startswith("GET /sector"):
                        continue  # refused by role (403) before any round is looked up
                    self.assertEqual(status, missing, "a missing id answers the same")
        self.assert_nothing_changed()

    def test_council_bs_lower_roles_get_no_more_than_their_role(self):
        lower = {
            "viewer": [("contributor", TokenClient(make_token(self.beth)))],
            "lead": [("viewer", TokenClient(make_token(self.viewer_b))),
                     ("contributor", TokenClient(make_token(self.beth))),
                     ("lead, read-only token", TokenClient(make_token(self.charlie, scopes=["read"])))],
            "contributor": [("viewer", TokenClient(make_token(self.viewer_b)))],
            "national": [("lead", TokenClient(make_token(self.charlie)))],
            "lead-read": [("viewer", TokenClient(make_token(self.viewer_b))),
                          ("contributor", TokenClient(make_token(self.beth)))],
        }  # fmt: skip
        for op, (params, needs) in TOKEN.items():
            for label, client in lower.get(needs, []):
                with self.subTest(op=op, token=label):
                    self.assertIn(self.call(client, op, params(self)).status_code, (403, 404))
        self.assert_nothing_changed()

    def test_expired_and_revoked_tokens_get_401_everywhere(self):
        for key, client in self.dead.items():
            for op, (params, _) in TOKEN.items():
                with self.subTest(token=key, op=op):
                    r = self.call(client, op, params(self) if params else {})
                    self.assertEqual(r.status_code, 401)
        self.assert_nothing_changed()

    def test_the_owners_can_reach_them(self):
        """The control case: Council B's lead's live token reaches the same operations."""
        charlie = TokenClient(make_token(self.charlie))
        for op, (params, needs) in TOKEN.items():
            if needs in ("lead", "viewer", "lead-read"):
                with self.subTest(op=op):
                    self.assertEqual(self.call(charlie, op, params(self)).status_code, 200)
        beth = TokenClient(make_token(self.beth))
        r = beth.get(
            url_for("GET /responses/{response_id}/my-views", {"response_id": self.response_b.pk})
        )
        self.assertEqual(r.status_code, 200)

    def test_open_operations_need_no_token(self):
        for op in OPEN:
            if "{" not in op:
                with self.subTest(op=op):
                    self.assertEqual(self.client.get(url_for(op, {})).status_code, 200)

    def assert_nothing_changed(self):
        self.assertFalse(Answer.objects.filter(response=self.response_b).exists())
        self.assertFalse(
            ContributorAnswer.objects.filter(assignment__response=self.response_b).exists()
        )
        self.assertEqual(
            list(Action.objects.filter(response=self.response_b).values_list("status", "version")),
            [("not_started", 1)],
        )
        self.response_b.refresh_from_db()
        self.assertEqual(self.response_b.status, "draft")


def test_reference_names_api_routes():
    """The reference page is reachable by name (a sanity check of the routes used above)."""
    assert reverse("apiweb:reference") == "/api/v1/reference/"

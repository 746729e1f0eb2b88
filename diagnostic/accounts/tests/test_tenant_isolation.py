"""Nobody reaches another council's objects, by any route or method (ASVS 8.2.2, 8.3.1).

The test walks every URL pattern. A pattern that takes an id must be listed in
`OTHER_COUNCILS_OBJECT` (how to name Council B's object) or `NOT_TENANT_DATA` (why it holds
nothing of a council's), so a new route fails this test until someone decides which it is.
"""

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from diagnostic.accounts.models import Invitation, Membership, Role
from diagnostic.accounts.services import do_invite
from diagnostic.consolidation.models import Assignment, ContributorAnswer, SignOffRequest
from diagnostic.consolidation.testing import ConsolidationTestCase
from diagnostic.plans.models import Action, DismissedSuggestion
from diagnostic.plans.testing import make_action

# Route name -> function of the test case giving URL args that name a Council B object.
OTHER_COUNCILS_OBJECT = {
    "accounts:people": lambda t: [t.council_b.pk],
    "accounts:change_role": lambda t: [Membership.objects.get(user=t.charlie).pk],
    "accounts:remove_membership": lambda t: [Membership.objects.get(user=t.charlie).pk],
    "accounts:revoke_invitation": lambda t: [Invitation.objects.get(organisation=t.council_b).pk],
    "organisations:detail": lambda t: [t.council_b.pk],
    "assessments:response": lambda t: [t.response_b.pk],
    "assessments:area": lambda t: [t.response_b.pk, "EC"],
    "assessments:next": lambda t: [t.response_b.pk],
    "assessments:start_from_previous": lambda t: [t.response_b.pk],
    "assessments:confirm_area": lambda t: [t.response_b.pk, "EC"],
    "assessments:save_answer": lambda t: [t.response_b.pk, "EC1"],
    "assessments:details": lambda t: [t.response_b.pk],
    "assessments:submit": lambda t: [t.response_b.pk],
    "assessments:response_pdf": lambda t: [t.response_b.pk],
    "assessments:reopen": lambda t: [t.response_b.pk],
    "plans:plan": lambda t: [t.response_b.pk],
    "plans:new": lambda t: [t.response_b.pk],
    "plans:accept": lambda t: [t.response_b.pk],
    "plans:dismiss": lambda t: [t.response_b.pk],
    "plans:restore": lambda t: [t.response_b.pk],
    "plans:carry_forward": lambda t: [t.response_b.pk],
    "plans:edit": lambda t: [t.response_b.pk, t.action_b.pk],
    "plans:status": lambda t: [t.response_b.pk, t.action_b.pk],
    "plans:delete": lambda t: [t.response_b.pk, t.action_b.pk],
    "plans:export_csv": lambda t: [t.response_b.pk],
    "plans:export_xlsx": lambda t: [t.response_b.pk],
    "plans:export_pdf": lambda t: [t.response_b.pk],
    "analytics:council_results": lambda t: [t.response_b.pk],
    "analytics:council_report": lambda t: [t.response_b.pk],
    "consolidation:contribution": lambda t: [t.response_b.pk],
    "consolidation:finished": lambda t: [t.response_b.pk],
    "consolidation:save_view": lambda t: [t.response_b.pk, "EC1"],
    "consolidation:contribution_xlsx": lambda t: [t.response_b.pk],
    "consolidation:contribution_upload": lambda t: [t.response_b.pk],
    "consolidation:contributors": lambda t: [t.response_b.pk],
    "consolidation:ask": lambda t: [t.response_b.pk],
    "consolidation:remind": lambda t: [t.response_b.pk],
    "consolidation:sharing": lambda t: [t.response_b.pk],
    "consolidation:withdraw": lambda t: [t.response_b.pk, t.assignment_b.pk],
    "consolidation:consolidate": lambda t: [t.response_b.pk],
    "consolidation:analysis": lambda t: [t.response_b.pk],
    "consolidation:adopt": lambda t: [t.response_b.pk, "EC1"],
    "consolidation:response_xlsx": lambda t: [t.response_b.pk],
    "consolidation:response_upload": lambda t: [t.response_b.pk],
    "consolidation:request_sign_off": lambda t: [t.response_b.pk],
    "consolidation:withdraw_sign_off": lambda t: [t.response_b.pk, t.sign_off_b.pk],
    # issue 14
    "audit:response_trail": lambda t: [t.response_b.pk],
}
# Routes with parameters that are not a council's data, and why.
NOT_TENANT_DATA = {
    "accounts:invitation": "keyed by a 256-bit secret token, tested in test_invitations",
    "accounts:password_reset_confirm": "signed token for one user, Django's own view",
    "consolidation:sign_off": "keyed by a 256-bit secret token for one officer, tested in test_sign_off",
    "public:framework_version": "public framework text",
    "public:key_area": "public framework text",
    "public:value_code": "public framework text",
    "assessments:blank_pdf": "public framework text",
    "analytics:regional": "a region's aggregates; other regions are 404 (test_figures)",
    "analytics:key_area": "aggregates only, held to the viewer's scope (test_figures)",
    "analytics:value_code": "names only councils the viewer may see (test_figures)",
    "analytics:publish": "national admins only, whole rounds (test_figures)",
    "analytics:export_csv": "national team only, whole rounds (test_exports)",
    "analytics:export_xlsx": "national team only, whole rounds (test_exports)",
    "analytics:chart": "a chart by the hash of its figures signed for one viewer (test_chart_access)",
    "analytics:public_round": "published national aggregates, suppressed under 5",
    "analytics:public_csv": "published national aggregates, suppressed under 5",
    "analytics:public_xlsx": "published national aggregates, suppressed under 5",
    "organisations:cluster": "regional or national groupings; tested in test_clusters",
    "assessments:round": "the national team only (analysts read-only), whole rounds; tested in test_rounds and test_tracking",
    "assessments:reminders": "national admins only, whole rounds; tested in test_reminders",
    "assessments:reminder_new": "national admins only, whole rounds; tested in test_reminders",
    "assessments:reminder": "national admins only, whole rounds; tested in test_reminders",
    "assessments:round_status": "national admins only, whole rounds; tested in test_rounds",
    # issue 14
    "twofactor:reset": "national admins only; a person's second factor, no council's data (test_second_factor)",
    "accounts:erase_person": "national admins only; a person, no council's data (test_personal_data)",
}
MISSING_ID = 987654321
METHODS = ["get", "post", "put", "patch", "delete"]


def named_patterns_with_parameters(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # the Django admin site: staff only, see test_roles_table
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from named_patterns_with_parameters(p, ns)
        elif isinstance(p, URLPattern) and p.pattern.converters:
            yield f"{namespace}{p.name}"


class TenantIsolationTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        do_invite(
            by=self.charlie,
            email="guest@example.org",
            role=Role.VIEWER,
            organisation=self.council_b,
        )
        # Council B's action plan has one action (the plans:edit, status and delete routes).
        self.action_b = make_action(self.response_b, "Council B's action", codes=["EC1"])

    def test_every_route_with_parameters_is_classified(self):
        routes = set(named_patterns_with_parameters())
        unclassified = routes - set(OTHER_COUNCILS_OBJECT) - set(NOT_TENANT_DATA)
        self.assertEqual(unclassified, set(), "classify these routes in this test")
        self.assertEqual(set(OTHER_COUNCILS_OBJECT) | set(NOT_TENANT_DATA), routes)

    def test_council_a_people_and_another_regions_lead_get_nothing_of_council_b(self):
        for user in [self.alice, self.bob, self.victor, self.dana, self.zoe]:
            self.client.force_login(user)
            for name, args in OTHER_COUNCILS_OBJECT.items():
                url = reverse(name, args=args(self))
                missing = reverse(name, args=[MISSING_ID, *args(self)[1:]])
                for method in METHODS:
                    with self.subTest(user=user.email, route=name, method=method):
                        status = getattr(self.client, method)(url).status_code
                        self.assertIn(status, (403, 404, 405))
                        # The same answer as for an id that does not exist: nothing leaks.
                        self.assertEqual(status, getattr(self.client, method)(missing).status_code)
        # And nothing changed.
        self.assertEqual(Membership.objects.get(user=self.charlie).role, "lead")
        self.assertEqual(Invitation.objects.get(organisation=self.council_b).status, "pending")
        self.assertFalse(self.response_b.answers.exists())
        self.response_b.refresh_from_db()
        self.assertEqual(self.response_b.status, "draft")
        self.assertEqual(
            list(Action.objects.filter(response=self.response_b).values_list("status", "version")),
            [("not_started", 1)],
        )
        self.assertFalse(DismissedSuggestion.objects.filter(response=self.response_b).exists())
        self.assertFalse(ContributorAnswer.objects.filter(assignment__response=self.response_b))
        self.assertEqual(
            list(
                Assignment.objects.filter(response=self.response_b).values_list(
                    "email", "withdrawn_at"
                )
            ),
            [("beth@example.org", None)],
        )
        self.assertEqual(SignOffRequest.objects.get(response=self.response_b).status, "pending")

    def test_signed_out_visitors_are_sent_to_sign_in(self):
        for name, args in OTHER_COUNCILS_OBJECT.items():
            r = self.client.get(reverse(name, args=args(self)))
            self.assertEqual(r.status_code, 302, name)
            self.assertTrue(r.url.startswith(reverse("accounts:sign_in")), name)

    def test_the_owners_can_reach_them(self):
        """The control case: the same URLs work for Council B's lead."""
        self.client.force_login(self.charlie)
        for name in [
            "accounts:people",
            "organisations:detail",
            "assessments:response",
            "assessments:area",
            "plans:plan",
            "plans:edit",
        ]:
            url = reverse(name, args=OTHER_COUNCILS_OBJECT[name](self))
            self.assertEqual(self.client.get(url).status_code, 200, name)

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
    "broker:partners": lambda t: [t.response_b.pk],
    "broker:ask": lambda t: [t.response_b.pk],
    "broker:disclosure": lambda t: [t.response_b.pk],
    "broker:introduction": lambda t: [t.introduction_b.pk],
    "broker:answer": lambda t: [t.introduction_b.pk],
    "broker:outcome": lambda t: [t.introduction_b.pk],
    # Good practice: Council B's draft (editing), submitted one (moderation), invitation.
    "practice:edit": lambda t: [_practice(t)["draft"].pk],
    "practice:save": lambda t: [_practice(t)["draft"].pk],
    "practice:submit": lambda t: [_practice(t)["draft"].pk],
    "practice:withdraw": lambda t: [_practice(t)["draft"].pk],
    "practice:add_attachment": lambda t: [_practice(t)["draft"].pk],
    "practice:remove_attachment": lambda t: [_practice(t)["draft"].pk, _practice(t)["file"].pk],
    "practice:moderate": lambda t: [_practice(t)["submitted"].pk],
    "practice:decline": lambda t: [_practice(t)["invitation"].pk],
    "practice:write_up": lambda t: [_practice(t)["invitation"].pk],
    "practice:examples_for_response": lambda t: [t.response_b.pk],
    # Support offered to Council B (a South East offer) and its invitation.
    "support:offer": lambda t: [t.support_offer_b.pk],
    "support:offer_invite": lambda t: [t.support_offer_b.pk],
    "support:offer_attendance": lambda t: [t.support_offer_b.pk],
    "support:invitation": lambda t: [t.support_invitation_b.pk],
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
    "assessments:round": "the national team (analysts read-only), whole rounds; a regional lead sees their region's councils only (test_regional_tracking); tested in test_rounds and test_tracking",
    "assessments:reminders": "national admins only, whole rounds; tested in test_reminders",
    "assessments:reminder_new": "national admins, whole rounds; a regional lead their region's councils only (test_regional_tracking); tested in test_reminders",
    "assessments:reminder": "national admins only, whole rounds; tested in test_reminders",
    "assessments:round_status": "national admins only, whole rounds; tested in test_rounds",
    "broker:plan": "national team and regional leads, their region's councils that agreed; tested in broker/test_sector_pages",
    "broker:plan_run": "a plan run: the national team, or regional leads for their own region's audience (404 otherwise); councils shown as their current choices allow; tested in broker/test_plan_runs",
    "broker:propose": "national admins and regional leads, councils that agreed; tested in broker/test_sector_pages",
    "broker:coverage": "national team and regional leads, their region's councils that agreed; tested in broker/test_sector_pages",
    "broker:dashboard": "counts per region, suppressed under 5 for regional leads; tested in broker/test_sector_pages",
    "practice:case_study": "published case studies by their visibility, a council's own in any state; tested in practice/tests/test_visibility",
    "practice:attachment": "the case study's own readers only; tested in practice/tests/test_attachments",
    "practice:invite": "national team and regional leads (their region's councils), whole rounds; tested in practice/tests/test_candidates",
    "practice:guidance_file": "curated guidance, public beside public case studies; tested in practice/tests/test_guidance",
    "practice:remove_guidance": "national team only; tested in practice/tests/test_guidance",
    "support:councils": "aggregates held to the viewer's region; names only councils the viewer may see (support/test_focus)",
    "support:offer_new": "a key area or value code of the framework; councils offered are those the viewer may name (support/test_offers)",
    "support:adviser_edit": "advisers are regional staff, not a council's data; other regions' are 404 (support/test_offers)",
    # issue 14
    "twofactor:reset": "national admins only; a person's second factor, no council's data (test_second_factor)",
    "accounts:erase_person": "national admins only; a person, no council's data (test_personal_data)",
}
# The JSON API: token-authenticated (no session), walked with tokens of other councils, lower
# roles, expired and revoked by diagnostic/api/tests/test_api_isolation.py, which also fails
# when an API route is added without being classified there.
from diagnostic.api.tests.routes import API_ROUTES  # noqa: E402

NOT_TENANT_DATA.update(dict.fromkeys(API_ROUTES, "JSON API, see api/tests/test_api_isolation"))
NOT_TENANT_DATA["apiweb:revoke"] = (
    "a person's own API tokens only (404 otherwise), tested in api/tests/test_tokens"
)
MISSING_ID = 987654321


def make_introduction_b(t):
    """An introduction proposed between Council B and another South East council (broker:*)."""
    import datetime as dt

    from django.utils import timezone

    from diagnostic.broker.models import Introduction
    from diagnostic.organisations.models import Organisation

    other = Organisation.objects.create(
        gss_code="E07000106", name="Canterbury City Council", short_name="Canterbury",
        type="non_metropolitan_district", region=t.south_east, nation="England",
    )  # fmt: skip
    now = timezone.now()
    return Introduction.objects.create(
        round=t.round, first=t.council_b, second=other, proposed_as="national", proposed_at=now,
        expires_at=now + dt.timedelta(days=28),
    )  # fmt: skip


def _practice(t) -> dict:
    """Council B's good-practice objects, made once per test."""
    if not hasattr(t, "_practice_objects"):
        from django.utils import timezone

        from diagnostic.practice.models import Attachment, WriteUpInvitation
        from diagnostic.practice.testing import make_case_study

        draft = make_case_study(t.council_b, t.framework, state="draft", title="B's draft")
        level = t.framework.levels.order_by("-number").first()
        t._practice_objects = {
            "draft": draft,
            "submitted": make_case_study(t.council_b, t.framework, state="submitted"),
            "file": Attachment.objects.create(
                case_study=draft,
                file="practice/0.pdf",
                original_name="b.pdf",
                kind="pdf",
                content_type="application/pdf",
                size=10,
            ),  # fmt: skip
            "invitation": WriteUpInvitation.objects.create(
                round=t.round,
                organisation=t.council_b,
                value_code=t.framework.valuecodes.first(),
                level=level,
                reason="Top",
                invited_at=timezone.now(),
            ),  # fmt: skip
        }
    return t._practice_objects


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
        self.introduction_b = make_introduction_b(self)
        # Support offered to Council B in the South East, and its invitation (support:* routes).
        from diagnostic.support.models import Invitation as SupportInvitation
        from diagnostic.support.models import Offer

        self.support_offer_b = Offer.objects.create(
            round=self.round, region=self.south_east, kind="workshop", title="Council B's offer",
            key_area=self.framework.keyareas.get(code="EC"), starts_on=self.round.closes_on,
            ends_on=self.round.closes_on, capacity=3,
        )  # fmt: skip
        self.support_invitation_b = SupportInvitation.objects.create(
            offer=self.support_offer_b, organisation=self.council_b, status="invited"
        )

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
        self.support_invitation_b.refresh_from_db()
        self.assertEqual(
            (self.support_invitation_b.status, self.support_invitation_b.attended),
            ("invited", None),
        )

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
            "support:invitation",
        ]:
            url = reverse(name, args=OTHER_COUNCILS_OBJECT[name](self))
            self.assertEqual(self.client.get(url).status_code, 200, name)

    def test_council_bs_good_practice_is_unchanged_after_all_that(self):
        """After every route and method above, Council B's case studies are as they were."""
        self.test_council_a_people_and_another_regions_lead_get_nothing_of_council_b()
        objs = _practice(self)
        for key in ("draft", "submitted"):
            objs[key].refresh_from_db()
        objs["invitation"].refresh_from_db()
        self.assertEqual(
            (objs["draft"].state, objs["draft"].version, objs["draft"].title),
            ("draft", 1, "B's draft"),
        )
        self.assertEqual(objs["submitted"].state, "submitted")
        self.assertEqual(objs["invitation"].status, "pending")
        self.assertEqual(objs["draft"].attachments.count(), 1)
        self.assertFalse(objs["draft"].events.exists())


BROKER_PAGES_WITHOUT_POST = {"broker:partners", "broker:introduction"}


class BrokerIsolationTests(ConsolidationTestCase):
    """Council B's introduction and broker choice are untouched by everyone else's requests."""

    def setUp(self):
        super().setUp()
        self.introduction_b = make_introduction_b(self)

    def test_nothing_of_council_bs_broker_data_changes(self):
        from diagnostic.broker.models import Disclosure, Outcome

        data = {
            "answer": "accept",
            "visibility": "named",
            "met": "on",
            "partner": self.council_a.pk,
        }
        for user in [self.alice, self.bob, self.victor, self.dana, self.zoe]:
            self.client.force_login(user)
            for name in [n for n in OTHER_COUNCILS_OBJECT if n.startswith("broker:")]:
                url = reverse(name, args=OTHER_COUNCILS_OBJECT[name](self))
                with self.subTest(user=user.email, route=name):
                    # Pages that only show something refuse POST before any lookup (405 for
                    # every id alike); the rest find nothing of Council B's.
                    refused = (405,) if name in BROKER_PAGES_WITHOUT_POST else (403, 404)
                    self.assertIn(self.client.post(url, data).status_code, refused)
        self.introduction_b.refresh_from_db()
        self.assertEqual(
            (self.introduction_b.status, self.introduction_b.first_answer), ("proposed", "")
        )
        self.assertFalse(Disclosure.objects.filter(organisation=self.council_b).exists())
        self.assertFalse(Outcome.objects.exists())

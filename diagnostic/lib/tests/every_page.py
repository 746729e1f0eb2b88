"""Every page of the service as each persona: the URL patterns walked, with Council A's objects.

Shared by the HTTP test that fails on template syntax in a page (`test_every_page.py`) and the
browser test that fails on a page scrolling sideways on a phone
(`browser_tests/test_phone_widths.py`). A new route fails `test_every_route_is_listed` until it
is given arguments here (or listed in NOT_A_PAGE with the reason).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from diagnostic.frameworks.models import KeyArea, ValueCode

# Route name -> function of the fixture (a test case) giving the URL's arguments.
PAGE_ARGS = {
    "accounts:people": lambda t: [t.council_a.pk],
    "organisations:detail": lambda t: [t.council_a.pk],
    "assessments:response": lambda t: [t.response_a.pk],
    "assessments:area": lambda t: [t.response_a.pk, "EC"],
    "assessments:details": lambda t: [t.response_a.pk],
    "assessments:submit": lambda t: [t.response_a.pk],
    "assessments:round": lambda t: [t.round.pk],
    "assessments:reminders": lambda t: [t.round.pk],
    "assessments:reminder_new": lambda t: [t.round.pk],
    "plans:plan": lambda t: [t.response_a.pk],
    "plans:new": lambda t: [t.response_a.pk],
    "analytics:council_results": lambda t: [t.response_a.pk],
    "analytics:regional": lambda t: [t.north_west.code],
    "analytics:key_area": lambda t: [KeyArea.objects.get(version=t.framework, code="EC").pk],
    "analytics:value_code": lambda t: [ValueCode.objects.get(version=t.framework, code="EC1").pk],
    "analytics:public_round": lambda t: [t.round.pk],
    "consolidation:contribution": lambda t: [t.response_a.pk],
    "consolidation:contributors": lambda t: [t.response_a.pk],
    "consolidation:ask": lambda t: [t.response_a.pk],
    "consolidation:remind": lambda t: [t.response_a.pk],
    "consolidation:withdraw": lambda t: [t.response_a.pk, t.assignment_a.pk],
    "consolidation:consolidate": lambda t: [t.response_a.pk],
    "consolidation:analysis": lambda t: [t.response_a.pk],
    "consolidation:response_upload": lambda t: [t.response_a.pk],
    "consolidation:contribution_upload": lambda t: [t.response_a.pk],
    "consolidation:request_sign_off": lambda t: [t.response_a.pk],
    "public:framework_version": lambda t: ["nps", "2018"],
    "public:key_area": lambda t: ["nps", "2018", "EC"],
    "public:value_code": lambda t: ["nps", "2018", "EC1"],
    # Hardening (issue 14).
    "accounts:erase_person": lambda t: [t.alice.pk],
    "twofactor:reset": lambda t: [t.erin.pk],
    "audit:response_trail": lambda t: [t.response_a.pk],
    # The relationship broker, with an introduction between Council A and Council B.
    "broker:partners": lambda t: [t.response_a.pk],
    "broker:disclosure": lambda t: [t.response_a.pk],
    "broker:plan": lambda t: [t.round.pk],
    "broker:plan_run": lambda t: [t.round.pk, _objects(t)["plan_run"].pk],
    "broker:coverage": lambda t: [t.round.pk],
    "broker:dashboard": lambda t: [t.round.pk],
    "broker:introduction": lambda t: [_objects(t)["introduction"].pk],
    "broker:outcome": lambda t: [_objects(t)["introduction"].pk],
    # Good practice: Council A's published case study, its draft's editor, the examples.
    "practice:case_study": lambda t: [_objects(t)["case_study"].pk],
    "practice:edit": lambda t: [_objects(t)["draft"].pk],
    "practice:examples_for_response": lambda t: [t.response_a.pk],
    # Support targeting: an offer to Council A, its invitation, the adviser.
    "support:councils": lambda t: [KeyArea.objects.get(version=t.framework, code="EC").pk],
    "support:offer_new": lambda t: [KeyArea.objects.get(version=t.framework, code="EC").pk],
    "support:offer": lambda t: [_objects(t)["offer"].pk],
    "support:invitation": lambda t: [_objects(t)["support_invitation"].pk],
    "support:adviser_edit": lambda t: [_objects(t)["adviser"].pk],
}
# Routes that are not an HTML page to look at with GET, and why.
NOT_A_PAGE = {
    "accounts:sign_out": "POST only",
    "accounts:switch_organisation": "POST only",
    "accounts:invitation": "keyed by a secret token (test_invitations)",
    "accounts:password_reset_confirm": "keyed by a signed token (Django's own view)",
    "accounts:change_role": "POST only",
    "accounts:remove_membership": "POST only",
    "accounts:revoke_invitation": "POST only",
    "assessments:next": "a redirect to the next unanswered item",
    "assessments:start_from_previous": "POST only",
    "assessments:confirm_area": "POST only",
    "assessments:save_answer": "autosave endpoint (POST)",
    "assessments:response_pdf": "a PDF",
    "assessments:blank_pdf": "a PDF",
    "assessments:reopen": "POST only",
    "assessments:round_status": "POST only",
    "assessments:reminder": "one reminder's record, needs a reminder (test_reminders)",
    "plans:accept": "POST only",
    "plans:dismiss": "POST only",
    "plans:restore": "POST only",
    "plans:carry_forward": "POST only",
    "plans:edit": "needs an action (test_plans)",
    "plans:status": "POST only",
    "plans:delete": "needs an action (test_plans)",
    "plans:export_csv": "a CSV file",
    "plans:export_xlsx": "a spreadsheet",
    "plans:export_pdf": "a PDF",
    "analytics:council_report": "a PDF",
    "analytics:publish": "POST only",
    "analytics:export_csv": "a CSV file",
    "analytics:export_xlsx": "a spreadsheet",
    "analytics:chart": "an SVG image",
    "analytics:public_csv": "a CSV file",
    "analytics:public_xlsx": "a spreadsheet",
    "consolidation:finished": "POST only",
    "consolidation:save_view": "autosave endpoint (POST)",
    "consolidation:contribution_xlsx": "a spreadsheet",
    "consolidation:response_xlsx": "a spreadsheet",
    "consolidation:sharing": "POST only",
    "consolidation:adopt": "POST only",
    "consolidation:withdraw_sign_off": "POST only",
    "consolidation:sign_off": "keyed by a secret token (test_sign_off)",
    "organisations:cluster": "needs a cluster (test_clusters)",
    "public:healthz": "plain text for monitoring",
    "public:favicon": "an image",
    "apiweb:revoke": "POST only",
    "accounts:my_data_json": "a JSON download",
    "audit:trail_csv": "a CSV file",
    "practice:feed": "an Atom feed",
    "practice:library_csv": "a CSV file",
    "support:offers_xlsx": "a spreadsheet",
    "support:ranking_xlsx": "a spreadsheet",
    "practice:new": "POST only (starts a draft)",
    "twofactor:recovery_codes": "POST only",
    "twofactor:remove": "POST only",
    "broker:answer": "POST only",
    "broker:ask": "POST only",
    "broker:propose": "POST only",
    "practice:add_attachment": "POST only",
    "practice:attachment": "a download",
    "practice:guidance_file": "a download",
    "practice:decline": "POST only",
    "practice:invite": "POST only",
    "practice:moderate": "POST only",
    "practice:remove_attachment": "POST only",
    "practice:remove_guidance": "POST only",
    "practice:save": "autosave endpoint (POST)",
    "practice:submit": "POST only",
    "practice:withdraw": "POST only",
    "practice:write_up": "POST only",
    "support:offer_attendance": "POST only",
    "support:offer_invite": "POST only",
}
# The JSON API's operations are JSON, not pages (diagnostic/api/tests walk every one).
API_NAMESPACE = "api:"


def _objects(t) -> dict:
    """Council A's broker, good-practice and support objects, made once per test."""
    if not hasattr(t, "_every_page_objects"):
        import datetime as dt

        from django.utils import timezone

        from diagnostic.broker.models import Introduction, PlanRun
        from diagnostic.practice.testing import make_case_study
        from diagnostic.support.models import Adviser, Offer
        from diagnostic.support.models import Invitation as SupportInvitation

        now = timezone.now()
        offer = Offer.objects.create(
            round=t.round, region=t.north_west, kind="workshop", title="Contract registers",
            key_area=KeyArea.objects.get(version=t.framework, code="EC"),
            starts_on=t.round.closes_on, ends_on=t.round.closes_on, capacity=3,
        )  # fmt: skip
        adviser = Adviser.objects.create(
            name="Pat Adviser", email="pat@example.org", kind="lga", days_per_quarter=10
        )
        adviser.regions.add(t.north_west)
        t._every_page_objects = {
            "introduction": Introduction.objects.create(
                round=t.round,
                first=t.council_a,
                second=t.council_b,
                proposed_as="national",
                proposed_at=now,
                expires_at=now + dt.timedelta(days=28),
            ),  # fmt: skip
            "case_study": make_case_study(t.council_a, t.framework),
            "draft": make_case_study(t.council_a, t.framework, state="draft", title="Draft"),
            "offer": offer,
            "support_invitation": SupportInvitation.objects.create(
                offer=offer, organisation=t.council_a, status="invited"
            ),
            "adviser": adviser,
            # A plan of introductions for the North West's regional audience (national team
            # and Dana see it), done: the page as it is once worked out.
            "plan_run": PlanRun.objects.create(
                round=t.round,
                region=t.north_west,
                capacity=1,
                time_limit=30,
                national=False,
                audience_regions=[t.north_west.pk],
                key="every-page",
                status="done",
                created_at=now,
                progress_at=now,
                finished_at=now,
                fraction=1.0,
                result={
                    "rows": [],
                    "total": 0.0,
                    "optimal": True,
                    "gap": 0.0,
                    "method": "nothing to match",
                    "councils": 2,
                    "pairs_considered": 0,
                },
            ),  # fmt: skip
        }
    return t._every_page_objects


PERSONAS = ("alice", "bob", "victor", "dana", "nina", "erin", "zoe", None)


def url_patterns(resolver=None, namespace=""):
    """(route name, URLPattern) for every named route but the Django admin's."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # the Django admin site: staff only
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_patterns(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", p


def named_patterns():
    for name, p in url_patterns():
        yield name, bool(p.pattern.converters)


def placeholder_urls() -> list[tuple[str, str]]:
    """(route name, path) for every route but the JSON API's, its parameters filled with values
    naming nothing (an id no object has, a word): for what is answered before any lookup, such
    as which methods a view takes (lib/tests/test_methods_and_caching.py)."""
    urls = []
    for name, p in sorted(url_patterns(), key=lambda np: np[0]):
        if name.startswith(API_NAMESPACE):
            continue
        kwargs = {
            key: 987654321 if isinstance(conv, IntConverter) else "x"
            for key, conv in p.pattern.converters.items()
        }
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def page_urls(fixture) -> list[tuple[str, str]]:
    """(route name, path) for every page, with the fixture's Council A objects as arguments."""
    urls = []
    for name, has_parameters in sorted(set(named_patterns())):
        if name in NOT_A_PAGE or name.startswith(API_NAMESPACE):
            continue
        if has_parameters:
            urls.append((name, reverse(name, args=PAGE_ARGS[name](fixture))))
        else:
            urls.append((name, reverse(name)))
    return urls


def unlisted_routes() -> set[str]:
    return {
        name
        for name, has_parameters in named_patterns()
        if has_parameters
        and name not in PAGE_ARGS
        and name not in NOT_A_PAGE
        and not name.startswith(API_NAMESPACE)
    }

"""Every page of the service as each persona: the URL patterns walked, with Council A's objects.

Shared by the HTTP test that fails on template syntax in a page (`test_every_page.py`) and the
browser test that fails on a page scrolling sideways on a phone
(`browser_tests/test_phone_widths.py`). A new route fails `test_every_route_is_listed` until it
is given arguments here (or listed in NOT_A_PAGE with the reason).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver, reverse

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
}
PERSONAS = ("alice", "bob", "victor", "dana", "nina", "erin", "zoe", None)


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # the Django admin site: staff only
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from named_patterns(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", bool(p.pattern.converters)


def page_urls(fixture) -> list[tuple[str, str]]:
    """(route name, path) for every page, with the fixture's Council A objects as arguments."""
    urls = []
    for name, has_parameters in sorted(set(named_patterns())):
        if name in NOT_A_PAGE:
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
        if has_parameters and name not in PAGE_ARGS and name not in NOT_A_PAGE
    }

"""docs/roles.md, tested exactly: every cell of the table is checked over HTTP."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from diagnostic.accounts.models import Membership, Role
from diagnostic.assessments.models import Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.testing import make_user

TABLE = Path(settings.BASE_DIR) / "docs" / "roles.md"
COLUMNS = {
    "lead": Role.LEAD,
    "contributor": Role.CONTRIBUTOR,
    "viewer": Role.VIEWER,
    "regional lead": Role.REGIONAL_LEAD,
    "national analyst": Role.NATIONAL_ANALYST,
    "national admin": Role.NATIONAL_ADMIN,
}


def read_table() -> dict[str, dict[str, bool]]:
    rows = {}
    header = None
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or set(line) <= {"|", "-", " "}:
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
            continue
        rows[cells[0]] = {h: c == "yes" for h, c in zip(header[1:], cells[1:], strict=True)}
    return rows


class RolesTableTests(AssessmentTestCase):
    def person(self, role: Role):
        """A fresh person holding only `role`, in Council A or the North West."""
        scope = {}
        if role in (Role.LEAD, Role.CONTRIBUTOR, Role.VIEWER):
            scope = {"organisation": self.council_a}
        elif role == Role.REGIONAL_LEAD:
            scope = {"region": self.north_west}
        user = make_user(f"only-{role.value}", f"Only {role.label}", role, **scope)
        if role != Role.LEAD:
            # The lead's people page needs Council A to keep one lead; Bob is it.
            assert Membership.objects.filter(organisation=self.council_a, role=Role.LEAD).exists()
        return user

    def ok(self, method: str, url: str, data=None) -> bool:
        r = getattr(self.client, method)(url, data or {})
        return r.status_code in (200, 302) and not (
            r.status_code == 302 and reverse("accounts:sign_in") in r.url
        )

    def shows(self, url: str, text: str) -> bool:
        """A GET answers 200 with this text in the page."""
        r = self.client.get(url)
        return r.status_code == 200 and text in r.content.decode()

    def reaches(self, method: str, url: str, data=None, headers=None) -> bool:
        """The route did its work or judged the input (not 403/404, not sent to sign in)."""
        r = getattr(self.client, method)(url, data or {}, headers=headers or {})
        if r.status_code == 302 and reverse("accounts:sign_in") in r.url:
            return False
        return r.status_code in (200, 302, 400, 409, 422)

    def submitted(self, check) -> bool:
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.SUBMITTED)
        try:
            return check()
        finally:
            Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.DRAFT)

    def asked(self, check) -> bool:
        """With a request for views addressed to the person signed in."""
        from diagnostic.consolidation.testing import make_assignment

        assignment = make_assignment(self.response_a, self.current)
        try:
            return check()
        finally:
            assignment.delete()

    def with_consent(self, check) -> bool:
        Response.objects.filter(pk=self.response_a.pk).update(consent_regional_sharing=True)
        try:
            return check()
        finally:
            Response.objects.filter(pk=self.response_a.pk).update(consent_regional_sharing=False)

    CHECKS = {
        "read the framework and public pages": lambda t: all(
            t.ok("get", u)
            for u in ["/", "/framework/", "/privacy/", "/about-the-data/", "/api/v1/frameworks"]
        ),
        "see their own account page": lambda t: t.ok("get", reverse("accounts:home")),
        "see their own organisation's register entry": lambda t: t.ok(
            "get", reverse("organisations:detail", args=[t.council_a.pk])
        ),
        "see another region's organisation": lambda t: t.ok(
            "get", reverse("organisations:detail", args=[t.council_b.pk])
        ),
        "browse the organisation register": lambda t: t.ok(
            "get", reverse("organisations:register")
        ),
        "manage people in their own organisation": lambda t: t.ok(
            "get", reverse("accounts:people", args=[t.council_a.pk])
        ),
        "manage people in any organisation": lambda t: t.ok(
            "get", reverse("accounts:people", args=[t.council_b.pk])
        ),
        "invite someone to any role": lambda t: t.ok("get", reverse("accounts:manage_invite")),
        "invite every council's lead from a CSV": lambda t: t.ok(
            "get", reverse("accounts:manage_bulk_invite")
        ),
        "see everyone with a role": lambda t: t.ok("get", reverse("accounts:manage_people")),
        "read their organisation's agreed answers while in draft": lambda t: t.ok(
            "get", reverse("assessments:area", args=[t.response_a.pk, "EC"])
        ),
        "read their organisation's submitted response": lambda t: t.submitted(
            lambda: t.ok("get", reverse("assessments:area", args=[t.response_a.pk, "EC"]))
        ),
        "give their own views when the lead asks them": lambda t: t.asked(
            lambda: t.ok("get", reverse("consolidation:contribution", args=[t.response_a.pk]))
        ),
        "ask colleagues for their views and remind them": lambda t: (
            t.ok("get", reverse("consolidation:contributors", args=[t.response_a.pk]))
            and t.ok("get", reverse("consolidation:remind", args=[t.response_a.pk]))
        ),
        "consolidate colleagues' views into the agreed answers": lambda t: t.ok(
            "get", reverse("consolidation:consolidate", args=[t.response_a.pk])
        ),
        "see the analysis of colleagues' views by department and role": lambda t: t.ok(
            "get", reverse("consolidation:analysis", args=[t.response_a.pk])
        ),
        "download the agreed answers as a spreadsheet": lambda t: t.ok(
            "get", reverse("consolidation:response_xlsx", args=[t.response_a.pk])
        ),
        "upload the agreed answers from a spreadsheet": lambda t: t.ok(
            "get", reverse("consolidation:response_upload", args=[t.response_a.pk])
        ),
        "ask a senior officer to sign off the response": lambda t: t.ok(
            "get", reverse("consolidation:request_sign_off", args=[t.response_a.pk])
        ),
        "read a named response in their region, with the council's consent": lambda t: (
            t.with_consent(
                lambda: t.ok("get", reverse("assessments:response", args=[t.response_a.pk]))
            )
        ),
        "change their organisation's agreed answers": lambda t: t.reaches(
            "post",
            reverse("assessments:save_answer", args=[t.response_a.pk, "EC1"]),
            t.answer_payload("EC1"),
            {"HX-Request": "true"},
        ),
        "submit their organisation's response": lambda t: t.reaches(
            "post", reverse("assessments:submit", args=[t.response_a.pk])
        ),
        "download their organisation's response as PDF": lambda t: t.pdf_ok(),
        # The regional lead is asked with the council's consent: the plan stays private even then.
        "read their organisation's action plan": lambda t: t.with_consent(
            lambda: t.ok("get", reverse("plans:plan", args=[t.response_a.pk]))
        ),
        "edit their organisation's action plan": lambda t: t.reaches(
            "post",
            reverse("plans:new", args=[t.response_a.pk]),
            {"title": "Agree a social value policy", "status": "not_started"},
        ),
        "download their organisation's action plan (PDF, XLSX, CSV)": lambda t: t.with_consent(
            t.plan_exports_ok
        ),
        "see the list of rounds": lambda t: t.ok("get", reverse("assessments:rounds")),
        "create, open, extend and close rounds": lambda t: t.ok(
            "get", reverse("assessments:round_new")
        ),
        # Council B is in another region than the regional lead's.
        "follow every council's progress in a round": lambda t: t.shows(
            reverse("assessments:round", args=[t.round.pk]), "Council B County Council"
        ),
        "send reminders to councils' leads": lambda t: t.shows(
            reverse("assessments:reminder_new", args=[t.round.pk]) + "?q=Council+B",
            "<dt>To be reminded</dt><dd>1 council (",
        ),
        "follow their region's councils' progress in a round, by name": lambda t: t.shows(
            reverse("assessments:round", args=[t.round.pk]), "Council A Metropolitan Borough"
        ),
        "send reminders to their region's councils' leads": lambda t: t.shows(
            reverse("assessments:reminder_new", args=[t.round.pk]) + "?q=Council+A",
            "<dt>To be reminded</dt><dd>1 council (",
        ),
        "see the national dashboard": lambda t: t.ok("get", reverse("analytics:national")),
        "see their region's dashboard": lambda t: t.ok(
            "get", reverse("analytics:regional", args=["E12000002"])
        ),
        "publish a round's national results (closed rounds only)": lambda t: t.reaches(
            "post", reverse("analytics:publish", args=[t.round.pk])
        ),
        "form clusters of councils": lambda t: t.ok("get", reverse("organisations:cluster_new")),
        # issue 14
        "must pass a second factor after their password": lambda t: t.second_step_needed(),
        "reset someone's second factor": lambda t: t.ok(
            "get", reverse("twofactor:reset", args=[t.bob.pk])
        ),
        "read the audit trail of every council": lambda t: t.ok("get", reverse("audit:trail")),
        "read their own response's audit trail": lambda t: t.ok(
            "get", reverse("audit:response_trail", args=[t.response_a.pk])
        ),
        "erase a person's personal data": lambda t: t.ok(
            "get", reverse("accounts:erase_person", args=[t.zoe.pk])
        ),
        "reopen a submitted response": lambda t: t.ok(
            "get", reverse("assessments:reopen", args=[t.response_a.pk])
        ),
        "choose whether their council is suggested to other councils": lambda t: t.ok(
            "get", reverse("broker:disclosure", args=[t.response_a.pk])
        ),
        "see their council's suggested partners and ask for an introduction": lambda t: (
            t.ok("get", reverse("broker:partners", args=[t.response_a.pk]))
            and t.reaches("post", reverse("broker:ask", args=[t.response_a.pk]), {"partner": "x"})
        ),
        "accept or decline an introduction for their council": lambda t: t.introduced(
            lambda intro: t.reaches("post", reverse("broker:answer", args=[intro.pk]))
        ),
        "record what came of their council's introductions": lambda t: t.introduced(
            lambda intro: t.ok("get", reverse("broker:outcome", args=[intro.pk])), accepted=True
        ),
        "propose introductions between councils": lambda t: t.reaches(
            "post", reverse("broker:propose", args=[t.round.pk])
        ),
        "work out a plan of introductions for a round": lambda t: t.ok(
            "post", reverse("broker:plan", args=[t.round.pk]), {"capacity": 1}
        ),
        "follow a plan of introductions as it is worked out, and read it": lambda t: t.planned(
            lambda run: t.ok("get", reverse("broker:plan_run", args=[t.round.pk, run.pk]))
        ),
        "see which value codes a region or cluster covers": lambda t: t.ok(
            "get", reverse("broker:coverage", args=[t.round.pk])
        ),
        "see the broker dashboard": lambda t: t.ok(
            "get", reverse("broker:dashboard", args=[t.round.pk])
        ),
        "see where support is needed, advisers, offers and whether support helped": lambda t: all(
            t.ok("get", reverse(f"support:{name}"))
            for name in ("focus", "advisers", "offers", "effect")
        ),
        "keep the adviser register and plan support offers": lambda t: (
            t.ok("get", reverse("support:adviser_new"))
            and t.ok(
                "get", reverse("support:offer_new", args=[t.framework.keyareas.get(code="EC").pk])
            )
        ),
        "download the support ranking and offers (XLSX)": lambda t: (
            t.ok("get", reverse("support:ranking_xlsx"))
            and t.ok("get", reverse("support:offers_xlsx"))
        ),
        "reply to support offered to their organisation": lambda t: t.support_invited(
            lambda inv: t.reaches(
                "post", reverse("support:invitation", args=[inv.pk]), {"reply": "accept"}
            )
        ),
    }

    def introduced(self, check, *, accepted: bool = False) -> bool:
        """With an introduction between Council A and Council B proposed by the national team
        (answered by both when `accepted`); the councils chose to be named to each other."""
        import datetime as dt

        from django.utils import timezone

        from diagnostic.broker.models import Introduction

        now = timezone.now()
        intro = Introduction.objects.create(
            round=self.round, first=self.council_a, second=self.council_b, proposed_as="national",
            proposed_at=now, expires_at=now + dt.timedelta(days=28),
            status="accepted" if accepted else "proposed",
            first_answer="accepted" if accepted else "", second_answer="accepted" if accepted else "",
        )  # fmt: skip
        try:
            return check(intro)
        finally:
            intro.delete()

    def planned(self, check) -> bool:
        """With a plan asked for by the person signed in (through the plan page), or by the
        national team when they may not ask for one."""
        from diagnostic.broker import services
        from diagnostic.broker.models import PlanRun

        self.client.post(reverse("broker:plan", args=[self.round.pk]), {"capacity": 1})
        run = PlanRun.objects.order_by("-pk").first()
        if run is None:
            run, _ = services.do_request_plan(rnd=self.round, capacity=1, by=self.erin)
        try:
            return check(run)
        finally:
            PlanRun.objects.all().delete()

    def support_invited(self, check) -> bool:
        """With support offered to Council A and its invitation sent."""
        from diagnostic.support.models import Invitation, Offer

        offer = Offer.objects.create(
            round=self.round, region=self.north_west, kind="workshop", title="Briefing",
            key_area=self.framework.keyareas.get(code="EC"), starts_on=self.round.closes_on,
            ends_on=self.round.closes_on, capacity=3,
        )  # fmt: skip
        inv = Invitation.objects.create(offer=offer, organisation=self.council_a, status="invited")
        try:
            return check(inv)
        finally:
            offer.delete()

    # The JSON API (docs/api.md), through a token of the person signed in.
    API_CHECKS = {
        "make, list and revoke their own API tokens": lambda t: t.ok("get", reverse("apiweb:tokens")),
        "read their organisation's agreed answers through the API while in draft": lambda t: t.api(
            "get", f"/api/v1/responses/{t.response_a.pk}/answers"
        ),
        "change their organisation's agreed answers through the API": lambda t: t.api(
            "put", f"/api/v1/responses/{t.response_a.pk}/answers/EC1", {"version": 0, "current_level": 3}
        ),
        "give their own views through the API when the lead asks them": lambda t: t.asked(
            lambda: t.api("put", f"/api/v1/responses/{t.response_a.pk}/my-views/EC1", {"version": 0, "current_level": 2})
        ),
        "read their organisation's action plan through the API": lambda t: t.with_consent(
            lambda: t.api("get", f"/api/v1/responses/{t.response_a.pk}/action-plan")
        ),
        "follow a round's progress and read the flat export through the API": lambda t: (
            t.api("get", f"/api/v1/sector/rounds/{t.round.pk}/progress")
            and t.api("get", f"/api/v1/sector/rounds/{t.round.pk}/export")
        ),
        "read their council's introductions to other councils through the API": lambda t: t.introduced(
            lambda intro: t.api("get", f"/api/v1/introductions/{intro.pk}")
        ),
        "see where to focus support in a round through the API": lambda t: t.api(
            "get", f"/api/v1/sector/rounds/{t.round.pk}/support/focus"
        ),
    }  # fmt: skip
    CHECKS.update(API_CHECKS)

    def api(self, method: str, path: str, body=None) -> bool:
        """The API did its work or judged the input, for a read-write token of the person
        signed in (made directly: a token outlives a role the person later loses)."""
        import datetime as dt

        from django.utils import timezone

        from diagnostic.accounts.models import hash_token
        from diagnostic.api.models import ApiToken

        secret = f"nps_roles-table-{self.current.pk}-{ApiToken.objects.count()}"
        ApiToken.objects.create(
            user=self.current, name="roles table", prefix=secret[:10], token_hash=hash_token(secret),
            scopes=["read", "write"], expires_at=timezone.now() + dt.timedelta(days=1),
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {secret}"}
        if method == "put":
            r = self.client.put(path, body or {}, content_type="application/json", headers=headers)
            return r.status_code in (200, 409, 422)
        return getattr(self.client, method)(path, headers=headers).status_code == 200

    def pdf_ok(self) -> bool:
        from unittest import mock

        with mock.patch(
            "diagnostic.assessments.views.pdf.render_pdf", return_value=b"%PDF-1.7 stub"
        ):
            return self.ok("get", reverse("assessments:response_pdf", args=[self.response_a.pk]))

    def second_step_needed(self) -> bool:
        """Signing in through the form (no test shortcut), is the next page the second step?"""
        from django.test import Client

        from diagnostic.testing import PASSWORD

        client = Client()
        client.post(
            reverse("accounts:sign_in"), {"username": self.current.email, "password": PASSWORD}
        )
        r = client.get(reverse("accounts:home"))
        steps = (reverse("twofactor:verify"), reverse("twofactor:set_up"))
        return r.status_code == 302 and r.url.startswith(steps)

    def plan_exports_ok(self) -> bool:
        from unittest import mock

        with mock.patch("diagnostic.plans.views.render_pdf", return_value=b"%PDF-1.7 stub"):
            return all(
                self.ok("get", reverse(f"plans:export_{fmt}", args=[self.response_a.pk]))
                for fmt in ("pdf", "xlsx", "csv")
            )

    def test_every_row_of_the_table_has_a_check(self):
        self.assertEqual(set(read_table()), set(self.CHECKS))

    def test_the_table_holds_for_every_role(self):
        table = read_table()
        for column, role in COLUMNS.items():
            user = self.person(role)
            for capability, allowed in table.items():
                self.client.force_login(user)
                self.current = user
                with self.subTest(role=column, capability=capability):
                    self.assertEqual(self.CHECKS[capability](self), allowed[column])

    def test_someone_with_no_role_sees_only_public_pages_and_their_account(self):
        self.client.force_login(self.zoe)
        self.current = self.zoe
        table = read_table()
        for capability in table:
            expected = capability in {
                "read the framework and public pages",
                "see their own account page",
            }
            with self.subTest(capability=capability):
                self.assertEqual(self.CHECKS[capability](self), expected)

    def test_no_role_opens_the_django_admin(self):
        for user in self.personas.values():
            self.client.force_login(user)
            r = self.client.get("/django-admin/")
            self.assertEqual(r.status_code, 302, user)
            self.assertIn("/django-admin/login/", r.url)


# --- Good practice (diagnostic/practice): each row checked with Council B's case studies, or
# Council A's for "their own" and "their region".
def _case_study(t, org, *, state="published", visibility="public"):
    from diagnostic.practice.testing import make_case_study

    return make_case_study(org, t.framework, state=state, visibility=visibility)


def _writes_and_answers_invitations(t) -> bool:
    from diagnostic.practice.models import WriteUpInvitation

    draft = _case_study(t, t.council_a, state="draft")
    level = t.framework.levels.order_by("-number").first()
    invitation = WriteUpInvitation.objects.update_or_create(
        round=t.round, organisation=t.council_a, value_code=t.codes[0],
        defaults={"level": level, "reason": "Top level", "invited_at": draft.created_at,
                  "status": "pending"},
    )[0]  # fmt: skip
    return (
        t.reaches("post", reverse("practice:new"), {"organisation": t.council_a.pk})
        and t.ok("get", reverse("practice:edit", args=[draft.pk]))
        and t.reaches("post", reverse("practice:submit", args=[draft.pk]))
        and t.reaches("post", reverse("practice:decline", args=[invitation.pk]))
        and t.reaches("post", reverse("practice:withdraw", args=[draft.pk]))
    )


def _moderates(t, org) -> bool:
    cs = _case_study(t, org, state="submitted")
    return t.reaches("post", reverse("practice:moderate", args=[cs.pk]), {"action": "review"})


_public_pages = RolesTableTests.CHECKS["read the framework and public pages"]
RolesTableTests.CHECKS.update(
    {
        # The library of good practice is one of the public pages.
        "read the framework and public pages": lambda t: (
            _public_pages(t) and t.ok("get", reverse("practice:library"))
        ),
        "read case studies shared with signed-in councils": lambda t: t.ok(
            "get",
            reverse(
                "practice:case_study",
                args=[_case_study(t, t.council_b, visibility="councils").pk],
            ),
        ),
        "read case studies shared with the LGA and regions only": lambda t: t.ok(
            "get",
            reverse(
                "practice:case_study",
                args=[_case_study(t, t.council_b, visibility="sector_bodies").pk],
            ),
        ),
        "write, submit and withdraw their organisation's case studies, and answer invitations "
        "to write one": _writes_and_answers_invitations,
        "moderate case studies from councils in their region": lambda t: _moderates(t, t.council_a),
        "moderate case studies from any council": lambda t: _moderates(t, t.council_b),
        "see councils that could share practice and invite them to write it up": lambda t: t.ok(
            "get", reverse("practice:candidates")
        ),
        "curate related guidance beside case studies": lambda t: t.ok(
            "get", reverse("practice:guidance")
        ),
    }
)

"""A council lead's broker pages: suggested partners, disclosure choice, introductions."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.broker import queries, services
from diagnostic.broker.forms import AnswerForm, DisclosureForm, OutcomeForm, PartnerFilterForm
from diagnostic.broker.models import Introduction, Outcome
from diagnostic.frameworks.models import ValueCode
from diagnostic.lib.http import posted, require_get_or_post
from diagnostic.organisations.models import Organisation, OrganisationType, Region

OPEN = (Introduction.Status.PROPOSED, Introduction.Status.ACCEPTED)
SUGGESTIONS_SHOWN = 5  # suggestions on the partners page at first; "Show more" adds as many


def _intro_rows(org: Organisation, intros, choices) -> list[dict]:
    rows = []
    for intro in intros:
        rows.append({
            "intro": intro,
            "other_name": intro.other(org.pk).name if services.other_is_named_to(intro, org.pk, choices) else "",
            "mine": intro.answer_of(org.pk),
        })  # fmt: skip
    return rows


@login_required
@require_safe
def partners(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_lead(request.user, response_id)
    rnd, org = response.round, response.organisation
    form = PartnerFilterForm(request.GET or None)
    region, org_type = None, ""
    if form.is_valid():
        region, org_type = form.cleaned_data["region"], form.cleaned_data["type"]
    matches, subject = queries.suggestions_for(
        rnd, org, region_id=region.pk if region else None, org_type=org_type
    )
    choices = queries.visibilities(rnd.pk)
    intros = list(queries.introductions_of(org, rnd.pk))
    open_with = {i.other(org.pk).pk: i for i in intros if i.status in OPEN}
    regions = dict(Region.objects.values_list("pk", "name"))
    types = dict(OrganisationType.choices)
    shown = max(SUGGESTIONS_SHOWN, _int_or_none(request.GET.get("shown")) or 0)
    titles = _titles(rnd.framework_version_id)

    def named(reasons):  # each value code by its name as well as its code
        return [{"title": titles.get(r.code, r.code), "text": r.text} for r in reasons]

    rows = [
        {"m": m, "region": regions.get(m.second.region_id, ""), "type": types.get(m.second.type, ""),
         "open": open_with.get(m.second.id),
         "gain": named(m.first_reasons), "give": named(m.second_reasons)}
        for m in matches[:shown]
    ]  # fmt: skip
    return render(request, "broker/partners.html", {
        "response": response, "round": rnd, "form": form, "rows": rows, "submitted": subject is not None, "subject": subject,
        "total": len(matches), "more": min(SUGGESTIONS_SHOWN, len(matches) - len(rows)),
        "next_shown": shown + SUGGESTIONS_SHOWN,
        "disclosure": queries.visibility_of(rnd.pk, org.pk),
        "introductions": _intro_rows(org, intros, choices),
    })  # fmt: skip


@login_required
@require_POST
def ask(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_lead(request.user, response_id)
    partner = Organisation.objects.filter(pk=_int_or_none(request.POST.get("partner"))).first()
    back = redirect("broker:partners", response.pk)
    if partner is None:
        messages.error(request, "That council has not agreed to be suggested to other councils.")
        return back
    try:
        intro = services.do_propose(
            rnd=response.round, a=response.organisation, b=partner, by=request.user
        )
    except services.Refused as exc:
        messages.error(request, str(exc))
        return back
    messages.success(
        request,
        f"We have asked {partner.name}'s lead. Contact details are shared once they accept.",
    )
    return redirect("broker:introduction", intro.pk)


def _titles(version_id: int) -> dict[str, str]:
    """Value code → title for a framework version. A version never changes once loaded, so the
    titles are cached: the partners page keeps its constant number of queries."""
    from django.core.cache import cache

    def load():
        return dict(ValueCode.objects.filter(version_id=version_id).values_list("code", "title"))

    return cache.get_or_set(f"broker:vc-titles:{version_id}", load, 24 * 3600)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_get_or_post
def disclosure(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_lead(request.user, response_id)
    current = queries.visibility_of(response.round_id, response.organisation_id)
    form = DisclosureForm(
        posted(request),
        initial={"visibility": current.visibility, "show_levels": current.show_levels},
    )
    if request.method == "POST" and form.is_valid():
        services.do_set_disclosure(
            response=response, visibility=form.cleaned_data["visibility"],
            show_levels=form.cleaned_data["show_levels"], by=request.user,
        )  # fmt: skip
        messages.success(request, "Your choice is saved and applies from now on.")
        return redirect("broker:partners", response.pk)
    return render(
        request,
        "broker/disclosure.html",
        {"response": response, "round": response.round, "form": form},
    )


def _levels_table(intro: Introduction, org: Organisation, other: Organisation):
    """Both councils' levels side by side, when the other council allows it after acceptance."""
    if not intro.both_accepted:
        return None
    if queries.visibilities(intro.round_id).get(other.pk, ("", False))[1] is not True:
        return None
    scale = queries.level_scale(intro.round.framework_version_id)
    by_id = {c.id: c for c in queries.round_councils(intro.round_id)}
    mine, theirs = by_id.get(org.pk), by_id.get(other.pk)
    if mine is None or theirs is None:
        return None

    def name(item):
        return (
            scale.name(item.level)
            if item and scale.position(item.level) is not None
            else "Not assessed"
        )

    codes = ValueCode.objects.filter(version_id=intro.round.framework_version_id).order_by(
        "position"
    )
    return [
        {"code": vc.code, "title": vc.title, "mine": name(mine.answers.get(vc.code)),
         "theirs": name(theirs.answers.get(vc.code))}
        for vc in codes if vc.code in mine.answers or vc.code in theirs.answers
    ]  # fmt: skip


def _named(reasons: dict | None, version_id: int) -> dict | None:
    """The stored reasons with each value code's title beside its text ("… Leader in MCR2 …")."""
    if reasons is None:
        return None
    titles = _titles(version_id)

    def one(text: str) -> dict:
        code = next((w for w in re.findall(r"[A-Z]+[0-9]+", text) if w in titles), "")
        return {"title": titles.get(code, ""), "text": text}

    return {**reasons, "gains": [one(t) for t in reasons["gains"]],
            "gives": [one(t) for t in reasons["gives"]]}  # fmt: skip


@login_required
@require_safe
def introduction(request: HttpRequest, introduction_id: int) -> HttpResponse:
    intro = access.get_introduction_for_user(request.user, introduction_id)
    ctx = {"intro": intro, "round": intro.round}
    version = intro.round.framework_version_id
    if intro.viewer_side:
        org = getattr(intro, intro.viewer_side)
        other = intro.other(org.pk)
        named = services.other_is_named_to(intro, org.pk)
        ctx.update({
            "org": org, "other": other, "named": named,
            "reasons": _named(services.reasons_for(intro, org.pk) if named else None, version),
            "contact": services.contact_for(intro, other.pk),
            "my_answer": intro.answer_of(org.pk), "their_answer": intro.answer_of(other.pk),
            "can_answer": intro.status == Introduction.Status.PROPOSED and not intro.answer_of(org.pk),
            "form": AnswerForm(), "levels": _levels_table(intro, org, other),
            "outcome": Outcome.objects.filter(introduction=intro, organisation=org).first(),
        })  # fmt: skip
    else:
        ctx["reasons"] = _named(services.reasons_for(intro, intro.first_id), version)
    return render(request, "broker/introduction.html", ctx)


def _own_side(request, introduction_id) -> tuple[Introduction, Organisation]:
    intro = access.get_introduction_for_user(request.user, introduction_id)
    if not intro.viewer_side:
        raise PermissionDenied("Only the two councils' leads can do this.")
    return intro, getattr(intro, intro.viewer_side)


@login_required
@require_POST
def answer(request: HttpRequest, introduction_id: int) -> HttpResponse:
    intro, org = _own_side(request, introduction_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline (and keep the note to 1,000 characters).")
        return redirect("broker:introduction", intro.pk)
    try:
        intro = services.do_answer(
            introduction=intro, organisation=org, accept=form.cleaned_data["answer"] == "accept",
            note=form.cleaned_data["note"], by=request.user,
        )  # fmt: skip
    except services.Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your answer is saved.")
    return redirect("broker:introduction", intro.pk)


@login_required
@require_get_or_post
def outcome(request: HttpRequest, introduction_id: int) -> HttpResponse:
    intro, org = _own_side(request, introduction_id)
    if not intro.both_accepted:
        raise Http404
    codes = ValueCode.objects.filter(version_id=intro.round.framework_version_id).order_by(
        "position"
    )
    existing = Outcome.objects.filter(introduction=intro, organisation=org).first()
    initial = {}
    if existing:
        initial = {
            f: getattr(existing, f)
            for f in ("met", "shared_documents", "joint_work", "not_useful", "note")
        }
        initial["improved"] = list(existing.improved.values_list("code", flat=True))
    form = OutcomeForm(posted(request), codes=codes, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_record_outcome(
                introduction=intro, organisation=org, by=request.user, met=data["met"],
                shared_documents=data["shared_documents"], joint_work=data["joint_work"],
                not_useful=data["not_useful"], improved_codes=data["improved"], note=data["note"],
            )  # fmt: skip
        except services.Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you: what came of it is recorded.")
            return redirect("broker:introduction", intro.pk)
    return render(
        request,
        "broker/outcome.html",
        {"intro": intro, "org": org, "other": intro.other(org.pk), "form": form},
    )

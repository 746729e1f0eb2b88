"""Writes for the broker: disclosure choices, introductions (double opt-in) and outcomes.

Rules kept here and nowhere else:
- only a council's lead changes its disclosure choice, answers its side of an introduction and
  records what came of it; a choice takes effect at once, and choosing "not at all" withdraws
  every proposal the council has not accepted;
- an introduction is proposed by a national admin (any two councils the LGA may see), a
  regional lead (at least one of the two in their region, both visible to them) or the lead of
  one of the two councils (the other must have agreed to be named to other councils; the
  proposer's side counts as accepted); only pairs that would each gain are proposed, one open
  proposal per pair and round;
- contact details are shared (by email and on the page) only once both leads accepted;
- unanswered proposals get one reminder after REMINDER_DAYS and expire after EXPIRY_DAYS;
  OUTCOME_DAYS after both accepted, both leads are asked what came of it.
Every write is audited.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role, User
from diagnostic.assessments.models import Response, Round
from diagnostic.audit.services import record
from diagnostic.broker import queries
from diagnostic.broker.models import Disclosure, Introduction, Outcome, PlanRun, Visibility
from diagnostic.frameworks.models import ValueCode
from diagnostic.organisations.models import Organisation

REMINDER_DAYS = 7
EXPIRY_DAYS = 28
OUTCOME_DAYS = 42
NOTE_MAX = 1000


class Refused(Exception):
    """The write is not possible as asked; the message says why, in words for the user."""


def require_lead_of(user: User, organisation: Organisation) -> None:
    if access.role_in(user, organisation) != Role.LEAD:
        raise PermissionDenied("Only the council's lead can do this.")


# --- Disclosure -------------------------------------------------------------------------------
def do_set_disclosure(
    *, response: Response, visibility: str, show_levels: bool, by: User
) -> Disclosure:
    """Set the council's choice for the response's round; takes effect at once."""
    require_lead_of(by, response.organisation)
    if visibility not in Visibility.values:
        raise Refused("Choose how your council may be suggested.")
    withdrawn = []
    with transaction.atomic():
        disclosure, _ = Disclosure.objects.select_for_update().get_or_create(
            round_id=response.round_id, organisation_id=response.organisation_id
        )
        before = (disclosure.visibility, disclosure.show_levels)
        disclosure.visibility, disclosure.show_levels, disclosure.updated_by = (
            visibility,
            show_levels,
            by,
        )
        disclosure.save()
        if visibility == Visibility.NONE:
            withdrawn = _withdraw_unaccepted(response.round_id, response.organisation, by)
        record(
            "broker.disclosure_changed", actor=by, obj=disclosure, organisation=response.organisation,
            round=response.round_id, before=list(before), after=[visibility, show_levels],
            withdrawn=[i.pk for i in withdrawn],
        )  # fmt: skip
    return disclosure


def _withdraw_unaccepted(round_id: int, organisation: Organisation, by: User) -> list[Introduction]:
    out = []
    for intro in Introduction.objects.select_for_update().filter(
        Q(first=organisation) | Q(second=organisation),
        round_id=round_id,
        status=Introduction.Status.PROPOSED,
    ):
        if intro.answer_of(organisation.pk) != "accepted":
            intro.status, intro.closed_at = Introduction.Status.WITHDRAWN, timezone.now()
            intro.save(update_fields=["status", "closed_at"])
            record("broker.introduction_withdrawn", actor=by, obj=intro, organisation=organisation,
                   reason="the council chose not to be suggested")  # fmt: skip
            out.append(intro)
    return out


# --- Proposing --------------------------------------------------------------------------------
def proposer_role(
    user: User, rnd: Round, a: Organisation, b: Organisation
) -> tuple[str, Organisation | None]:
    """How `user` may propose introducing a and b, or PermissionDenied / Refused."""
    choices = queries.visibilities(rnd.pk)

    def vis(org):
        return choices.get(org.pk, (Disclosure.DEFAULT, False))[0]

    for own, other in ((a, b), (b, a)):
        if access.role_in(user, own) == Role.LEAD:
            if vis(other) != Visibility.NAMED:
                raise Refused("That council has not agreed to be suggested to other councils.")
            return Introduction.ProposedAs.COUNCIL, own
    if access.is_national_admin(user):
        if not all(queries.NATIONAL.sees(vis(o), o.region_id) for o in (a, b)):
            raise Refused("One of these councils chose not to be suggested.")
        return Introduction.ProposedAs.NATIONAL, None
    regions = frozenset(access.led_region_ids(user))
    if regions and (a.region_id in regions or b.region_id in regions):
        audience = queries.Audience("regional", regions)
        if not all(audience.sees(vis(o), o.region_id) for o in (a, b)):
            raise Refused("One of these councils chose not to be suggested to you.")
        return Introduction.ProposedAs.REGIONAL, None
    raise PermissionDenied("You cannot propose this introduction.")


def do_propose(*, rnd: Round, a: Organisation, b: Organisation, by: User, now=None) -> Introduction:
    """Propose introducing two councils in a round, and email the leads who must answer."""
    if a.pk == b.pk:
        raise Refused("Choose two different councils.")
    proposed_as, own = proposer_role(by, rnd, a, b)
    first, second = (a, b) if a.pk < b.pk else (b, a)
    m = queries.match_between(rnd, first.pk, second.pk)
    if m is None:
        raise Refused("These councils would not each gain from the other in this round.")
    now = now or timezone.now()
    intro = Introduction(
        round=rnd, first=first, second=second, proposed_by=by, proposed_as=proposed_as,
        proposer_organisation=own, proposed_at=now, expires_at=now + dt.timedelta(days=EXPIRY_DAYS),
        score=round(m.score, 4), reasons=queries.reasons_json(m),
    )  # fmt: skip
    if own is not None:
        side = intro.side(own.pk)
        setattr(intro, f"{side}_answer", "accepted")
        setattr(intro, f"{side}_answered_at", now)
        setattr(intro, f"{side}_answered_by", by)
    try:
        with transaction.atomic():
            intro.save()
            record("broker.introduction_proposed", actor=by, obj=intro, organisation=own,
                   round=rnd.pk, first=first.pk, second=second.pk, proposed_as=proposed_as)  # fmt: skip
    except IntegrityError:
        raise Refused("These councils already have an open introduction in this round.") from None
    for org in (first, second):
        if intro.answer_of(org.pk) == "":
            _email_leads(org, intro, "proposed", "An introduction is proposed")
    return intro


# --- Answering --------------------------------------------------------------------------------
def do_answer(
    *, introduction: Introduction, organisation: Organisation, accept: bool, note: str, by: User
) -> Introduction:
    """One council's lead accepts or declines; when both have accepted, contacts are shared."""
    require_lead_of(by, organisation)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Refused(f"Keep the note to {NOTE_MAX} characters.")
    with transaction.atomic():
        intro = (
            Introduction.objects.select_for_update()
            .select_related("first", "second")
            .get(pk=introduction.pk)
        )
        side = intro.side(organisation.pk)
        if side is None:
            raise PermissionDenied("Not your council's introduction.")
        if intro.status != Introduction.Status.PROPOSED or getattr(intro, f"{side}_answer"):
            raise Refused("This introduction has already been answered or is closed.")
        now = timezone.now()
        setattr(intro, f"{side}_answer", "accepted" if accept else "declined")
        setattr(intro, f"{side}_note", note)
        setattr(intro, f"{side}_answered_at", now)
        setattr(intro, f"{side}_answered_by", by)
        if not accept:
            intro.status, intro.closed_at = Introduction.Status.DECLINED, now
        elif intro.first_answer == intro.second_answer == "accepted":
            intro.status, intro.accepted_at = Introduction.Status.ACCEPTED, now
        intro.save()
        record("broker.introduction_answered", actor=by, obj=intro, organisation=organisation,
               answer="accepted" if accept else "declined", status=intro.status)  # fmt: skip
    if intro.status == Introduction.Status.ACCEPTED:
        from diagnostic.support.queries import bump_support

        bump_support()  # the support ranking counts accepted introductions as supply
        for org in (intro.first, intro.second):
            _email_leads(org, intro, "accepted", "Introduction agreed")
    elif intro.status == Introduction.Status.DECLINED:
        other = intro.other(organisation.pk)
        if intro.answer_of(other.pk) == "accepted":
            _email_leads(other, intro, "declined", "Introduction declined")
    return intro


# --- Outcomes ---------------------------------------------------------------------------------
def do_record_outcome(
    *, introduction: Introduction, organisation: Organisation, by: User, met: bool = False,
    shared_documents: bool = False, joint_work: bool = False, not_useful: bool = False,
    improved_codes: list[str] = (), note: str = "",
) -> Outcome:  # fmt: skip
    """What came of an accepted introduction, for one of its councils (changeable later)."""
    require_lead_of(by, organisation)
    if introduction.side(organisation.pk) is None:
        raise PermissionDenied("Not your council's introduction.")
    if introduction.status != Introduction.Status.ACCEPTED:
        raise Refused("Outcomes are recorded once both councils have accepted.")
    if not (met or shared_documents or joint_work or not_useful):
        raise Refused("Tick at least one of: met, shared documents, joint work, not useful.")
    if not_useful and (shared_documents or joint_work):
        raise Refused("An introduction that led to shared documents or joint work was useful.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Refused(f"Keep the note to {NOTE_MAX} characters.")
    codes = list(
        ValueCode.objects.filter(
            version_id=introduction.round.framework_version_id, code__in=list(improved_codes)
        )
    )
    if len(codes) != len(set(improved_codes)):
        raise Refused("Choose value codes of this round's framework.")
    with transaction.atomic():
        outcome, _ = Outcome.objects.select_for_update().get_or_create(
            introduction=introduction, organisation=organisation, defaults={"recorded_by": by}
        )
        outcome.met, outcome.shared_documents, outcome.joint_work = (
            met,
            shared_documents,
            joint_work,
        )
        outcome.not_useful, outcome.note, outcome.recorded_by = not_useful, note, by
        outcome.save()
        outcome.improved.set(codes)
        record("broker.outcome_recorded", actor=by, obj=introduction, organisation=organisation,
               met=met, shared_documents=shared_documents, joint_work=joint_work,
               not_useful=not_useful, improved=sorted(c.code for c in codes))  # fmt: skip
    return outcome


# --- Reminders, expiry and asking for outcomes ------------------------------------------------
def do_follow_up(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind unanswered leads once, expire old proposals, ask for outcomes; returns counts."""
    now = now or timezone.now()
    counts = {"reminded": 0, "expired": 0, "asked_for_outcomes": 0}
    open_ = Introduction.objects.select_related("first", "second", "round")
    for intro in open_.filter(status=Introduction.Status.PROPOSED, expires_at__lte=now):
        with transaction.atomic():
            n = Introduction.objects.filter(
                pk=intro.pk, status=Introduction.Status.PROPOSED
            ).update(status=Introduction.Status.EXPIRED, closed_at=now)
            if n:
                record("broker.introduction_expired", obj=intro, round=intro.round_id)
                counts["expired"] += 1
    due = now - dt.timedelta(days=REMINDER_DAYS)
    for intro in open_.filter(
        status=Introduction.Status.PROPOSED, proposed_at__lte=due, reminded_at__isnull=True
    ):
        if Introduction.objects.filter(pk=intro.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            record("broker.introduction_reminded", obj=intro, round=intro.round_id)
            for org in (intro.first, intro.second):
                if intro.answer_of(org.pk) == "":
                    _email_leads(
                        org, intro, "reminder", "Reminder: an introduction is waiting for you"
                    )
            counts["reminded"] += 1
    due = now - dt.timedelta(days=OUTCOME_DAYS)
    for intro in open_.filter(
        status=Introduction.Status.ACCEPTED, accepted_at__lte=due, outcome_requested_at__isnull=True
    ):
        if Introduction.objects.filter(pk=intro.pk, outcome_requested_at__isnull=True).update(
            outcome_requested_at=now
        ):
            record("broker.outcome_requested", obj=intro, round=intro.round_id)
            for org in (intro.first, intro.second):
                _email_leads(org, intro, "outcome", "What came of your introduction?")
            counts["asked_for_outcomes"] += 1
    return counts


# --- What each side may see -------------------------------------------------------------------
def other_is_named_to(
    intro: Introduction, organisation_id: int, choices: dict | None = None
) -> bool:
    """May this council see the other council's name and the reasons yet? Yes once the other
    accepted, or when the other agreed to be named to other councils."""
    other = intro.other(organisation_id)
    if intro.answer_of(other.pk) == "accepted":
        return True
    choices = queries.visibilities(intro.round_id) if choices is None else choices
    return choices.get(other.pk, (Disclosure.DEFAULT, False))[0] == Visibility.NAMED


def contact_for(intro: Introduction, organisation_id: int) -> User | None:
    """The named contact of this council of the pair: only once both accepted."""
    if not intro.both_accepted:
        return None
    return getattr(intro, f"{intro.side(organisation_id)}_answered_by")


def reasons_for(intro: Introduction, organisation_id: int) -> dict:
    """The stored reasons from this council's side: what it gains and what it gives."""
    mine, theirs = (
        ("first", "second") if intro.side(organisation_id) == "first" else ("second", "first")
    )
    return {"gains": intro.reasons.get(mine, []), "gives": intro.reasons.get(theirs, []),
            "fit": intro.reasons.get("fit", [])}  # fmt: skip


# --- Email ------------------------------------------------------------------------------------
def leads_of(organisation: Organisation) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation=organisation, role=Role.LEAD, user__is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    ]


def introduction_url(intro: Introduction) -> str:
    return settings.SITE_ROOT + reverse("broker:introduction", args=[intro.pk])


def _email_leads(organisation: Organisation, intro: Introduction, kind: str, subject: str) -> None:
    """One email per lead of `organisation`, written for that council's side of the pair."""
    recipients = [u.email for u in leads_of(organisation)]
    if not recipients:
        return
    other = intro.other(organisation.pk)
    named = other_is_named_to(intro, organisation.pk)
    ctx = {
        "intro": intro, "organisation": organisation, "other": other, "named": named,
        "reasons": reasons_for(intro, organisation.pk), "url": introduction_url(intro),
        "contact": contact_for(intro, other.pk), "site_name": settings.SITE_NAME,
        "expiry_days": EXPIRY_DAYS,
    }  # fmt: skip
    send_mail(
        subject=f"{subject}: {organisation.short_name}",
        message=render_to_string(f"broker/email/{kind}.txt", ctx),
        from_email=None,
        recipient_list=recipients,
    )


# --- The plan of introductions, worked out in the background (docs/decisions/0033) ------------
# Seconds HiGHS may take for a plan with N > 1 in the background: the same as the command's
# default, so the plan keeps to the bars (5 s at scale 1, 60 s at 10x) and states its
# proven gap (0.6 % at scale 1); given 30 s it would take 30 s for a gap nobody would notice.
BACKGROUND_TIME_LIMIT = queries.PLAN_TIME_LIMIT
# Progress is written at most this often (seconds), and at every change of stage.
PROGRESS_EVERY = 0.5


def plan_key(*, rnd: Round, region, cluster, capacity: int, time_limit: float, audience) -> str:
    """What makes two requests the same question (`PlanRun.key`)."""
    scope = f"c{cluster.pk}" if cluster else f"r{region.pk}" if region else "n"
    who = (
        "n"
        if audience.kind == "national"
        else "r" + ",".join(map(str, sorted(audience.region_ids)))
    )
    return f"{rnd.pk}:{scope}:{capacity}:{time_limit:g}:{who}"


def do_request_plan(
    *, rnd: Round, region=None, cluster=None, capacity: int, by: User,
    time_limit: float = BACKGROUND_TIME_LIMIT, now=None,
) -> tuple[PlanRun, bool]:  # fmt: skip
    """Ask for a plan of introductions: a new run queued for the worker, or the run already
    queued or running for the same question (returns (run, created)). A run with no progress
    for `STALE_AFTER` is marked failed and a new one queued in its place. The caller has
    checked that `by` may plan this scope (`accounts/access.py`)."""
    from diagnostic.broker.tasks import work_out_plan

    if capacity < 1:
        raise Refused("Each council needs room for at least one introduction.")
    audience = queries.audience_for(by)
    key = plan_key(rnd=rnd, region=region, cluster=cluster, capacity=capacity,
                   time_limit=time_limit, audience=audience)  # fmt: skip
    now = now or timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                active = (
                    PlanRun.objects.select_for_update()
                    .filter(key=key, status__in=PlanRun.ACTIVE)
                    .first()
                )
                if active is not None and not active.is_stale(now):
                    return active, False
                if active is not None:
                    _fail(active, "It stopped: no progress for a long while.", now=now)
                run = PlanRun.objects.create(
                    round=rnd, region=region, cluster=cluster, capacity=capacity,
                    time_limit=time_limit, national=audience.kind == "national",
                    audience_regions=sorted(audience.region_ids), key=key, requested_by=by,
                    stage="Waiting for the worker", created_at=now, progress_at=now,
                )  # fmt: skip
                # Queued in the same transaction: the worker sees the task only with its run.
                run.task_id = str(work_out_plan.enqueue(run.pk).id)
                run.save(update_fields=["task_id"])
                record("broker.plan_requested", actor=by, obj=run, round=rnd.pk,
                       region=region.pk if region else None, cluster=cluster.pk if cluster else None,
                       capacity=capacity)  # fmt: skip
                return run, True
        except IntegrityError:
            continue  # someone asked the same question at the same moment: use theirs
    active = PlanRun.objects.filter(key=key, status__in=PlanRun.ACTIVE).first()
    if active is None:
        raise Refused("The plan could not be queued; please try again.")
    return active, False


def _fail(run: PlanRun, error: str, *, now=None) -> None:
    PlanRun.objects.filter(pk=run.pk, status__in=PlanRun.ACTIVE).update(
        status=PlanRun.Status.FAILED, error=error, finished_at=now or timezone.now()
    )
    record("broker.plan_failed", obj=run, round=run.round_id, error=error)


class _Reporter:
    """Writes a run's progress (`broker/progress.py`) at most every PROGRESS_EVERY seconds and
    at each new stage; only while the run is still running (a run marked failed stays so)."""

    def __init__(self, run_id: int):
        self.run_id, self.stage, self.last = run_id, "", 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        from diagnostic.broker.progress import BY_KEY, overall

        now = time.monotonic()
        if stage == self.stage and now - self.last < PROGRESS_EVERY and done != total:
            return
        self.stage, self.last = stage, now
        PlanRun.objects.filter(pk=self.run_id, status=PlanRun.Status.RUNNING).update(
            stage=BY_KEY[stage].label, fraction=overall(stage, done, total),
            progress_at=timezone.now(),
        )  # fmt: skip


def do_work_out_plan(*, run_id: int) -> PlanRun | None:
    """Work out a queued run's plan (called by the worker, `broker/tasks.py`): mark it running,
    report progress, store the plan as the page shows it, or the error. A run no longer queued
    (already worked out, or given up as stopped) is left alone (returns None)."""
    from diagnostic.broker.scoring import match

    now = timezone.now()
    started = PlanRun.objects.filter(pk=run_id, status=PlanRun.Status.QUEUED).update(
        status=PlanRun.Status.RUNNING, started_at=now, progress_at=now, stage="Starting"
    )
    if not started:
        return None
    run = PlanRun.objects.select_related("round", "region", "cluster").get(pk=run_id)
    try:
        rnd = run.round
        ids = queries.scope_organisation_ids(rnd, region=run.region, cluster=run.cluster)
        plan, councils = queries.plan_for(
            rnd, run.audience, run.capacity, organisation_ids=ids,
            progress=_Reporter(run.pk), time_limit=run.time_limit or None,
        )  # fmt: skip
        scale = queries.level_scale(rnd.framework_version_id)
        near = queries.neighbours()
        rows = []
        for a, b in plan.pairs:
            a, b = int(a), int(b)  # the solvers may give numpy integers; JSON takes Python's
            m = match(councils[a], councils[b], scale, near)
            rows.append({
                "a": a, "b": b, "a_name": councils[a].name, "b_name": councils[b].name,
                "a_region": councils[a].region_id, "b_region": councils[b].region_id,
                "score": float(m.score),
                "reasons": [r.text for r in m.first_reasons[:2]] + [r.text for r in m.second_reasons[:2]],
            })  # fmt: skip
        result = {
            "rows": rows, "total": float(plan.total), "optimal": bool(plan.optimal),
            "gap": float(plan.gap), "method": plan.method, "councils": len(councils),
            "pairs_considered": int(plan.pairs_considered),
        }  # fmt: skip
    except Exception as exc:
        _fail(run, f"The plan could not be worked out ({type(exc).__name__}).")
        raise
    done = PlanRun.objects.filter(pk=run.pk, status=PlanRun.Status.RUNNING).update(
        status=PlanRun.Status.DONE, result=result, stage="Done", fraction=1.0,
        progress_at=timezone.now(), finished_at=timezone.now(),
    )  # fmt: skip
    if done:
        record("broker.plan_done", obj=run, round=rnd.pk, introductions=len(rows),
               optimal=bool(plan.optimal))  # fmt: skip
    run.refresh_from_db()
    return run

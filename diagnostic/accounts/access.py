"""The only way views reach objects named in a URL, and the role checks behind them.

Every `get_*` function raises Http404 both when the object does not exist and when the user
may not see it, so ids of other councils' objects do not leak. Every `require_*` function
raises PermissionDenied (403) for pages whose existence is no secret but which the user's role
does not allow. Views never call `Model.objects.get` or `get_object_or_404` on URL input.
"""

from __future__ import annotations

import functools
import re

from django.core.exceptions import PermissionDenied
from django.http import Http404

from diagnostic.accounts.models import (
    NATIONAL_ROLES,
    Invitation,
    Membership,
    Role,
    User,
    hash_token,
)
from diagnostic.frameworks.models import FrameworkVersion, KeyArea, ValueCode
from diagnostic.lib.prepared import Prepared
from diagnostic.organisations.models import Organisation, Region


# --- What a user holds ------------------------------------------------------------------------
def memberships_of(user: User) -> list[Membership]:
    """The user's memberships, loaded once per request (cached on the user object)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user)
            .select_related("organisation", "region")
            .order_by("organisation__short_name", "region__name", "role")
        )
        user._memberships_cache = cached
    return cached


def forget_memberships(user: User) -> None:
    if hasattr(user, "_memberships_cache"):
        del user._memberships_cache


def has_role(user: User, *roles: Role) -> bool:
    return any(m.role in roles for m in memberships_of(user))


def is_national(user: User) -> bool:
    """National analysts and admins see the whole sector."""
    return has_role(user, *NATIONAL_ROLES)


def is_national_admin(user: User) -> bool:
    return has_role(user, Role.NATIONAL_ADMIN)


def led_region_ids(user: User) -> set[int]:
    return {m.region_id for m in memberships_of(user) if m.role == Role.REGIONAL_LEAD}


def role_in(user: User, organisation: Organisation) -> str | None:
    """The user's own role in this organisation (lead, contributor, viewer), if any."""
    for m in memberships_of(user):
        if m.organisation_id == organisation.pk:
            return m.role
    return None


def organisation_memberships(user: User) -> list[Membership]:
    return [m for m in memberships_of(user) if m.organisation_id]


# --- Guards for whole pages -------------------------------------------------------------------
def require_national_admin(user: User) -> None:
    if not is_national_admin(user):
        raise PermissionDenied("Only national administrators can do this.")


def require_national(user: User) -> None:
    if not is_national(user):
        raise PermissionDenied("Only the national team can see this.")


def require_register_reader(user: User) -> None:
    """The organisation register pages: the national team and regional leads."""
    if not (is_national(user) or led_region_ids(user)):
        raise PermissionDenied("Only the national team and regional leads can see the register.")


# --- Objects by id ----------------------------------------------------------------------------
def _one_or_404(queryset):
    """The first row of a lookup, or 404."""
    obj = queryset.first()
    if obj is None:
        raise Http404
    return obj


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def get_organisation_for_user(user: User, organisation_id, *, manage: bool = False) -> Organisation:
    """An organisation the user may see: their own, their region's, or any for the national team.

    With `manage=True`, only the organisation's lead or a national admin qualifies (inviting
    colleagues, changing roles).
    """
    org = (
        Organisation.objects.select_related("region", "parent")
        .filter(pk=_int(organisation_id))
        .first()
    )
    if org is None:
        raise Http404
    own_role = role_in(user, org)
    if manage:
        if own_role == Role.LEAD or is_national_admin(user):
            return org
        raise Http404
    if own_role or is_national(user) or org.region_id in led_region_ids(user):
        return org
    raise Http404


def get_region_for_user(user: User, region_code: str) -> Region:
    region = Region.objects.filter(code=region_code).first()
    if region is None or not (is_national(user) or region.pk in led_region_ids(user)):
        raise Http404
    return region


def get_membership_of_user(user: User, membership_id) -> Membership:
    """One of the user's own memberships (for switching organisation)."""
    for m in memberships_of(user):
        if m.pk == _int(membership_id):
            return m
    raise Http404


def get_membership_for_manager(user: User, membership_id) -> Membership:
    """A membership in an organisation the user manages (its lead, or a national admin)."""
    m = (
        Membership.objects.select_related("user", "organisation", "region")
        .filter(pk=_int(membership_id))
        .first()
    )
    if m is None:
        raise Http404
    if is_national_admin(user):
        return m
    if m.organisation_id and role_in(user, m.organisation) == Role.LEAD:
        return m
    raise Http404


def get_invitation_by_token(token: str) -> Invitation:
    """The invitation behind a link, whatever its state; the view explains expired or used."""
    if not token or len(token) > 100:
        raise Http404
    invitation = (
        Invitation.objects.select_related("organisation", "region")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def get_invitation_for_manager(user: User, invitation_id) -> Invitation:
    inv = (
        Invitation.objects.select_related("organisation", "region")
        .filter(pk=_int(invitation_id))
        .first()
    )
    if inv is None:
        raise Http404
    if is_national_admin(user):
        return inv
    if inv.organisation_id and role_in(user, inv.organisation) == Role.LEAD:
        return inv
    raise Http404


# --- Public framework content -----------------------------------------------------------------
def get_framework_version(framework_code: str, version_slug: str) -> FrameworkVersion:
    """A published framework version; public to everyone."""
    label, revision = version_slug, 1
    if m := re.fullmatch(r"(.+)-r(\d{1,4})", version_slug):
        label, revision = m.group(1), int(m.group(2))
    version = (
        FrameworkVersion.objects.select_related("framework")
        .filter(
            framework__code=framework_code,
            label=label,
            revision=revision,
            published_at__isnull=False,
        )
        .first()
    )
    if version is None:
        raise Http404
    return version


def get_key_area(version: FrameworkVersion, code: str) -> KeyArea:
    return _one_or_404(KeyArea.objects.select_related("theme").filter(version=version, code=code))


def get_value_code(version: FrameworkVersion, code: str) -> ValueCode:
    vc = (
        ValueCode.objects.select_related("key_area__theme")
        .prefetch_related("enablers", "descriptors__level")
        .filter(version=version, code=code)
        .first()
    )
    if vc is None:
        raise Http404
    return vc


# --- Assessments ------------------------------------------------------------------------------
def get_response_for_user(user: User, response_id, *, write: bool = False, lock: bool = False):
    """A response the user may read; with `write=True`, one they may change (its lead).

    Organisation members read their own council's response; the national team reads every
    response; a regional lead reads a named response in their region only when the council
    has consented to regional sharing. A member who may read but not write gets 403.

    With `lock=True` (inside `transaction.atomic()`), the response and its round are read
    locked, as `assessments.services.do_save_answer` locks them, so that service need not
    read them again (`holds_lock`): one statement fewer per autosave.
    """
    from django.db import connection

    if lock and not connection.in_atomic_block:
        raise RuntimeError("lock=True needs transaction.atomic()")
    # Only someone who leads an organisation may write, so only they take the lock: anyone
    # else is answered 403 or 404 below without holding a row of another council's.
    lock = lock and write and any(m.role == Role.LEAD for m in memberships_of(user))
    found = (_response_locked_prepared if lock else _response_prepared)(_int(response_id))
    if not found:
        raise Http404
    response = found[0]
    if lock:
        response._locked_by = connection.atomic_blocks[-1]
    own = role_in(user, response.organisation)
    can_read = (
        own is not None
        or is_national(user)
        or (
            response.organisation.region_id in led_region_ids(user)
            and response.consent_regional_sharing
        )
    )
    if not can_read:
        raise Http404
    if write and own != Role.LEAD:
        raise PermissionDenied("Only the organisation's lead can change the response.")
    if own == Role.CONTRIBUTOR and not response.is_submitted and not is_national(user):
        raise AgreedAnswersHidden(response)
    return response


def _response_queryset(response_id, *, lock: bool = False):
    from diagnostic.assessments.models import Response

    queryset = Response.objects.select_related(
        "round__framework_version__framework", "organisation__region"
    )
    if lock:
        queryset = queryset.select_for_update(of=("self", "round"))
    return queryset.filter(pk=response_id)[:1]


def _share_the_round(sql: str, connection) -> str:
    """The autosave's lock on PostgreSQL: the response `FOR UPDATE` (two saves to one response,
    or a save and a submission of it, never interleave) but its round `FOR SHARE`, which the
    ORM cannot say. Saves to different responses of one round then run side by side instead of
    queueing on the round's row, while closing or changing the round (an UPDATE, or `FOR
    UPDATE`) still waits for every save in flight, and a save for it (decision 0036). SQLite
    has no row locks: its IMMEDIATE transactions already run one writer at a time."""
    if connection.vendor != "postgresql":
        return sql
    from diagnostic.assessments.models import Response, Round

    qn = connection.ops.quote_name
    response, round_ = qn(Response._meta.db_table), qn(Round._meta.db_table)
    django_wrote = f" FOR UPDATE OF {response}, {round_}"
    if not sql.endswith(django_wrote):
        # A Django upgrade wrote it another way: fail loudly (in the tests) rather than lock
        # less than the save needs.
        raise RuntimeError(f"Unexpected locking clause in {sql!r}")
    return sql.removesuffix(django_wrote) + f" FOR UPDATE OF {response} FOR SHARE OF {round_}"


# Every response page looks one up: the SQL is compiled once per process (lib/prepared.py).
_response_prepared = Prepared(_response_queryset)
_response_locked_prepared = Prepared(
    functools.partial(_response_queryset, lock=True), rewrite=_share_the_round
)


def holds_lock(response) -> bool:
    """Whether `response` (and its round) were read locked by `get_response_for_user(…,
    lock=True)` in a transaction that is still open, so they are current and stay so."""
    from django.db import connection

    held = getattr(response, "_locked_by", None)
    return held is not None and any(block is held for block in connection.atomic_blocks)


class AgreedAnswersHidden(PermissionDenied):
    """A contributor asked for the agreed answers of a draft response.

    Contributors give their own views and see only what they were asked about (and, if the
    lead allows it, each other's views on it); the agreed answers are the lead's until the
    response is submitted (docs/decisions/0011-consolidation.md).
    """

    def __init__(self, response):
        self.response = response
        super().__init__(
            "Contributors see their own views, not the agreed answers, until the response is "
            "submitted."
        )


def _round(round_id):
    from diagnostic.assessments.models import Round

    return _one_or_404(Round.objects.select_related("framework_version").filter(pk=_int(round_id)))


def get_round_for_admin(user: User, round_id):
    require_national_admin(user)
    return _round(round_id)


def get_round_for_national(user: User, round_id):
    """A round for the national team: admins run it, analysts follow its progress (read only)."""
    require_national(user)
    return _round(round_id)


def get_round_for_tracking(user: User, round_id):
    """A round whose councils' progress the user may follow: the national team every council,
    a regional lead those of their region (`tracked_region_ids`). Progress is not sensitive;
    levels stay behind the council's consent."""
    if not (is_national(user) or led_region_ids(user)):
        raise PermissionDenied("Only the national team and regional leads can see this.")
    return _round(round_id)


def tracked_region_ids(user: User) -> set[int] | None:
    """The regions whose councils the user follows in a round: None for all (national)."""
    return None if is_national(user) else led_region_ids(user)


def can_remind(user: User) -> bool:
    """National admins remind any council's leads; a regional lead their region's."""
    return is_national_admin(user) or bool(led_region_ids(user))


def get_reminder_for_admin(user: User, round_id, reminder_id):
    """A reminder sent in this round, for a national admin; 404 if it belongs to another round."""
    from diagnostic.assessments.models import Reminder

    require_national_admin(user)
    reminder = (
        Reminder.objects.select_related("round", "sent_by")
        .filter(pk=_int(reminder_id), round_id=_int(round_id))
        .first()
    )
    if reminder is None:
        raise Http404
    return reminder


def get_value_code_in_round(response, code: str) -> ValueCode:
    """A value code of the response's round's framework version, or 404.

    A published version never changes (docs/decisions/0005), so its value codes (with key
    area and theme) are kept in memory, keyed by the version's id and content checksum, as
    its levels are (`frameworks/levels.py:scale_of`): no query after the first. The objects
    are shared between requests: read them, never change them."""
    round_ = response.round
    version = round_._state.fields_cache.get("framework_version")
    if version is not None and version.published_at is not None:
        vc = _published_value_codes(version.pk, version.checksum).get(code)
        if vc is None:
            raise Http404
        return vc
    return _one_or_404(
        ValueCode.objects.select_related("key_area__theme").filter(
            version_id=round_.framework_version_id, code=code
        )
    )


@functools.lru_cache(maxsize=64)
def _published_value_codes(version_id: int, checksum: str) -> dict[str, ValueCode]:
    return {
        vc.code: vc
        for vc in ValueCode.objects.select_related("key_area__theme").filter(version_id=version_id)
    }


def get_key_area_in_round(response, code: str) -> KeyArea:
    """A key area of the response's round's framework version, or 404 (held in memory for a
    published version, as value codes are)."""
    version = response.round._state.fields_cache.get("framework_version")
    if version is not None and version.published_at is not None:
        codes = _published_value_codes(version.pk, version.checksum)
        for vc in codes.values():
            if vc.key_area.code == code:
                return vc.key_area
    return _one_or_404(
        KeyArea.objects.select_related("theme").filter(
            version_id=response.round.framework_version_id, code=code
        )
    )


# --- Clusters ---------------------------------------------------------------------------------
def get_cluster_for_user(user: User, cluster_id, *, manage: bool = False):
    """A cluster the user may see: the national team sees all, regional leads their region's."""
    from diagnostic.organisations.models import Cluster

    cluster = Cluster.objects.select_related("region").filter(pk=_int(cluster_id)).first()
    if cluster is None:
        raise Http404
    in_region = cluster.region_id is not None and cluster.region_id in led_region_ids(user)
    if manage:
        if is_national_admin(user) or in_region:
            return cluster
        raise Http404
    if is_national(user) or in_region:
        return cluster
    raise Http404


# --- Action plans -----------------------------------------------------------------------------
def can_edit_action_plan(user: User, response) -> bool:
    """Only the organisation's own lead changes its action plan (at any stage of the round:
    the plan is worked on long after the response is submitted)."""
    return role_in(user, response.organisation) == Role.LEAD


def require_action_plan_editor(user: User, response) -> None:
    if not can_edit_action_plan(user, response):
        raise PermissionDenied("Only the organisation's lead can change the action plan.")


def get_action_plan_response(user: User, response_id, *, write: bool = False):
    """The response whose action plan the user may read; with `write=True`, may change.

    The organisation's members (lead, viewer; contributors once the response is submitted)
    and the national team read it.
    Regional leads do not, even with consent to share the named response: the plan names the
    council's officers and is its own working document (docs/decisions/0009). Readers who may
    not write get 403; everyone else 404.
    """
    from diagnostic.assessments.models import Response

    response = (
        Response.objects.select_related(
            "round__framework_version__framework", "organisation__region"
        )
        .filter(pk=_int(response_id))
        .first()
    )
    if response is None:
        raise Http404
    own = role_in(user, response.organisation)
    if own is None and not is_national(user):
        raise Http404
    if write:
        require_action_plan_editor(user, response)
    if own == Role.CONTRIBUTOR and not response.is_submitted and not is_national(user):
        # The plan's suggestions are drawn from the agreed answers (levels, targets, comments).
        raise AgreedAnswersHidden(response)
    return response


def get_action_for_user(user: User, response_id, action_id, *, write: bool = False):
    """An action of that response's plan, under the same rules as `get_action_plan_response`.

    An action id that belongs to another response (even the user's own council's other
    round) is 404: the URL names both, and both must agree.
    """
    from diagnostic.plans.models import Action

    response = get_action_plan_response(user, response_id, write=write)
    action = (
        Action.objects.select_related("updated_by", "created_by")
        .prefetch_related("value_codes")
        .filter(pk=_int(action_id), response=response)
        .first()
    )
    if action is None:
        raise Http404
    action.response = response  # already loaded, with its round and organisation
    return action


# --- Contributors, consolidation and sign-off -----------------------------------------------------
def _response(response_id):
    from diagnostic.assessments.models import Response

    return _one_or_404(
        Response.objects.select_related(
            "round__framework_version__framework", "organisation__region"
        ).filter(pk=_int(response_id))
    )


def get_contribution_for_user(user: User, response_id):
    """The user's own request for views in this response, or 404.

    Found by the user, or (until they first save a view after accepting their invitation) by
    their email address, when they hold a role in the organisation.
    """
    from django.db.models import Q

    from diagnostic.consolidation.models import Assignment

    response = _response(response_id)
    if role_in(user, response.organisation) is None:
        raise Http404
    assignment = (
        Assignment.objects.filter(response=response, withdrawn_at__isnull=True)
        .filter(Q(user=user) | Q(user__isnull=True, email__iexact=user.email))
        .prefetch_related("key_areas")
        .first()
    )
    if assignment is None:
        raise Http404
    if assignment.user_id is None:
        # Not written here (a lookup changes nothing): the first save ties it to them.
        assignment.user = user
    assignment.response = response
    return assignment


def get_response_for_lead(user: User, response_id):
    """A response whose contributors and consolidation the user manages: its lead only.

    The organisation's other members and the national team get 403; everyone else 404.
    """
    response = _response(response_id)
    own = role_in(user, response.organisation)
    if own is None and not is_national(user):
        raise Http404
    if own != Role.LEAD:
        raise PermissionDenied("Only the organisation's lead can do this.")
    return response


def get_assignment_for_lead(user: User, response_id, assignment_id):
    """A request for views in that response, for its lead; 404 if the two do not agree."""
    from diagnostic.consolidation.models import Assignment

    response = get_response_for_lead(user, response_id)
    assignment = _one_or_404(
        Assignment.objects.filter(pk=_int(assignment_id), response=response).prefetch_related(
            "key_areas"
        )
    )
    assignment.response = response
    return assignment


def get_sign_off_request_for_lead(user: User, response_id, request_id):
    from diagnostic.consolidation.models import SignOffRequest

    response = get_response_for_lead(user, response_id)
    req = _one_or_404(SignOffRequest.objects.filter(pk=_int(request_id), response=response))
    req.response = response
    return req


def get_sign_off_by_token(token: str):
    """The sign-off request behind an emailed link, whatever its state; the view explains."""
    from diagnostic.consolidation.models import SignOffRequest, hash_token

    if not token or len(token) > 100:
        raise Http404
    return _one_or_404(
        SignOffRequest.objects.select_related(
            "response__round__framework_version__framework",
            "response__organisation__region",
            "requested_by",
        ).filter(token_hash=hash_token(token))
    )


# --- Sector figures (analytics) ------------------------------------------------------------------
def rounds_for_dashboards(user: User):
    """The rounds whose dashboards this person may open: every round that has opened, for the
    national team and regional leads; none for anyone else (404 at the view)."""
    from diagnostic.assessments.models import Round

    if not (is_national(user) or led_region_ids(user)):
        raise Http404
    return (
        Round.objects.exclude(status=Round.Status.DRAFT)
        .select_related("framework_version")
        .order_by("-opens_on")
    )


def get_key_area_for_dashboard(round, area_id) -> KeyArea:
    """A key area of the round's framework version, by id; 404 for any other."""
    return _one_or_404(
        KeyArea.objects.select_related("theme").filter(
            pk=_int(area_id), version_id=round.framework_version_id
        )
    )


def get_value_code_for_dashboard(round, vc_id) -> ValueCode:
    """A value code of the round's framework version, by id; 404 for any other."""
    return _one_or_404(
        ValueCode.objects.select_related("key_area").filter(
            pk=_int(vc_id), version_id=round.framework_version_id
        )
    )


def get_published_round(round_id=None):
    """A round whose national results are published (public); with no id, the newest. Returns
    (round or None, every published round)."""
    from diagnostic.assessments.models import Round

    published = (
        Round.objects.filter(publication__isnull=False)
        .select_related("framework_version", "publication")
        .order_by("-opens_on")
    )
    if round_id is None:
        return published.first(), published
    return _one_or_404(published.filter(pk=_int(round_id))), published


# --- The relationship broker ------------------------------------------------------------------
def require_broker_reader(user: User) -> None:
    """Plans, coverage and the broker dashboard: the national team and regional leads."""
    if not (is_national(user) or led_region_ids(user)):
        raise PermissionDenied("Only the national team and regional leads can see this.")


def get_round_for_broker(user: User, round_id):
    """A round for the broker's sector pages (national team and regional leads)."""
    require_broker_reader(user)
    return _round(round_id)


def get_plan_run_for_user(user: User, round_id, run_id):
    """A plan run (the broker's plan worked out in the background) in this round, for the same
    people as the plan page: the national team sees every run; a regional lead the runs made
    for a regional audience within the regions they lead (their own, or another lead's of the
    same region). Everyone else, and any other run, gets 404 (403 first for non-readers)."""
    from diagnostic.broker.models import PlanRun

    require_broker_reader(user)
    run = _one_or_404(
        PlanRun.objects.select_related("round", "region", "cluster", "requested_by").filter(
            pk=_int(run_id), round_id=_int(round_id)
        )
    )
    if is_national(user):
        return run
    led = led_region_ids(user)
    if not run.national and run.audience_regions and set(run.audience_regions) <= led:
        return run
    raise Http404


def get_introduction_for_user(user: User, introduction_id):
    """An introduction the user may see, with `viewer_side` set to their council ("first",
    "second") or None.

    The leads of its two councils see it; the national team sees every introduction; a
    regional lead sees those they proposed, and those with a council in their region when both
    councils are visible to their region under the councils' current choices. Everyone else,
    including the councils' other members, gets 404.
    """
    from diagnostic.broker import queries
    from diagnostic.broker.models import Disclosure, Introduction

    intro = _one_or_404(
        Introduction.objects.select_related(
            "round__framework_version", "first__region", "second__region",
            "first_answered_by", "second_answered_by", "proposed_by",
        ).filter(pk=_int(introduction_id))
    )  # fmt: skip
    intro.viewer_side = None
    for org in (intro.first, intro.second):
        if role_in(user, org) == Role.LEAD:
            intro.viewer_side = intro.side(org.pk)
            return intro
    if is_national(user):
        return intro
    regions = frozenset(led_region_ids(user))
    if regions and (intro.proposed_by_id == user.pk):
        return intro
    if regions and (intro.first.region_id in regions or intro.second.region_id in regions):
        choices = queries.visibilities(intro.round_id)
        audience = queries.Audience("regional", regions)
        if all(
            audience.sees(choices.get(o.pk, (Disclosure.DEFAULT, False))[0], o.region_id)
            for o in (intro.first, intro.second)
        ):
            return intro
    raise Http404


# --- Good practice (diagnostic/practice) ------------------------------------------------------
def _case_studies():
    from diagnostic.practice.models import CaseStudy

    return CaseStudy.objects.select_related(
        "organisation__region", "level", "key_area__theme", "framework_version__framework"
    )


def get_case_study_for_reader(user: User, case_study_id):
    """A case study this person may read: a published one its visibility admits; any state
    for the council's own people; submitted, in review or returned ones for its moderators."""
    from diagnostic.practice import queries

    cs = _one_or_404(_case_studies().filter(pk=_int(case_study_id)))
    if cs.state == "published" and cs.visibility in queries.visibilities_for(user):
        return cs
    if not user.is_authenticated:
        raise Http404
    if role_in(user, cs.organisation):
        return cs
    if cs.state in queries.MODERATED_STATES and queries.can_moderate(user, cs):
        return cs
    raise Http404


def get_case_study_for_lead(user: User, case_study_id):
    """One of the council's own case studies, for its lead (others of the council: 403)."""
    cs = _one_or_404(_case_studies().filter(pk=_int(case_study_id)))
    own = role_in(user, cs.organisation)
    if own == Role.LEAD:
        return cs
    if own:
        raise PermissionDenied("Only the council's lead writes its case studies.")
    raise Http404


def get_case_study_for_moderator(user: User, case_study_id):
    """A case study waiting for (or past) moderation, for the national team or its regional lead."""
    from diagnostic.practice import queries

    cs = _one_or_404(_case_studies().filter(pk=_int(case_study_id)))
    if cs.state in queries.MODERATED_STATES and queries.can_moderate(user, cs):
        return cs
    raise Http404


def get_attachment_for_reader(user: User, case_study_id, attachment_id):
    cs = get_case_study_for_reader(user, case_study_id)
    attachment = _one_or_404(cs.attachments.filter(pk=_int(attachment_id)))
    attachment.case_study = cs
    return attachment


def get_attachment_for_lead(user: User, case_study_id, attachment_id):
    cs = get_case_study_for_lead(user, case_study_id)
    attachment = _one_or_404(cs.attachments.filter(pk=_int(attachment_id)))
    attachment.case_study = cs
    return attachment


def get_write_up_invitation_for_lead(user: User, invitation_id):
    from diagnostic.practice.models import WriteUpInvitation

    invitation = _one_or_404(
        WriteUpInvitation.objects.select_related(
            "organisation", "value_code", "level", "round"
        ).filter(pk=_int(invitation_id))
    )
    if role_in(user, invitation.organisation) != Role.LEAD:
        raise Http404
    return invitation


def get_guidance_for_reader(user: User, guidance_id):
    """Curated guidance is public (it sits beside public case studies)."""
    from diagnostic.practice.models import Guidance

    return _one_or_404(Guidance.objects.filter(pk=_int(guidance_id)))


def get_guidance_for_curator(user: User, guidance_id):
    from diagnostic.practice.models import Guidance

    if not is_national(user):
        raise Http404
    return _one_or_404(Guidance.objects.filter(pk=_int(guidance_id)))


def require_practice_moderator(user: User) -> None:
    if not (is_national(user) or led_region_ids(user)):
        raise PermissionDenied("Only the national team and regional leads moderate case studies.")


def get_round_for_practice(user: User, round_id):
    """A round, for the candidates queue (the national team and regional leads)."""
    from diagnostic.assessments.models import Round

    require_practice_moderator(user)
    return _one_or_404(Round.objects.select_related("framework_version").filter(pk=_int(round_id)))


# --- Support targeting ----------------------------------------------------------------------------
def require_support_reader(user: User) -> None:
    """Where support is needed, advisers, offers and their effect: the national team and
    regional leads (their region)."""
    if not (is_national(user) or led_region_ids(user)):
        raise PermissionDenied("Only the national team and regional leads can see this.")


def can_manage_support(user: User) -> bool:
    """National admins, and regional leads for their own region, add advisers and plan offers."""
    return is_national_admin(user) or bool(led_region_ids(user))


def require_support_manager(user: User) -> None:
    if not can_manage_support(user):
        raise PermissionDenied("Only national admins and regional leads can plan support.")


def get_support_region(user: User, region_code: str):
    """A region whose support figures the user may see (any for the national team)."""
    return get_region_for_user(user, region_code)


def get_adviser_for_user(user: User, adviser_id, *, manage: bool = False):
    """An adviser in the register: the national team sees all, a regional lead those covering
    their region. With `manage=True`, a national admin, or a regional lead when every region
    the adviser covers is theirs."""
    from diagnostic.support.models import Adviser

    adviser = _one_or_404(
        Adviser.objects.prefetch_related("regions", "key_areas", "value_codes").filter(
            pk=_int(adviser_id)
        )
    )
    regions = {r.pk for r in adviser.regions.all()}
    led = led_region_ids(user)
    if manage:
        if is_national_admin(user) or (led and regions and regions <= led):
            return adviser
        raise Http404
    if is_national(user) or regions & led:
        return adviser
    raise Http404


def get_offer_for_user(user: User, offer_id, *, manage: bool = False):
    """A support offer: the national team sees all; a regional lead sees and manages their
    region's offers. National offers (no region) are managed by national admins."""
    from diagnostic.support.models import Offer

    offer = _one_or_404(
        Offer.objects.select_related(
            "round__framework_version", "region", "key_area", "value_code", "adviser"
        ).filter(pk=_int(offer_id))
    )
    in_region = offer.region_id is not None and offer.region_id in led_region_ids(user)
    if manage:
        if is_national_admin(user) or in_region:
            return offer
        raise Http404
    if is_national(user) or in_region:
        return offer
    raise Http404


def get_support_invitation_for_lead(user: User, invitation_id):
    """An invitation to support sent to a council the user leads; 404 for anyone else and for
    a council chosen but not yet invited."""
    from diagnostic.support.models import Invitation

    invitation = _one_or_404(
        Invitation.objects.select_related(
            "offer__key_area", "offer__value_code", "offer__adviser", "organisation"
        )
        .filter(pk=_int(invitation_id))
        .exclude(status=Invitation.Status.CHOSEN)
    )
    if role_in(user, invitation.organisation) != Role.LEAD:
        raise Http404
    return invitation


def get_support_item(rnd, by: str, item_id):
    """A key area (`by="key_area"`) or value code of the round's framework, named in a support
    URL; framework content, so only existence in that version is checked."""
    model = KeyArea if by == "key_area" else ValueCode
    return _one_or_404(model.objects.filter(pk=_int(item_id), version_id=rnd.framework_version_id))

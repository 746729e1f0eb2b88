"""Reads for the broker: a round's councils as the score sees them, filtered by who may see whom.

The answers of a round's submitted responses are read once per round version (the cache that
submitting or reopening bumps, `analytics/cache.py`), as plain `scoring.Council` rows. Each
council's disclosure choice is read fresh on every request, so a change has immediate effect.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from django.db.models import Q

from diagnostic.analytics import cache as analytics_cache
from diagnostic.assessments.models import Answer, Response, Round, SpendBand
from diagnostic.broker import scoring
from diagnostic.broker.models import Disclosure, Introduction, Visibility
from diagnostic.broker.regions import neighbouring_ids
from diagnostic.frameworks.levels import LevelScale, scale_for
from diagnostic.organisations.models import Organisation, Region

BANDS = [value for value, _ in SpendBand.choices]
SUBMITTED = Response.Status.SUBMITTED


def level_scale(version_id: int) -> LevelScale:
    """The framework version's levels, in order, with their names (`frameworks/levels.py`)."""
    return scale_for(version_id)


def neighbours() -> frozenset[tuple[int, int]]:
    return neighbouring_ids(Region.objects.only("pk", "code"))


def _source_responses(round_id: int) -> list[dict]:
    """Each eligible council's latest submitted response: in this round, or else in the
    nearest earlier round of the same framework version (`Round.previous_round`), so the
    broker works from the first day of a round (docs/decisions/0015)."""
    rnd = Round.objects.get(pk=round_id)
    eligible = set(
        Response.objects.filter(round_id=round_id).values_list("organisation_id", flat=True)
    )
    chain, seen_rounds = [], set()
    r = rnd
    while (
        r is not None
        and r.pk not in seen_rounds
        and r.framework_version_id == rnd.framework_version_id
    ):
        chain.append(r)
        seen_rounds.add(r.pk)
        r = r.previous_round
    out, seen = [], set()
    for r in chain:
        rows = Response.objects.filter(round_id=r.pk, status=SUBMITTED, organisation_id__in=eligible - seen).values(
            "pk", "organisation_id", "organisation__short_name", "organisation__type",
            "organisation__region_id", "spend_band", "shared_service", "version", "submitted_at",
        )  # fmt: skip
        for row in rows:
            row["from"] = "" if r.pk == round_id else r.name
            seen.add(row["organisation_id"])
            out.append(row)
    return out


def _stamp(row: dict) -> tuple:
    """What changes when a response's answers may have: another response (reopened, or an
    earlier round's instead), a new version, another submission."""
    return (row["pk"], row["version"], row["submitted_at"])


def _council(row: dict, answers) -> scoring.Council:
    return scoring.Council(
        id=row["organisation_id"], name=row["organisation__short_name"], answers=answers,
        type=row["organisation__type"], region_id=row["organisation__region_id"],
        spend_band=BANDS.index(row["spend_band"]) if row["spend_band"] in BANDS else None,
        shared_service=row["shared_service"], answers_from=row["from"],
    )  # fmt: skip


def _read_answers(response_ids: list[int]) -> dict[int, dict[str, scoring.Item]]:
    answers: dict[int, dict[str, scoring.Item]] = defaultdict(dict)
    if not response_ids:
        return answers
    rows = Answer.objects.filter(response_id__in=response_ids).values_list(
        "response_id", "value_code__code", "current_level", "target_level", "priority",
        "could_share", "want_support",
    )  # fmt: skip
    for rid, code, level, target, priority, share, support in rows.iterator(chunk_size=5000):
        answers[rid][code] = scoring.Item(level, target, priority, share, support)
    return answers


def _load_councils(round_id: int) -> tuple[list[scoring.Council], dict[int, tuple]]:
    """Every council with a submitted response to score (`_source_responses`), with its
    answers, in a few queries; and each council's `_stamp`."""
    responses = _source_responses(round_id)
    answers = _read_answers([r["pk"] for r in responses])
    councils = [_council(r, answers[r["pk"]]) for r in responses]
    return councils, {r["organisation_id"]: _stamp(r) for r in responses}


def _refresh_councils(
    round_id: int, old: list[scoring.Council], old_stamps: dict[int, tuple]
) -> tuple[list[scoring.Council], dict[int, tuple]]:
    """The round's councils again, reading answers only for the councils whose response
    changed since `old` (a submission, a reopening): after one council submits, its 59 answers
    rather than the round's 200,000 at 10x. The rest keep their answers (the same objects, so
    their prepared needs and offers are kept too); names, types and regions are read afresh."""
    responses = _source_responses(round_id)
    by_id = {c.id: c for c in old}
    changed = [
        r for r in responses
        if r["organisation_id"] not in by_id or old_stamps.get(r["organisation_id"]) != _stamp(r)
    ]  # fmt: skip
    fresh = _read_answers([r["pk"] for r in changed])
    changed_ids = {r["organisation_id"] for r in changed}
    councils = [
        _council(r, fresh[r["pk"]] if r["organisation_id"] in changed_ids else by_id[r["organisation_id"]].answers)
        for r in responses
    ]  # fmt: skip
    return councils, {r["organisation_id"]: _stamp(r) for r in responses}


# This process's copy of each round's councils and their prepared needs and offers, valid while
# the shared cache holds the same token: a submission or reopening (a new round version), a
# cleared cache or FRESH_SECONDS passing all mean a new token, so the copy is never staler than
# the cached aggregates. It saves unpickling ~20,000 answers from the cache on every request.
# When the token changes, a process that has a copy reads only what changed
# (`_refresh_councils`); a process without one reads the round whole, once.
_MEMO: dict[int, tuple] = {}
EPOCH_KEY = "broker:councils-epoch"


def _memo(round_id: int) -> tuple[list[scoring.Council], dict, scoring.GainMatrices]:
    from uuid import uuid4

    from django.core.cache import cache

    token_key = f"broker:councils-token:{round_id}:{analytics_cache._version(round_id)}"
    token = cache.get(token_key)
    hit = _MEMO.get(round_id)
    if token is not None and hit is not None and hit[0] == token:
        return hit[1], hit[2], hit[3]
    # A copy is refreshed in part only while the cache still holds the epoch it was made in: a
    # cleared cache (a restart, a restore, each test) means ids may name other rows now.
    epoch = cache.get(EPOCH_KEY)
    if epoch is None:
        epoch = uuid4().hex
        cache.set(EPOCH_KEY, epoch, None)
    if hit is not None and hit[5] != epoch:
        hit = None
    if hit is not None:
        councils, stamps = _refresh_councils(round_id, hit[1], hit[4])
        old_answers = {c.id: c.answers for c in hit[1]}
        old_prepared = hit[2]
    else:
        councils, stamps = analytics_cache.cached(
            "broker-councils-stamped", round_id, (), lambda: _load_councils(round_id)
        )
        old_answers, old_prepared = {}, {}
    version_id = (
        Round.objects.filter(pk=round_id).values_list("framework_version_id", flat=True).first()
    )
    scale = level_scale(version_id)
    prepared = {
        c.id: old_prepared[c.id]
        if c.id in old_prepared and old_answers.get(c.id) is c.answers
        else scoring.prepare(c, scale)
        for c in councils
    }
    if (
        hit is not None
        and [c.id for c in hit[1]] == [c.id for c in councils]
        and all(prepared[c.id] is old_prepared[c.id] for c in councils)
    ):
        matrices = hit[3]  # the same answers in the same order: the same matrices
    else:
        matrices = scoring.GainMatrices.of(councils, scale, prepared)
    if token is None:
        token = uuid4().hex
        cache.set(token_key, token, analytics_cache.FRESH_SECONDS)
    _MEMO[round_id] = (token, councils, prepared, matrices, stamps, epoch)
    return councils, prepared, matrices


def round_councils(round_id: int) -> list[scoring.Council]:
    """The round's councils with answers, cached until the round's next submission or reopening."""
    return _memo(round_id)[0]


def visibilities(round_id: int) -> dict[int, tuple[str, bool]]:
    """{organisation id: (visibility, show_levels)} for councils that chose; others default."""
    return {
        org: (vis, show)
        for org, vis, show in Disclosure.objects.filter(round_id=round_id).values_list(
            "organisation_id", "visibility", "show_levels"
        )
    }


def visibility_of(round_id: int, organisation_id: int) -> Disclosure:
    return Disclosure.objects.filter(
        round_id=round_id, organisation_id=organisation_id
    ).first() or Disclosure(round_id=round_id, organisation_id=organisation_id)


@dataclasses.dataclass(frozen=True)
class Audience:
    """Who is looking: a council (sees only councils named to other councils), a regional lead
    (also councils of their regions that chose the LGA and their region), or the national team
    (every council that did not choose "not at all")."""

    kind: str  # "council", "regional", "national"
    region_ids: frozenset[int] = frozenset()

    def sees(self, visibility: str, region_id: int | None) -> bool:
        if visibility == Visibility.NAMED:
            return True
        if visibility == Visibility.LGA_REGION:
            return self.kind == "national" or (
                self.kind == "regional" and region_id in self.region_ids
            )
        return False


COUNCIL = Audience("council")
NATIONAL = Audience("national")


def councils_for(round_id: int, audience: Audience) -> list[scoring.Council]:
    """The round's councils this audience may see (choices read now); others are left out."""
    choices = visibilities(round_id)
    default = (Disclosure.DEFAULT, False)
    return [
        c
        for c in round_councils(round_id)
        if audience.sees(choices.get(c.id, default)[0], c.region_id)
    ]


def suggestions_for(
    rnd: Round, organisation: Organisation, *, region_id=None, org_type="", limit=20
):
    """The council's best partners among councils named to other councils (submitted only).

    Returns (matches, subject) — subject None when the council has not submitted."""
    councils = councils_for(rnd.pk, COUNCIL)
    subject = next((c for c in councils if c.id == organisation.pk), None)
    if subject is None:
        return [], None
    candidates = [
        c for c in councils
        if (not region_id or c.region_id == region_id) and (not org_type or c.type == org_type)
    ]  # fmt: skip
    _, prepared, matrices = _memo(rnd.pk)
    matches = scoring.best_partners(
        subject, candidates, level_scale(rnd.framework_version_id), neighbours(), limit=limit,
        prepared=prepared, matrices=matrices,
    )  # fmt: skip
    return matches, subject


def match_between(rnd: Round, first_id: int, second_id: int):
    """The scored pair (from `first`'s side) whatever their choices, or None if not mutual."""
    by_id = {c.id: c for c in round_councils(rnd.pk)}
    if first_id not in by_id or second_id not in by_id:
        return None
    return scoring.match(
        by_id[first_id], by_id[second_id], level_scale(rnd.framework_version_id), neighbours()
    )


def reasons_json(m: scoring.Match) -> dict:
    """The reasons of a match as stored on an introduction: `first` is `m.first`."""
    return {
        "first": [r.text for r in m.first_reasons],
        "second": [r.text for r in m.second_reasons],
        "fit": list(m.fit_reasons),
    }


def introductions_of(organisation: Organisation, round_id: int | None = None):
    qs = Introduction.objects.filter(Q(first=organisation) | Q(second=organisation)).select_related(
        "first", "second", "round"
    )
    if round_id:
        qs = qs.filter(round_id=round_id)
    return qs


def audience_for(user) -> Audience:
    """The national team sees as the LGA; a regional lead as their region(s)."""
    from diagnostic.accounts import access

    if access.is_national(user):
        return NATIONAL
    return Audience("regional", frozenset(access.led_region_ids(user)))


# Seconds HiGHS may spend on a plan with N > 1 before it returns its best plan so far, with how
# far from the best it can be (docs/decisions/0014). The management command can lift it.
PLAN_TIME_LIMIT = 3.0


def plan_for(
    rnd: Round,
    audience: Audience,
    capacity: int,
    *,
    organisation_ids=None,
    progress=None,
    time_limit: float | None = PLAN_TIME_LIMIT,
) -> tuple:  # fmt: skip
    """The best plan among the councils this audience may see (optionally only those in
    `organisation_ids`: a region or cluster). Returns (plan, councils by id).

    `progress(stage, done, total)` is told how far it has got, stage by stage
    (`broker/progress.py`: the command's bar and the background job's progress)."""
    from diagnostic.broker.plan import solve

    report = progress or (lambda stage, done, total: None)
    report("answers", 0, 1)
    councils = [
        c for c in councils_for(rnd.pk, audience) if organisation_ids is None or c.id in organisation_ids
    ]  # fmt: skip
    prepared = _memo(rnd.pk)[1]
    report("answers", 1, 1)
    scale = level_scale(rnd.framework_version_id)
    scores = scoring.pair_arrays(
        councils, scale, neighbours(), prepared=prepared,
        progress=lambda done, total: report("scoring", done, total),
    )  # fmt: skip
    report("solving", 0, 1)
    result = solve(scores, capacity, time_limit=time_limit)
    report("solving", 1, 1)
    return result, {c.id: c for c in councils}


def scope_organisation_ids(rnd: Round, *, region=None, cluster=None) -> set[int] | None:
    """The councils of a region or cluster (None: no limit)."""
    if cluster is not None:
        return set(cluster.organisations.values_list("pk", flat=True))
    if region is not None:
        return set(Organisation.objects.filter(region=region).values_list("pk", flat=True))
    return None


def coverage_for(rnd: Round, audience: Audience, organisation_ids: set[int] | None):
    councils = [
        c for c in councils_for(rnd.pk, audience) if organisation_ids is None or c.id in organisation_ids
    ]  # fmt: skip
    from diagnostic.frameworks.models import ValueCode

    codes = list(
        ValueCode.objects.filter(version_id=rnd.framework_version_id)
        .order_by("position")
        .values_list("code", "title")
    )
    rows = scoring.coverage(councils, [c for c, _ in codes], level_scale(rnd.framework_version_id))
    titles = dict(codes)
    return [{"row": r, "title": titles[r.code]} for r in rows], len(councils)


def dashboard(rnd: Round, region_ids: set[int] | None, *, national: bool) -> list[dict]:
    """Per region: introductions proposed, accepted, met, useful (an introduction counts in the
    region of each of its councils). A row built from fewer councils than the suppression rule
    allows is hidden whole for regional leads (`analytics.suppression.must_hide`)."""
    from diagnostic.analytics.suppression import must_hide as suppressed
    from diagnostic.broker.models import Outcome

    intros = list(Introduction.objects.filter(round=rnd).values("pk", "status", "first_id", "second_id",
                                                                   "first__region_id", "second__region_id"))  # fmt: skip
    outcomes = defaultdict(lambda: {"met": False, "useful": False})
    for o in Outcome.objects.filter(introduction__round=rnd).only(
        "introduction_id", "met", "shared_documents", "joint_work", "not_useful"
    ):
        row = outcomes[o.introduction_id]
        row["met"] |= o.met
        row["useful"] |= o.useful
    regions = Region.objects.order_by("name")
    if region_ids is not None:
        regions = regions.filter(pk__in=region_ids)
    out = []
    for region in regions:
        mine = [i for i in intros if region.pk in (i["first__region_id"], i["second__region_id"])]
        councils = {i["first_id"] for i in mine if i["first__region_id"] == region.pk} | {
            i["second_id"] for i in mine if i["second__region_id"] == region.pk
        }
        row = {
            "region": region, "councils": len(councils), "proposed": len(mine),
            "accepted": sum(i["status"] == Introduction.Status.ACCEPTED for i in mine),
            "met": sum(outcomes[i["pk"]]["met"] for i in mine if i["pk"] in outcomes),
            "useful": sum(outcomes[i["pk"]]["useful"] for i in mine if i["pk"] in outcomes),
            "suppressed": bool(mine) and suppressed(len(councils), national=national),
        }  # fmt: skip
        if row["suppressed"]:
            row.update(proposed=None, accepted=None, met=None, useful=None)
        if mine or region_ids is not None:
            out.append(row)
    return out


def introduction_supply(
    round_id: int, *, expert: frozenset[int], include=None, by=("key_area",)
) -> dict[str, dict[tuple[int, int], int]]:
    """The broker's accepted introductions in the round as support supply, per (region, key
    area or value code) for each of `by`: `support.measures.introduced` on the submitted
    answers of the councils in them (docs/metrics.md, "Support targeting"). One query when
    there are none; two or three otherwise."""
    from diagnostic.organisations.models import Cluster
    from diagnostic.support import measures

    pairs = list(
        Introduction.objects.filter(round_id=round_id, status=Introduction.Status.ACCEPTED)
        .values_list("first_id", "second_id")
        .order_by()
    )
    if not pairs:
        return {b: {} for b in by}
    orgs = {o for p in pairs for o in p}
    rows = Answer.objects.filter(
        response__round_id=round_id, response__status=SUBMITTED,
        response__organisation_id__in=orgs, current_level__isnull=False,
    ).values_list(
        "response__organisation_id", "response__organisation__region_id",
        "response__organisation__type", "value_code_id", "value_code__key_area_id",
        "current_level", "target_level", "priority", "want_support", "could_share",
    )  # fmt: skip
    clusters: dict[int, set[int]] = defaultdict(set)
    if include is not None:
        for org, cluster in Cluster.organisations.through.objects.filter(
            organisation_id__in=orgs
        ).values_list("organisation_id", "cluster_id"):
            clusters[org].add(cluster)
    facts = [
        measures.AnswerFact(
            organisation_id=o, region_id=r, org_type=t, value_code_id=vc, key_area_id=ka,
            current=cur, target=tgt, priority=pri, want_support=want, could_share=share,
            cluster_ids=frozenset(clusters.get(o, ())),
        )
        for o, r, t, vc, ka, cur, tgt, pri, want, share in rows
    ]  # fmt: skip
    return {b: measures.introduced(facts, pairs, by=b, expert=expert, include=include) for b in by}

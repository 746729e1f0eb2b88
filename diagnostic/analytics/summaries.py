"""The summary tables every sector figure is read from, and how they are kept true.

`analytics/models.py` holds three tables of raw counts over the answers of *submitted*
responses (no suppression here: figures are hidden on reading, by analytics/suppression.py):

- `LevelCount`: answers at each current and target level, per round × value code × region ×
  council type × nation;
- `ValueCodeCount`: per the same cell and value code, the answers, priorities, "would welcome
  support" and "could share" ticks, and support targeting's demand and supply counts;
- `CouncilCount`: one row per submitted response and theme or key area, so that councils are
  counted once however many of their answers fall there (with the enablers as bit sets, for
  the enabler filter), and support targeting's per-council flags.

They change only when a response's status does: `response_changed` is called inside the
transaction of every submission and reopening (assessments/services.py), so a committed
submission is in the figures at once and a rolled-back one never is. A round whose summaries
were never built (answers loaded in bulk: the demo, the benchmarks, test fixtures, a new
deployment) is built from the answers on its first reading (`ensure_built`); `manage.py
rebuild_summaries` rebuilds them at any time. Design: docs/decisions/0026-figures-from-summaries.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from diagnostic.analytics.models import CouncilCount, LevelCount, SummaryState, ValueCodeCount
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.models import Enabler, Level, ValueCode
from diagnostic.support import measures

SUBMITTED = Response.Status.SUBMITTED
# Enablers are bits of a 64-bit integer. A version with more falls back to reading the answers
# for its enabler filter (analytics/queries.py); no framework comes close.
MAX_ENABLERS = 62
PRIORITIES = ("high", "medium", "low", "none")

_FIELDS = (
    "response_id", "response__organisation_id", "response__organisation__region_id",
    "response__organisation__type", "response__organisation__nation", "value_code_id",
    "value_code__key_area_id", "value_code__key_area__theme_id", "current_level",
    "target_level", "priority", "want_support", "could_share",
)  # fmt: skip


def enabler_bits(version_id: int) -> dict[str, int]:
    """Each enabler's bit in `CouncilCount`'s bit sets (in id order), by code."""
    ids = (
        Enabler.objects.filter(version_id=version_id).order_by("pk").values_list("code", flat=True)
    )
    return {code: 1 << i for i, code in enumerate(ids) if i < MAX_ENABLERS}


def _enabler_masks(version_id: int) -> dict[int, int]:
    ids = Enabler.objects.filter(version_id=version_id).order_by("pk").values_list("pk", flat=True)
    bits = {pk: 1 << i for i, pk in enumerate(ids) if i < MAX_ENABLERS}
    masks: dict[int, int] = defaultdict(int)
    through = ValueCode.enablers.through.objects.filter(valuecode__version_id=version_id)
    for vc, enabler in through.values_list("valuecode_id", "enabler_id"):
        masks[vc] |= bits.get(enabler, 0)
    return masks


def _expert(version_id: int) -> frozenset[int]:
    return measures.expert_levels(
        Level.objects.filter(version_id=version_id).values_list("number", flat=True)
    )


def submitted_answers(round_id: int) -> QuerySet[Answer]:
    return Answer.objects.filter(response__round_id=round_id, response__status=SUBMITTED)


def compute(round_id: int, answers: QuerySet[Answer], *, councils_of: int | None = None):
    """The summary rows (unsaved) for these answers of one round. `councils_of`: make the
    `CouncilCount` rows of that response only (None: of every response)."""
    version_id = Round.objects.values_list("framework_version_id", flat=True).get(pk=round_id)
    masks = _enabler_masks(version_id)
    expert = _expert(version_id)
    levels: dict[tuple, int] = defaultdict(int)
    per_code: dict[tuple, dict] = {}
    per_council: dict[tuple, dict] = {}
    for (response, org, region, org_type, nation, vc, area, theme, current, target, priority,
         want, share) in answers.values_list(*_FIELDS).iterator(chunk_size=5000):  # fmt: skip
        cell = (region, org_type, nation)
        levels[(*cell, vc, LevelCount.Kind.CURRENT, current)] += 1
        if target is not None:
            levels[(*cell, vc, LevelCount.Kind.TARGET, target)] += 1
        c = per_code.get((*cell, vc))
        if c is None:
            c = per_code[(*cell, vc)] = defaultdict(int)
        c["answers"] += 1
        if priority in PRIORITIES:
            c[priority] += 1
        c["want_support"] += want
        c["could_share"] += share
        answered = current is not None
        gap = measures.weighted_gap(current, target, priority) if answered else 0
        needs = answered and (want or gap > 0)
        peer = answered and share and current in expert
        if answered:
            c["answered"] += 1
            c["demand"] += needs
            c["wanting"] += want
            c["weighted_gap"] += gap
            c["peers"] += peer
        if councils_of is not None and response != councils_of:
            continue
        mask = masks.get(vc, 0)
        for kind, item in ((CouncilCount.Kind.THEME, theme), (CouncilCount.Kind.KEY_AREA, area)):
            k = (response, kind, item)
            row = per_council.get(k)
            if row is None:
                row = per_council[k] = {
                    "cell": cell, "organisation_id": org, "want_support": False,
                    "could_share": False, "enablers": 0, "support_enablers": 0,
                    "share_enablers": 0, "answered": 0, "needs": 0, "wanting": 0,
                    "weighted_gap": 0, "peers": 0,
                }  # fmt: skip
            row["want_support"] |= want
            row["could_share"] |= share
            row["enablers"] |= mask
            if want:
                row["support_enablers"] |= mask
            if share:
                row["share_enablers"] |= mask
            if answered:
                row["answered"] = 1
                row["needs"] |= int(needs)
                row["wanting"] |= int(want)
                row["weighted_gap"] += gap
                row["peers"] |= int(peer)

    def at(cell):
        region, org_type, nation = cell
        return {"round_id": round_id, "region_id": region, "org_type": org_type, "nation": nation}

    level_rows = [
        LevelCount(**at(k[:3]), value_code_id=k[3], kind=k[4], level=k[5], n=n)
        for k, n in levels.items()
    ]
    code_rows = [ValueCodeCount(**at(k[:3]), value_code_id=k[3], **c) for k, c in per_code.items()]
    council_rows = [
        CouncilCount(**at(row.pop("cell")), response_id=k[0], kind=k[1], item_id=k[2], **row)
        for k, row in per_council.items()
    ]
    return level_rows, code_rows, council_rows


def _save(level_rows, code_rows, council_rows) -> None:
    """Insert the rows, one `executemany` per table: a fixed number of statements whatever the
    number of councils (a bulk_create is split into statements of a few dozen rows on SQLite)."""
    for model, rows in ((LevelCount, level_rows), (ValueCodeCount, code_rows),
                        (CouncilCount, council_rows)):  # fmt: skip
        if not rows:
            continue
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        qn = connection.ops.quote_name
        table, columns = qn(model._meta.db_table), ", ".join(qn(f.column) for f in fields)
        # Names from the model, quoted; the values are parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        values = [[f.get_db_prep_save(getattr(r, f.attname), connection) for f in fields]
                  for r in rows]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.executemany(sql, values)


def rebuild(round_id: int, *, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Recompute one round's summaries from its answers; returns how many rows of each. Takes
    the round's lock, so no submission in the round is missed or counted twice meanwhile."""
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round_id).first()
        for model in (LevelCount, ValueCodeCount, CouncilCount):
            model.objects.filter(round_id=round_id).delete()
        rows = compute(round_id, submitted_answers(round_id))
        _save(*rows)
        SummaryState.objects.filter(round_id=round_id).delete()
        SummaryState.objects.create(round_id=round_id, built_at=timezone.now(),
                                    **fingerprint(round_id))  # fmt: skip
    counts = {m.__name__: len(r) for m, r in zip((LevelCount, ValueCodeCount, CouncilCount), rows,
                                                 strict=True)}  # fmt: skip
    if progress:
        progress(", ".join(f"{n} {name}" for name, n in counts.items()))
    return counts


def fingerprint(round_id: int) -> dict[str, int]:
    """The state of a round's submitted responses, in one indexed query: how many, the sum of
    their versions (every submission and reopening raises a response's) and of their ids.
    Sums, so that a submission or reopening can add or take away its own part."""
    state = Response.objects.filter(round_id=round_id, status=SUBMITTED).aggregate(
        submitted=Count("pk"), versions=Sum("version"), ids=Sum("pk")
    )
    return {k: v or 0 for k, v in state.items()}


def ensure_built(round_id: int) -> None:
    """Make sure a round's summaries are there and built from its submitted responses as they
    stand: built from the answers when they never were (see the module's docstring) or when
    responses were submitted or reopened other than through the services (a bulk load, a
    fixture). One query when they are up to date."""
    if SummaryState.objects.filter(round_id=round_id, **fingerprint(round_id)).exists():
        return
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round_id).first()
        if not SummaryState.objects.filter(round_id=round_id, **fingerprint(round_id)).exists():
            rebuild(round_id)


def response_changed(response: Response, *, counted_version: int | None) -> None:
    """Bring the summaries up to date with a response whose status changed: call inside the
    transaction that changes it, after saving it. `counted_version`: the version at which the
    response counted before the change (it was submitted), or None (it did not count).

    The counts of its cell (round, region, type, nation) are recomputed from that cell's
    submitted answers, its own council rows replaced, and its part of the round's fingerprint
    changed (so changes made other than through the services still show as a difference, and
    are rebuilt on reading). Nothing is done for a round not built yet: it will be, with this
    change, on its first reading. The round's lock serialises this with builds."""
    round_id = response.round_id
    Round.objects.select_for_update().filter(pk=round_id).first()
    if not SummaryState.objects.filter(round_id=round_id).exists():
        return
    region, org_type, nation, status, version = (
        Response.objects.filter(pk=response.pk)
        .values_list("organisation__region_id", "organisation__type", "organisation__nation",
                     "status", "version")
        .get()
    )  # fmt: skip
    cell = {"round_id": round_id, "region_id": region, "org_type": org_type, "nation": nation}
    LevelCount.objects.filter(**cell).delete()
    ValueCodeCount.objects.filter(**cell).delete()
    CouncilCount.objects.filter(response_id=response.pk).delete()
    answers = submitted_answers(round_id).filter(
        response__organisation__region_id=region, response__organisation__type=org_type,
        response__organisation__nation=nation,
    )  # fmt: skip
    _save(*compute(round_id, answers, councils_of=response.pk))
    delta = {"submitted": 0, "versions": 0, "ids": 0}
    for sign, v in ((-1, counted_version), (1, version if status == SUBMITTED else None)):
        if v is not None:
            delta = {"submitted": delta["submitted"] + sign, "versions": delta["versions"] + sign * v,
                     "ids": delta["ids"] + sign * response.pk}  # fmt: skip
    SummaryState.objects.filter(round_id=round_id).update(**{k: F(k) + n for k, n in delta.items()})


def snapshot(round_id: int) -> dict[str, set]:
    """A round's summary rows as comparable values (for tests: equal to a fresh `compute`)."""

    def values(rows) -> set:
        out = set()
        for r in rows:
            d = {f.attname: getattr(r, f.attname) for f in r._meta.concrete_fields
                 if f.attname != "id"}  # fmt: skip
            out.add(tuple(sorted(d.items())))
        return out

    stored = [LevelCount.objects.filter(round_id=round_id),
              ValueCodeCount.objects.filter(round_id=round_id),
              CouncilCount.objects.filter(round_id=round_id)]  # fmt: skip
    fresh = compute(round_id, submitted_answers(round_id))
    names = ("levels", "value_codes", "councils")
    return {
        "stored": dict(zip(names, (values(q) for q in stored), strict=True)),
        "fresh": dict(zip(names, (values(r) for r in fresh), strict=True)),
    }

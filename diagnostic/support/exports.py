"""The ranking, the offers and their take-up as XLSX, each with an About sheet.

Text typed by people (titles, descriptions, names) is neutralised against formula injection
with the one shared rule (`lib/spreadsheets.neutralise`), and stored as text.
"""

from __future__ import annotations

import io

from django.utils import timezone

from diagnostic.analytics.suppression import THRESHOLD
from diagnostic.lib.spreadsheets import neutralise_sheet

HIDDEN = f"fewer than {THRESHOLD}"

RANKING_COLUMNS = ["rank", "code", "name", "councils", "needing_support", "wanting_support",
                   "weighted_gap", "peers_able_to_share", "adviser_days", "covered_by_introductions",
                   "unmet_demand"]  # fmt: skip
OFFER_COLUMNS = ["offer", "kind", "aim", "region", "round", "starts_on", "ends_on", "capacity",
                 "adviser", "adviser_days", "councils_chosen", "invited", "accepted", "declined",
                 "attended"]  # fmt: skip
TAKE_UP_COLUMNS = ["offer", "council", "ons_code", "status", "attended"]


def _book(sheets: list[tuple[str, list, list[list]]], about: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, columns, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(list(row))
        neutralise_sheet(ws)  # formula-like text stays text, as typed (lib/spreadsheets.py)
        ws.freeze_panes = "A2"
    info = wb.create_sheet("About")
    for line in about:
        info.append(list(line))
    neutralise_sheet(info)
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ranking_xlsx(rnd, scope, figures: dict, *, national: bool, region=None) -> bytes:
    rows = []
    for r in figures["ranking"]:
        if r["suppressed"]:
            rows.append(["", r["code"], r["name"], HIDDEN, *[""] * 7])
            continue
        rows.append([r["rank"], r["code"], r["name"], r["organisations"], r["demand"], r["wanting"],
                     r["weighted_gap"], r["peers"], r["adviser_days"], r["introduced"],
                     r["unmet"]])  # fmt: skip
    filters = [f"ranking {('value codes' if scope.by == 'value_code' else 'key areas')}"]
    if region is not None:
        filters.append(f"region {region.name}")
    if scope.org_type:
        filters.append(f"council type {scope.org_type}")
    if scope.cluster_id:
        filters.append(f"cluster {scope.cluster_id}")
    about = [
        ["Dataset", f"NPS Diagnostic: where to focus support, {rnd.name}"],
        ["Framework", rnd.framework_version.display_label],
        ["Filters", "; ".join(filters)],
        ["Downloaded", timezone.localtime().strftime("%d %B %Y %H:%M")],
        ["Definitions", "Needing support: ticked 'would welcome support' or target above current "
                        "level with a priority (weighted gap = (target − current) × 3 high, 2 "
                        "medium, 1 low or not chosen, 0 not a priority). Peers: councils at the "
                        "framework's upper levels (" + ", ".join(
                            figures["level_names"].get(n, str(n)) for n in figures["expert_levels"]
                        ) + ") willing to share. Adviser days: free this quarter, split between "
                        "the regions an adviser covers. Covered by introductions: councils needing "
                        "support whose accepted introduction through the relationship broker (this "
                        "round) is with a council that can share there. Unmet demand: needing "
                        "support − (peers + adviser days + covered by introductions), never below "
                        "0, region by region, then added up. See docs/metrics.md, 'Support "
                        "targeting'."],
        ["Suppression", "Outside the national team, a figure built from fewer than "
                        f"{THRESHOLD} councils is withheld ('{HIDDEN}')." if not national else
                        "National team download: every figure shown."],
    ]  # fmt: skip
    return _book([("Ranking", RANKING_COLUMNS, rows)], about)


def offers_xlsx(offers: list, invitations: list) -> bytes:
    rows = [
        [o.title, o.get_kind_display(), o.aim_label, o.region.name if o.region else "National",
         o.round.name, o.starts_on, o.ends_on, o.capacity, o.adviser.name if o.adviser else "",
         o.adviser_days, o.chosen, o.invited, o.accepted, o.declined, o.attended]
        for o in offers
    ]  # fmt: skip
    take_up = [
        [i.offer.title, i.organisation.name, i.organisation.gss_code, i.get_status_display(),
         {True: "yes", False: "no", None: "not recorded"}[i.attended]]
        for i in invitations
    ]  # fmt: skip
    about = [
        ["Dataset", "NPS Diagnostic: support offers and their take-up"],
        ["Downloaded", timezone.localtime().strftime("%d %B %Y %H:%M")],
        ["Definitions", "Chosen: councils picked for the offer. Invited: their leads were "
                        "emailed. Accepted / declined: the lead's reply. Attended: recorded by "
                        "the organiser after the event. Adviser days are booked in the quarter "
                        "the offer starts. See docs/metrics.md, 'Support targeting'."],
    ]  # fmt: skip
    return _book([("Offers", OFFER_COLUMNS, rows), ("Take-up", TAKE_UP_COLUMNS, take_up)], about)

"""What the API sends and accepts. Field descriptions become the OpenAPI description."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictStr

from diagnostic.api.problems import Problem


def _iso_date(value):
    """Only YYYY-MM-DD (or a date), never a number of seconds or another form pydantic would
    otherwise accept."""
    if value is None or isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("Enter a real date as YYYY-MM-DD.") from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def _json_int(value):
    """A JSON integer: 3 or 3.0, never "3" or true."""
    if isinstance(value, (bool, str)):
        raise ValueError("Input should be a whole number.")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_int)]


# --- Frameworks -------------------------------------------------------------------------------
class VersionRef(Schema):
    slug: str = Field(description="How the version is named in URLs, e.g. 2018 or 2018-r2.")
    label: str
    revision: int
    name: str
    published_at: dt.datetime | None


class FrameworkOut(Schema):
    code: str
    name: str
    description: str
    versions: list[VersionRef] = Field(description="Its published versions, oldest first.")

    @staticmethod
    def resolve_versions(obj) -> list:
        return obj.published_versions


class LevelOut(Schema):
    number: int
    name: str
    colour: str
    description: str


class EnablerOut(Schema):
    code: str
    name: str
    description: str


class KeyAreaOut(Schema):
    code: str
    name: str
    description: str


class ThemeOut(Schema):
    code: str
    name: str
    description: str
    key_areas: list[KeyAreaOut]

    @staticmethod
    def resolve_key_areas(obj) -> list:
        return list(obj.key_areas.all())


class VersionOut(Schema):
    framework: str
    slug: str
    label: str
    revision: int
    name: str
    description: str
    published_at: dt.datetime | None
    levels: list[LevelOut]
    enablers: list[EnablerOut]
    themes: list[ThemeOut]
    value_codes: str = Field(description="Where to read its value codes (paged).")


class DescriptorOut(Schema):
    level: int
    text: str


class ValueCodeOut(Schema):
    code: str
    title: str
    description: str
    guidance: str
    position: int
    theme: str = Field(description="The theme's code.")
    key_area: str = Field(description="The key area's code.")
    enablers: list[str] = Field(description="Enabler codes.")
    descriptors: list[DescriptorOut] = Field(description="What each level looks like.")

    @staticmethod
    def resolve_theme(obj) -> str:
        return obj.key_area.theme.code

    @staticmethod
    def resolve_key_area(obj) -> str:
        return obj.key_area.code

    @staticmethod
    def resolve_enablers(obj) -> list[str]:
        return [e.code for e in obj.enablers.all()]

    @staticmethod
    def resolve_descriptors(obj) -> list[dict]:
        return [{"level": d.level.number, "text": d.text} for d in obj.descriptors.all()]


# --- The council register ---------------------------------------------------------------------
class RegionOut(Schema):
    code: str
    name: str
    nation: str


class OrganisationOut(Schema):
    gss_code: str = Field(description="ONS code.")
    name: str
    short_name: str
    type: str
    type_label: str
    region: RegionOut
    nation: str
    start_date: dt.date | None = Field(description="Empty: existed before 2009.")
    end_date: dt.date | None = Field(description="The last day it existed, if it has ended.")
    replaced_by: list[str] = Field(description="ONS codes of its successors.")
    former_gss_codes: list[str]
    parent: str | None = Field(description="ONS code of the county a district sits in.")


# --- Rounds and published figures -------------------------------------------------------------
class FrameworkRef(Schema):
    framework: str
    version: str


class RoundOut(Schema):
    id: int
    name: str
    framework: FrameworkRef
    opens_on: dt.date
    closes_on: dt.date
    status: str
    published_at: dt.datetime | None = Field(
        description="When its national results were published."
    )

    @staticmethod
    def resolve_framework(obj) -> dict:
        v = obj.framework_version
        return {"framework": v.framework.code, "version": v.slug}

    @staticmethod
    def resolve_published_at(obj):
        pub = getattr(obj, "publication", None)
        return pub.published_at if pub else None


class Participation(Schema):
    """The whole round's participation; all null (and `suppressed`) when showing the total
    would let a hidden region's figure be worked out by subtraction (docs/metrics.md)."""

    suppressed: bool
    eligible: int | None
    submitted: int | None
    in_progress: int | None
    not_started: int | None
    rate: float | None


class PublishedRoundOut(RoundOut):
    participation: Participation
    figures: str = Field(description="Where to read its published figures (paged).")


class LevelCount(Schema):
    level: int
    name: str
    count: int


class FigureRow(Schema):
    section: Literal["theme", "key_area", "participation"]
    code: str = Field(description="Theme or key area code; region name for participation.")
    name: str
    suppressed: bool = Field(description="Built from fewer than 5 organisations: no figures.")
    organisations: int | None = Field(
        description="Organisations the row is built from (participation: submitted)."
    )
    eligible: int | None = Field(description="Participation rows only: eligible organisations.")
    in_progress: int | None = Field(description="Participation rows only: started, not submitted.")
    not_started: int | None = Field(description="Participation rows only: not yet started.")
    answers: int | None = Field(description="Answers at a level (not 'not yet assessed').")
    levels: list[LevelCount] | None
    not_yet_assessed: int | None
    median: float | None
    mean: float | None = Field(description="Rounded to 2 places, as in the CSV download.")


# --- A council's response ---------------------------------------------------------------------
class OrganisationRef(Schema):
    gss_code: str
    name: str


class ResponseOut(Schema):
    id: int
    round: int
    round_name: str
    organisation: OrganisationRef
    status: Literal["draft", "submitted"]
    stage: Literal["not_started", "in_progress", "submitted"]
    editable: bool = Field(description="Whether answers can be saved now.")
    answered: int = Field(description="Value codes with a current level.")
    last_activity_at: dt.datetime | None
    submitted_at: dt.datetime | None
    your_role: str | None = Field(description="The token owner's role in the organisation.")


class AnswerOut(Schema):
    value_code: str
    current_level: int | None = Field(
        description="A level number of the framework, 0 for 'not yet assessed', or empty."
    )
    target_level: int | None
    target_date: dt.date | None
    priority: str
    comment: str
    could_share: bool
    want_support: bool
    carried_forward: bool
    version: int = Field(description="Send this back as `version` when you change the answer.")
    updated_at: dt.datetime | None


def answer_out(answer) -> dict:
    return {
        "value_code": answer.value_code.code,
        "current_level": answer.current_level,
        "target_level": answer.target_level,
        "target_date": answer.target_date,
        "priority": answer.priority or "",
        "comment": answer.comment or "",
        "could_share": bool(answer.could_share),
        "want_support": bool(answer.want_support),
        "carried_forward": bool(getattr(answer, "carried_forward", False)),
        "version": answer.version,
        "updated_at": answer.updated_at,
    }


# No control characters in what the API stores (NUL cannot be stored by PostgreSQL): free text
# may hold tab and line breaks, ids nothing (diagnostic/lib/text.py, ASVS 1.3.3).
FREE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*$"


class AnswerIn(Schema):
    """The whole answer, as the questionnaire saves it: fields left out are saved empty."""

    model_config = ConfigDict(extra="ignore")

    version: JsonInt = Field(
        ge=0, le=2_147_483_647,
        description="The version you read (0 for a value code never answered).",
    )  # fmt: skip
    request_id: StrictStr = Field(
        "", max_length=64, pattern=PLAIN_TEXT,
        description="Your id for this request: sending the same request again changes nothing.",
    )  # fmt: skip
    current_level: JsonInt | None = Field(
        None, ge=0, le=32767,
        description="A level number of the round's framework, or 0 for 'not yet assessed'.",
    )  # fmt: skip
    target_level: JsonInt | None = Field(None, ge=0, le=32767)
    target_date: IsoDate | None = None
    priority: Literal["", "high", "medium", "low", "none"] = ""
    comment: StrictStr = Field("", max_length=5000, pattern=FREE_TEXT)
    could_share: StrictBool = False
    want_support: StrictBool = False


class ConflictProblem(Problem):
    current: AnswerOut = Field(description="The answer as stored now.")


class ViewOut(Schema):
    value_code: str
    current_level: int | None
    target_level: int | None
    priority: str
    comment: str
    version: int
    updated_at: dt.datetime | None


class ViewIn(Schema):
    model_config = ConfigDict(extra="ignore")

    version: JsonInt = Field(ge=0, le=2_147_483_647)
    request_id: StrictStr = Field("", max_length=64, pattern=PLAIN_TEXT)
    current_level: JsonInt | None = Field(None, ge=0, le=32767)
    target_level: JsonInt | None = Field(None, ge=0, le=32767)
    priority: Literal["", "high", "medium", "low", "none"] = ""
    comment: StrictStr = Field("", max_length=5000, pattern=FREE_TEXT)


class ViewConflictProblem(Problem):
    current: ViewOut


class MissingOut(Schema):
    what: str
    value_code: str | None


class CompletenessOut(Schema):
    complete: bool
    answered: int
    value_codes: int
    missing: list[MissingOut] = Field(description="What stops submission, in questionnaire order.")


class AreaResult(Schema):
    code: str
    name: str
    theme: str | None = None
    answered: int
    total: int
    median: float | None
    mean: float | None
    target_median: float | None
    gap: int
    weighted_gap: int
    levels: list[LevelCount]


class ResultsOut(Schema):
    overall: AreaResult
    themes: list[AreaResult]
    key_areas: list[AreaResult]


class ComparisonCell(Schema):
    group: str
    too_few: bool = Field(description="Fewer than 5 councils: no figures.")
    median: float | None = None
    mean: float | None = None
    organisations: int | None = None
    share_at_or_above: float | None = None


class ComparisonGroup(Schema):
    key: str
    label: str
    too_few: bool


class ComparisonRow(Schema):
    key_area: str
    name: str
    median: float | None
    cells: list[ComparisonCell]


class ComparisonsOut(Schema):
    groups: list[ComparisonGroup]
    key_areas: list[ComparisonRow]


class ActionOut(Schema):
    number: int
    title: str
    description: str
    owner: str
    due_date: dt.date | None
    status: str
    origin: str
    value_codes: list[str]
    version: int
    updated_at: dt.datetime | None

    @staticmethod
    def resolve_value_codes(obj) -> list[str]:
        return [vc.code for vc in obj.value_codes.all()]


# --- Sector -----------------------------------------------------------------------------------
class ProgressTotalsOut(Schema):
    scope: str
    eligible: int
    not_started: int
    in_progress: int
    submitted: int


class ProgressRowOut(Schema):
    organisation: OrganisationRef
    region: str
    stage: Literal["not_started", "in_progress", "submitted"]
    answered: int
    last_activity_at: dt.datetime | None
    submitted_at: dt.datetime | None


class ExportRow(Schema):
    """One row of the flat export: one organisation × value code, as the CSV has it."""

    round: str
    organisation_code: str
    organisation: str
    region: str
    type: str
    nation: str
    submitted_at: str
    spend_band: str
    team_size: str
    shared_service: str
    consent_regional_sharing: str
    theme: str
    key_area: str
    value_code: str
    value_code_title: str
    current_level: int | str
    not_yet_assessed: str
    target_level: int | str
    target_date: str
    priority: str
    could_share: str
    want_support: str
    comment: str


class MembershipOut(Schema):
    role: str
    organisation: str | None
    region: str | None


class MeOut(Schema):
    email: str
    full_name: str
    roles: list[MembershipOut]
    token_name: str
    token_scopes: list[str]
    token_expires_at: dt.datetime

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from diagnostic.assessments.models import (
    Priority,
    Response,
    Round,
    SharedService,
    SpendBand,
    TeamSize,
)
from diagnostic.assessments.services import (
    COMMENT_MAX,
    DETAILS_NEEDED_TO_SUBMIT,
    REMINDER_BODY_MAX,
    REMINDER_SUBJECT_MAX,
    check_reminder_text,
)
from diagnostic.frameworks.levels import LevelScale
from diagnostic.frameworks.models import FrameworkVersion
from diagnostic.lib.http import date_input
from diagnostic.organisations.models import Nation, OrganisationType, Region
from diagnostic.organisations.queries import filter_choices_for


class AnswerForm(forms.Form):
    """One value code's answer. The version it was based on travels with it.

    `scale`: the framework version's levels (`frameworks.levels.scale_for`); the level
    choices are those levels (and 0, "not yet assessed", for where you are now)."""

    current_level = forms.TypedChoiceField(
        label="Where are you now?", coerce=int, empty_value=None, required=False
    )
    target_level = forms.TypedChoiceField(
        label="Where do you aim to be?", coerce=int, empty_value=None, required=False
    )
    target_date = forms.DateField(label="By when", required=False, widget=date_input())
    priority = forms.ChoiceField(
        label="Priority", choices=[("", "Not chosen")] + Priority.choices, required=False
    )
    comment = forms.CharField(
        label="Evidence and next steps",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    could_share = forms.BooleanField(label="We could share practice here", required=False)
    want_support = forms.BooleanField(label="We would welcome support here", required=False)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    request_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, scale: LevelScale, **kwargs):
        super().__init__(*args, **kwargs)
        levels = [(str(n), scale.label(n)) for n in scale.numbers]
        self.fields["current_level"].choices = [
            ("", "Not answered yet"), ("0", "Not yet assessed"), *levels
        ]  # fmt: skip
        self.fields["target_level"].choices = [("", "No target"), *levels]

    def clean_target_date(self):
        value = self.cleaned_data.get("target_date")
        if value and not (dt.date(2000, 1, 1) <= value <= dt.date(2100, 1, 1)):
            raise forms.ValidationError("Enter a date between 2000 and 2100.")
        return value

    def clean(self):
        data = super().clean()
        current, target = data.get("current_level"), data.get("target_level")
        if current and target and target < current:
            self.add_error("target_level", "The target cannot be below where you are now.")
        return data


class DetailsForm(forms.ModelForm):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = Response
        fields = [
            "officer_name", "officer_role", "officer_email", "spend_band", "team_size",
            "shared_service", "consent_regional_sharing", "signed_off_name", "signed_off_role",
            "signed_off_on",
        ]  # fmt: skip
        widgets = {"signed_off_on": date_input()}
        help_texts = {
            "officer_name": "The person the national team should contact about this response.",
            "spend_band": "Your organisation's annual spend with third parties. Used only to compare you with councils of a similar size.",
            "consent_regional_sharing": "If ticked, your regional body can see this response with your council's name. The national team always can.",
            "signed_off_name": "The senior officer who approved the response before submission, for example your director or section 151 officer.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in [
            ("spend_band", SpendBand),
            ("team_size", TeamSize),
            ("shared_service", SharedService),
        ]:
            self.fields[name].choices = [("", "Not given")] + choices.choices
        # Optional while the response is a draft, but the submission check asks for them: the
        # label says so rather than "(optional)" (includes/field.html).
        for name in DETAILS_NEEDED_TO_SUBMIT:
            self.fields[name].needed_to_submit = True

    def clean_signed_off_on(self):
        value = self.cleaned_data.get("signed_off_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError("The date of sign-off cannot be in the future.")
        if value and value.year < 2000:
            raise forms.ValidationError("Enter a real date.")
        return value


class RoundForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="For example 'NPS 2026'.")
    framework_version = forms.ModelChoiceField(
        queryset=FrameworkVersion.objects.filter(published_at__isnull=False).select_related(
            "framework"
        ),
        label="Framework version",
    )
    opens_on = forms.DateField(
        widget=date_input(),
        help_text="UK time, from the start of the day.",
    )
    closes_on = forms.DateField(widget=date_input(), help_text="UK time, to the end of the day.")
    nations = forms.MultipleChoiceField(
        choices=[(n.value, n.label) for n in Nation if n != Nation.SCOTLAND],
        initial=[Nation.ENGLAND, Nation.WALES, Nation.NORTHERN_IRELAND],
        widget=forms.CheckboxSelectMultiple,
        help_text="Organisations in these nations that exist on the opening day become eligible.",
    )
    previous_round = forms.ModelChoiceField(
        queryset=Round.objects.all(),
        required=False,
        help_text="The round this one follows.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Round.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("There is already a round with this name.")
        return name

    def clean(self):
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", "The closing date must be on or after the opening date.")
        return data


class RoundDatesForm(forms.Form):
    opens_on = forms.DateField(widget=date_input())
    closes_on = forms.DateField(widget=date_input())

    def clean(self):
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", "The closing date must be on or after the opening date.")
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text="Recorded with the response and shown to its lead.",
    )  # fmt: skip


class TrackingFilterForm(forms.Form):
    """The round page's filters; a reminder goes to the same selection."""

    STAGE_CHOICES = [
        ("", "All stages"),
        ("not_started", "Not started"),
        ("in_progress", "In progress"),
        ("not_submitted", "Not started or in progress"),
        ("submitted", "Submitted"),
    ]

    q = forms.CharField(label="Name or ONS code", required=False, max_length=100)
    stage = forms.ChoiceField(required=False, choices=STAGE_CHOICES)
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, empty_label="All regions"
    )
    type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "All types"), *OrganisationType.choices]
    )
    nation = forms.ChoiceField(required=False, choices=[("", "All nations"), *Nation.choices])

    def __init__(self, *args, round: Round, region_ids: set[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the round's nations can hold its councils.
        offered = filter_choices_for(round.nations)
        self.fields["nation"].choices = [("", "All nations"), *offered["nations"]]
        self.fields["region"].queryset = offered["regions"]
        self.fields["type"].choices = [("", "All types"), *offered["types"]]
        if region_ids is not None:
            # A regional lead: their region's councils only.
            self.fields["region"].queryset = offered["regions"].filter(pk__in=region_ids)
            del self.fields["nation"]

    def filters(self) -> dict:
        """Keyword arguments for queries.round_responses (call after is_valid)."""
        d = self.cleaned_data
        return {
            "stage": d["stage"], "q": d["q"].strip(), "region": d["region"],
            "org_type": d["type"], "nation": d.get("nation", ""),
        }  # fmt: skip

    def describe(self) -> str:
        """The filters in words, for the reminder page and its history."""
        d = self.cleaned_data
        parts = []
        if d["stage"]:
            parts.append(dict(self.STAGE_CHOICES)[d["stage"]])
        if d["region"]:
            parts.append(d["region"].name)
        if d["type"]:
            parts.append(OrganisationType(d["type"]).label)
        if d.get("nation"):
            parts.append(d["nation"])
        if d["q"].strip():
            parts.append(f"name or code matching “{d['q'].strip()}”")
        return "; ".join(parts) if parts else "All eligible organisations"


class ReminderForm(forms.Form):
    """A reminder's text. The service checks it again (and its placeholders) before sending."""

    subject = forms.CharField(
        max_length=REMINDER_SUBJECT_MAX,
        error_messages={
            "required": "Enter a subject.",
            "max_length": f"Keep the subject to {REMINDER_SUBJECT_MAX} characters or fewer.",
        },
    )
    body = forms.CharField(
        label="Message",
        max_length=REMINDER_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=(
            "Plain text. Each lead gets their own copy, in which {organisation} becomes their "
            "council's name, {deadline} the closing date, {days_left} the time left (for "
            "example '12 days') and {link} the address of their council's response. These "
            "also work in the subject."
        ),
        error_messages={
            "required": "Enter the message.",
            "max_length": f"Keep the message to {REMINDER_BODY_MAX} characters or fewer.",
        },
    )
    # A fresh id per preview: sending the same preview twice sends once.
    request_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        # The service's own check (placeholders, one-line subject), shown at each field.
        try:
            check_reminder_text(data.get("subject", ""), data.get("body", ""))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                if name not in self.errors:
                    self.add_error(name, errors)
        return data

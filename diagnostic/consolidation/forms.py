"""Input shapes for the contributor and "asking colleagues" pages. The rules live in
`services.py`; its ValidationErrors are shown at these forms' fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from diagnostic.assessments.forms import AnswerForm
from diagnostic.assessments.models import Response
from diagnostic.frameworks.models import KeyArea
from diagnostic.lib.http import date_input

ALL, AREAS = "all", "areas"
BAD_EMAIL = "Enter an email address like name@council.gov.uk."


class KeyAreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: KeyArea) -> str:
        return f"{obj.code} {obj.name}"


class AskForm(forms.Form):
    """The lead asks one colleague for their views: everything, or chosen key areas."""

    email = forms.CharField(
        label="Email address",
        max_length=254,
        help_text="Their work email. If they have no account here, they get an invitation.",
        error_messages={"required": "Enter their email address."},
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter their name."}
    )
    department = forms.CharField(
        max_length=150,
        help_text="For example Adult Social Care. You can compare views by department later.",
        error_messages={"required": "Enter their department."},
    )
    job_role = forms.CharField(
        label="Role",
        max_length=150,
        help_text="Their job, for example Category manager or Head of Finance.",
        error_messages={"required": "Enter their role."},
    )
    scope = forms.ChoiceField(
        label="What to ask them about",
        choices=[(ALL, "Every value code"), (AREAS, "Only the key areas I choose")],
        initial=ALL,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to ask them about."},
    )
    key_areas = KeyAreaChoiceField(
        label="Key areas",
        queryset=KeyArea.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only if you chose “Only the key areas I choose”.",
        error_messages={
            "invalid_choice": "Choose key areas of this round's framework.",
            "invalid_pk_value": "Choose key areas of this round's framework.",
        },
    )
    due_on = forms.DateField(
        label="Due date",
        required=False,
        widget=date_input(),
        help_text="Shown to them and in reminders.",
        error_messages={"invalid": "Enter a real date, for example 31 March."},
    )

    def __init__(self, *args, response: Response, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_areas"].queryset = (
            KeyArea.objects.filter(version_id=response.round.framework_version_id)
            .select_related("theme")
            .order_by("position")
        )

    def clean_email(self):
        # Checked here too, so that every problem is listed at once; the service checks again.
        email = self.cleaned_data["email"].strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError(BAD_EMAIL) from exc
        return email

    def clean(self):
        data = super().clean()
        if (
            data.get("scope") == AREAS
            and not data.get("key_areas")
            and "key_areas" not in self.errors
        ):
            self.add_error(
                "key_areas", "Choose at least one key area, or ask about every value code."
            )
        return data

    def service_kwargs(self) -> dict:
        """Keyword arguments for services.do_ask_contributor (call after is_valid)."""
        d = self.cleaned_data
        return {
            "email": d["email"],
            "full_name": d["full_name"],
            "department": d["department"],
            "job_role": d["job_role"],
            "key_areas": list(d["key_areas"]) if d["scope"] == AREAS else [],
            "due_on": d["due_on"],
        }


class ViewForm(AnswerForm):
    """A contributor's own view on one value code: the agreed answer's form without the
    fields that belong to the council as a whole (target date, sharing, support)."""

    target_date = None
    could_share = None
    want_support = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].label = "Your comment"


class FinishedForm(forms.Form):
    finished = forms.TypedChoiceField(
        choices=[("1", "Finished"), ("0", "Not finished")], coerce=lambda v: v == "1"
    )


class SharingForm(forms.Form):
    share = forms.BooleanField(
        label="Contributors can see each other's views",
        required=False,
        help_text=(
            "If ticked, each contributor sees the other contributors' levels and comments on "
            "the value codes they were asked about, with their name, department and role. "
            "You always see every view."
        ),
    )

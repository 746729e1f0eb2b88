"""The shape of an action as a person types it. The service checks everything again."""

from __future__ import annotations

from django import forms

from diagnostic.lib.http import date_input
from diagnostic.plans.models import DESCRIPTION_MAX, OWNER_MAX, Status
from diagnostic.plans.rules import TITLE_MAX
from diagnostic.plans.services import EARLIEST_DUE, LATEST_DUE


class ValueCodeBoxes(forms.CheckboxSelectMultiple):
    """Rendered box by box in the template; the error summary links to the first box."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_0" if id_ else ""


class ActionForm(forms.Form):
    title = forms.CharField(
        label="Action",
        max_length=TITLE_MAX,
        help_text="What will be done, in a sentence a committee will understand.",
        error_messages={
            "required": "Enter what the action is.",
            "max_length": f"Keep the action to {TITLE_MAX} characters or fewer.",
        },
    )
    description = forms.CharField(
        label="Details",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Steps, resources, how you will know it is done.",
        error_messages={
            "max_length": f"Keep the details to {DESCRIPTION_MAX} characters or fewer."
        },
    )
    owner = forms.CharField(
        label="Owner",
        required=False,
        max_length=OWNER_MAX,
        help_text="The named officer responsible, for example ‘Sam Jones, Category Manager’.",
        error_messages={"max_length": f"Keep the owner to {OWNER_MAX} characters or fewer."},
    )
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=date_input(),
        error_messages={"invalid": "Enter the due date as a real date."},
    )
    status = forms.ChoiceField(
        label="Status",
        choices=Status.choices,
        initial=Status.NOT_STARTED,
        error_messages={
            "required": "Choose a status from the list.",
            "invalid_choice": "Choose a status from the list.",
        },
    )
    value_codes = forms.MultipleChoiceField(
        label="Value codes this action serves",
        required=False,
        widget=ValueCodeBoxes,
        error_messages={"invalid_choice": "Choose value codes of this round's framework."},
    )
    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    request_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, value_codes, **kwargs):
        """`value_codes`: the round's ValueCode rows, in framework order, with key areas."""
        super().__init__(*args, **kwargs)
        self.fields["value_codes"].choices = [
            (vc.code, f"{vc.code} {vc.title}") for vc in value_codes
        ]

    def clean_due_date(self):
        value = self.cleaned_data.get("due_date")
        if value and not (EARLIEST_DUE <= value <= LATEST_DUE):
            raise forms.ValidationError("Enter a due date between 2000 and 2100.")
        return value

    def values(self) -> dict:
        """The action's fields, for the service (after is_valid)."""
        return {k: self.cleaned_data[k] for k in ("title", "description", "owner", "due_date",
                                                  "status", "value_codes")}  # fmt: skip


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=Status.choices, error_messages={"invalid_choice": "Choose a status from the list."}
    )
    version = forms.IntegerField(min_value=0)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=0)


class SuggestionForm(forms.Form):
    key = forms.CharField(max_length=200)

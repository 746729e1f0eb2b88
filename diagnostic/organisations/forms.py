import datetime as dt

from django import forms
from django.utils import timezone

from diagnostic.organisations.models import Nation, OrganisationType, Region


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label="Name or ONS code", required=False, max_length=100)
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, empty_label="All regions"
    )
    type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "All types"), *OrganisationType.choices]
    )
    nation = forms.ChoiceField(required=False, choices=[("", "All nations"), *Nation.choices])
    on = forms.DateField(
        label="Existing on",
        required=False,
        help_text="A date, to see the register as it stood then (for example 2018-07-01).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_on(self):
        value = self.cleaned_data.get("on")
        if value and not (dt.date(1970, 1, 1) <= value <= dt.date(2100, 1, 1)):
            raise forms.ValidationError("Enter a date between 1970 and 2100.")
        return value or timezone.localdate()

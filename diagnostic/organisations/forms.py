import datetime as dt

from django import forms
from django.utils import timezone

from diagnostic.lib.http import date_input
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
        widget=date_input(),
    )

    def clean_on(self):
        value = self.cleaned_data.get("on")
        if value and not (dt.date(1970, 1, 1) <= value <= dt.date(2100, 1, 1)):
            raise forms.ValidationError("Enter a date between 1970 and 2100.")
        return value or timezone.localdate()


class ClusterForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the councils in this cluster will work on together.",
    )
    region = forms.ModelChoiceField(queryset=Region.objects.none(), required=False)
    organisations = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose at least two councils.",
    )

    def __init__(self, *args, regions, **kwargs):
        from diagnostic.organisations.models import Organisation

        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(pk__in=[r.pk for r in regions])
        if len(regions) == 1:
            self.fields["region"].initial = regions[0]
            self.fields["region"].empty_label = None
            self.fields["region"].required = True
        else:
            self.fields["region"].empty_label = "Across regions"
        self.fields["organisations"].queryset = (
            Organisation.objects.current().filter(region__in=regions).order_by("name")
        )

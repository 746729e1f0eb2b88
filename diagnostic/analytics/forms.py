from django import forms

from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import Enabler
from diagnostic.organisations.models import Nation, OrganisationType, Region


class DashboardFilterForm(forms.Form):
    round = forms.ModelChoiceField(queryset=Round.objects.none(), empty_label=None)
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, empty_label="All regions"
    )
    type = forms.ChoiceField(required=False, choices=[("", "All types"), *OrganisationType.choices])
    nation = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All nations"),
            *[(n.value, n.label) for n in Nation if n != Nation.SCOTLAND],
        ],
    )
    enabler = forms.ChoiceField(required=False, label="Enabler")
    compare = forms.ModelChoiceField(queryset=Round.objects.none(), required=False, label="Compare with",
                                     empty_label="No comparison")  # fmt: skip

    def __init__(self, *args, rounds, fixed_region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds
        self.fields["compare"].queryset = rounds
        if fixed_region is not None:
            del self.fields["region"]
            del self.fields["nation"]
        codes = Enabler.objects.order_by("position").values_list("code", "name").distinct()
        seen, choices = set(), [("", "All value codes")]
        for code, name in codes:
            if code not in seen:
                seen.add(code)
                choices.append((code, name))
        self.fields["enabler"].choices = choices

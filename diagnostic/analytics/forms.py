from django import forms

from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import Enabler
from diagnostic.organisations.models import Nation, OrganisationType, Region
from diagnostic.organisations.queries import filter_choices_for


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
        # Only what some round can hold: no Scotland when no round includes it.
        nations = {n for ns in rounds.values_list("nations", flat=True) for n in ns or []}
        offered = filter_choices_for(nations)
        self.fields["region"].queryset = offered["regions"]
        self.fields["type"].choices = [("", "All types"), *offered["types"]]
        self.fields["nation"].choices = [("", "All nations"), *offered["nations"]]
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

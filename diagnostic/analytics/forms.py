from django import forms

from diagnostic.analytics.comparison import comparable_rounds
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
        # Only what some round can hold: no Scotland when no round includes it.
        nations = {n for ns in rounds.values_list("nations", flat=True) for n in ns or []}
        offered = filter_choices_for(nations)
        self.fields["region"].queryset = offered["regions"]
        self.fields["type"].choices = [("", "All types"), *offered["types"]]
        self.fields["nation"].choices = [("", "All nations"), *offered["nations"]]
        if fixed_region is not None:
            del self.fields["region"]
            del self.fields["nation"]
        rnd = self.selected_round(rounds)
        # Only the chosen round's own enablers, once each, in the framework's order; any other
        # code (another framework's, a made-up one) is refused as an invalid choice.
        enablers = (
            Enabler.objects.filter(version_id=rnd.framework_version_id).order_by("position")
            if rnd is not None
            else Enabler.objects.none()
        )
        self.fields["enabler"].choices = [("", "All value codes"),
                                          *enablers.values_list("code", "name")]  # fmt: skip
        self.fields["enabler"].error_messages["invalid_choice"] = (
            "Choose one of this round's enablers; that one is not part of its framework."
        )
        # Change between rounds only where the rounds can be compared (analytics/comparison.py).
        self.fields["compare"].queryset = (
            comparable_rounds(rnd) if rnd is not None else rounds.none()
        )
        self.fields["compare"].error_messages["invalid_choice"] = (
            "Choose a round that can be compared with this one: on the same framework version, "
            "or on a version mapped to it."
        )

    def selected_round(self, rounds):
        """The round the filters apply to: the one asked for if it is offered, else the newest."""
        key = self.data.get(self.add_prefix("round")) if self.is_bound else None
        if key:
            try:
                found = rounds.filter(pk=int(key)).first()
            except (TypeError, ValueError):
                found = None
            if found is not None:
                return found
        return self.initial.get("round") or rounds.first()

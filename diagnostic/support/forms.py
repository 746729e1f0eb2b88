from django import forms

from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import KeyArea, ValueCode
from diagnostic.organisations.models import Cluster, OrganisationType, Region
from diagnostic.support.models import Adviser, Offer


class FocusFilterForm(forms.Form):
    """The ranking's filters. Regional leads get no type or cluster filter (docs/metrics.md,
    "Who sees what"): narrower figures could be subtracted from their region's."""

    # Not required: a link with only some filters keeps the newest round.
    round = forms.ModelChoiceField(queryset=Round.objects.none(), empty_label=None, required=False)
    by = forms.ChoiceField(
        label="Rank", choices=[("key_area", "Key areas"), ("value_code", "Value codes")],
        required=False,
    )  # fmt: skip
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, empty_label="All regions"
    )
    type = forms.ChoiceField(
        label="Council type", required=False, choices=[("", "All types"), *OrganisationType.choices]
    )
    cluster = forms.ModelChoiceField(
        queryset=Cluster.objects.all(), required=False, empty_label="All councils"
    )

    def __init__(self, *args, rounds, regions=None, national: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds
        if regions is not None:
            self.fields["region"].queryset = regions
            self.fields["region"].empty_label = None  # not required: the first led region
        if not national:
            del self.fields["type"]
            del self.fields["cluster"]


def _regions_field(regions):
    return forms.ModelMultipleChoiceField(
        queryset=regions, widget=forms.CheckboxSelectMultiple, label="Regions they work in"
    )


class AdviserForm(forms.ModelForm):
    class Meta:
        model = Adviser
        fields = ["name", "email", "kind", "employer", "regions", "key_areas", "value_codes",
                  "days_per_quarter", "active"]  # fmt: skip
        labels = {"kind": "Role", "days_per_quarter": "Days available per quarter",
                  "key_areas": "Key areas they know", "value_codes": "Value codes they know"}  # fmt: skip

    def __init__(self, *args, regions, version_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regions"] = _regions_field(regions)
        self.fields["key_areas"].queryset = KeyArea.objects.filter(version_id=version_id)
        self.fields["key_areas"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["key_areas"].choices
        )
        self.fields["key_areas"].required = False
        self.fields["value_codes"].queryset = ValueCode.objects.filter(version_id=version_id)
        self.fields["value_codes"].required = False
        self.fields["value_codes"].widget.attrs["size"] = 10


class OfferForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of support", choices=Offer.Kind.choices)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    starts_on = forms.DateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Ends on", widget=forms.DateInput(attrs={"type": "date"}))
    capacity = forms.IntegerField(label="Places (councils)", min_value=1, max_value=500)
    adviser = forms.ModelChoiceField(
        queryset=Adviser.objects.none(), required=False, empty_label="No adviser"
    )
    adviser_days = forms.IntegerField(
        label="Adviser days it books", min_value=0, max_value=90, initial=0
    )
    councils = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Councils to invite"
    )

    def __init__(self, *args, advisers, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adviser"].queryset = advisers
        self.fields["councils"].choices = councils


class AttendanceForm(forms.Form):
    attended = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, required=False, label="Attended"
    )

    def __init__(self, *args, invitations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(i.pk, i.organisation.name) for i in invitations]

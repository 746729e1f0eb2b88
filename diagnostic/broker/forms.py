from django import forms

from diagnostic.broker.models import Visibility
from diagnostic.organisations.models import OrganisationType, Region


class DisclosureForm(forms.Form):
    visibility = forms.ChoiceField(
        label="Who may see your council as a possible partner in this round?",
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text="Changes take effect at once. Choosing “not at all” also withdraws any "
        "introduction you have not accepted.",
    )
    show_levels = forms.BooleanField(
        label="Show all our levels to a partner once both councils have accepted an introduction",
        required=False,
    )


class PartnerFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        Region.objects.order_by("name"),
        required=False,
        to_field_name="code",
        empty_label="Any region",
    )
    type = forms.ChoiceField(
        label="Type of council",
        choices=[("", "Any type"), *OrganisationType.choices],
        required=False,
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label="Your answer",
        choices=[
            ("accept", "Accept: share our contact details once they accept too"),
            ("decline", "Decline"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note to whoever proposed it", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen by the LGA and your regional body, not by the other council.",
    )  # fmt: skip


class OutcomeForm(forms.Form):
    met = forms.BooleanField(label="We met", required=False)
    shared_documents = forms.BooleanField(label="We shared documents", required=False)
    joint_work = forms.BooleanField(label="We started joint work", required=False)
    not_useful = forms.BooleanField(label="It was not useful", required=False)
    improved = forms.MultipleChoiceField(
        label="Value codes we improved thanks to it",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label="Anything else", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["improved"].choices = [(vc.code, f"{vc.code} {vc.title}") for vc in codes]


class PlanForm(forms.Form):
    capacity = forms.TypedChoiceField(
        label="Introductions per council, at most", coerce=int, initial=1,
        choices=[(n, str(n)) for n in range(1, 6)],
    )  # fmt: skip
    region = forms.ChoiceField(label="Region", required=False)
    cluster = forms.TypedChoiceField(
        label="Or a cluster", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, regions=(), clusters=(), national=False, **kwargs):
        super().__init__(*args, **kwargs)
        first = [("", "All of England, Wales and Northern Ireland")] if national else []
        self.fields["region"].choices = first + [(r.code, r.name) for r in regions]
        self.fields["cluster"].choices = [("", "No cluster")] + [(c.pk, c.name) for c in clusters]

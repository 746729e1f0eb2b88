from django import forms

from diagnostic.audit.labels import label_for
from diagnostic.audit.models import AuditEvent
from diagnostic.lib.http import date_input
from diagnostic.organisations.models import Organisation


class TrailFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100,
                        help_text="A name, email, action, council or value, in part.")  # fmt: skip
    action = forms.ChoiceField(label="What", required=False)
    organisation = forms.ModelChoiceField(
        label="Council", required=False, queryset=Organisation.objects.none(),
        empty_label="Any council",
    )  # fmt: skip
    since = forms.DateField(label="From", required=False, widget=date_input())
    until = forms.DateField(label="To", required=False, widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
        self.fields["action"].choices = [("", "Anything")] + sorted(
            ((a, label_for(a)) for a in actions), key=lambda choice: choice[1]
        )
        used = AuditEvent.objects.exclude(organisation=None).values("organisation_id")
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=used).order_by(
            "name"
        )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date must be on or after the start date.")
        return data

    def filters(self) -> dict:
        d = self.cleaned_data
        return {
            "q": d.get("q") or "",
            "action": d.get("action") or "",
            "organisation_id": d["organisation"].pk if d.get("organisation") else None,
            "since": d.get("since"),
            "until": d.get("until"),
        }

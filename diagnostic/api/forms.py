import datetime as dt

from django import forms
from django.utils import timezone

from diagnostic.api.models import Scope


def default_expiry() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=90)


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, for example 'Performance system'.",
    )
    scopes = forms.MultipleChoiceField(
        label="What the token may do",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="Write lets it change what your roles let you change, such as answers.",
    )
    expires_on = forms.DateField(
        label="Works until",
        help_text="The last day it works, at most a year from today. For example 31/3/2027.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        initial=default_expiry,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

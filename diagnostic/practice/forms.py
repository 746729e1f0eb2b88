"""The shapes of what people type; the services check everything again."""

from __future__ import annotations

from django import forms

from diagnostic.frameworks.models import Enabler, FrameworkVersion, KeyArea, Level, ValueCode
from diagnostic.lib.http import date_input
from diagnostic.practice.models import CaseStudy, Guidance, Visibility
from diagnostic.practice.services import LIMITS


class Boxes(forms.CheckboxSelectMultiple):
    """The error summary links to the first box of a group."""

    def id_for_label(self, id_, index=None):
        if index is None:  # the group's label: its first box
            return f"{id_}_0" if id_ else ""
        return super().id_for_label(id_, index)  # each box its own id


class CaseStudyForm(forms.Form):
    """The editor: one form, saved whole (autosave, or the Save button without JavaScript)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    request_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    title = forms.CharField(
        label="Title", required=False, max_length=LIMITS["title"],
        help_text="What was done, in a line: “One contract register for the whole council”.",
    )  # fmt: skip
    summary = forms.CharField(
        label="Summary", required=False, max_length=LIMITS["summary"],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Two or three sentences for the library's list.",
    )  # fmt: skip
    value_codes = forms.ModelMultipleChoiceField(
        label="Value codes", queryset=ValueCode.objects.none(), required=False, widget=Boxes,
        help_text="The value codes this practice shows.",
    )  # fmt: skip
    level = forms.ModelChoiceField(
        label="The level it shows", queryset=Level.objects.none(), required=False,
        empty_label="Choose a level",
        help_text="“What good looks like” at this level is what readers will compare it with.",
    )  # fmt: skip
    key_area = forms.ModelChoiceField(
        label="Key area", queryset=KeyArea.objects.none(), required=False,
        empty_label="Choose a key area",
    )  # fmt: skip
    enablers = forms.ModelMultipleChoiceField(
        label="Enablers", queryset=Enabler.objects.none(), required=False, widget=Boxes,
        help_text="What made it possible.",
    )  # fmt: skip
    what_was_done = forms.CharField(
        label="What was done", required=False, max_length=LIMITS["what_was_done"],
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown: # headings, **bold**, lists and [links](https://…). HTML is shown as text.",
    )  # fmt: skip
    results = forms.CharField(
        label="Results, with figures", required=False, max_length=LIMITS["results"],
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What changed, and by how much: “spend under contract rose from 61% to 88%”.",
    )  # fmt: skip
    differently = forms.CharField(
        label="What you would do differently", required=False,
        max_length=LIMITS["differently"], widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    contact_role = forms.CharField(
        label="Contact role", required=False, max_length=LIMITS["contact_role"],
        help_text="A role, not a name: “Head of procurement”. Readers ask through the LGA.",
    )  # fmt: skip
    visibility = forms.ChoiceField(
        label="Who can read it", choices=Visibility.choices, widget=forms.RadioSelect,
        initial=Visibility.PUBLIC,
    )  # fmt: skip
    named = forms.BooleanField(
        label="Show our council's name", required=False,
        help_text="Otherwise readers see, for example, “a district council in the North West”.",
    )  # fmt: skip

    def __init__(self, *args, version: FrameworkVersion, **kwargs):
        kwargs.setdefault("prefix", "cs")
        super().__init__(*args, **kwargs)
        self.fields["value_codes"].queryset = ValueCode.objects.filter(version=version)
        self.fields["level"].queryset = Level.objects.filter(version=version)
        self.fields["level"].label_from_instance = lambda lv: f"{lv.number} {lv.name}"
        self.fields["key_area"].queryset = KeyArea.objects.filter(version=version)
        self.fields["enablers"].queryset = Enabler.objects.filter(version=version)

    @classmethod
    def initial_for(cls, cs: CaseStudy) -> dict:
        return {
            **{f: getattr(cs, f) for f in ("title", "summary", "what_was_done", "results",
                                            "differently", "contact_role", "visibility", "named")},
            "value_codes": list(cs.value_codes.all()),
            "enablers": list(cs.enablers.all()),
            "level": cs.level,
            "key_area": cs.key_area,
            "version": cs.version,
        }  # fmt: skip


class ModerationForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("review", "Start review"), ("publish", "Publish"), ("return", "Return")]
    )
    comment = forms.CharField(
        label="Comments for the council", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you return it: say what should change.",
    )  # fmt: skip


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why (optional)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Attach a file",
        help_text="PDF, Word, Excel, PowerPoint, PNG or JPEG; up to 10 MB.",
        error_messages={"required": "Choose a file to attach."},
    )


class InviteForm(forms.Form):
    organisation = forms.IntegerField(widget=forms.HiddenInput)
    value_code = forms.CharField(widget=forms.HiddenInput, max_length=20)
    reason = forms.CharField(
        label="Why them", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the council was chosen."},
    )  # fmt: skip


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why not (optional)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class GuidanceForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    url = forms.CharField(
        label="Link", required=False, max_length=500,
        help_text="A full address starting https://. It is checked for format, never visited.",
    )  # fmt: skip
    file = forms.FileField(label="Or a file", required=False)
    publisher = forms.CharField(label="Publisher", max_length=150)
    published_on = forms.DateField(label="Date", widget=date_input())
    type = forms.ChoiceField(label="Type", choices=Guidance.Kind.choices)
    value_code = forms.ModelChoiceField(
        label="Value code", queryset=ValueCode.objects.none(), required=False,
        empty_label="None: for a key area",
    )  # fmt: skip
    key_area = forms.ModelChoiceField(
        label="Or key area", queryset=KeyArea.objects.none(), required=False,
        empty_label="None: for a value code",
    )  # fmt: skip

    def __init__(self, *args, version: FrameworkVersion | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value_code"].queryset = ValueCode.objects.filter(version=version)
        self.fields["key_area"].queryset = KeyArea.objects.filter(version=version)

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from diagnostic.accounts.models import ORGANISATION_ROLES, Role
from diagnostic.organisations.models import Organisation, Region


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "This account is no longer active.",
    }


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 8 characters. A phrase of several words is easy to remember.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirm your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return data


class InviteForm(forms.Form):
    """Invite one person. The role choices are limited to what the inviter may give."""

    email = forms.EmailField(label="Email address")
    full_name = forms.CharField(label="Full name", max_length=150, required=False)
    role = forms.ChoiceField(label="Role")
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="For lead, contributor and viewer roles.",
    )
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, help_text="For regional leads."
    )
    department = forms.CharField(max_length=150, required=False)
    job_role = forms.CharField(label="Job title or role", max_length=150, required=False)

    def __init__(self, *args, roles: list[Role], organisation: Organisation | None = None, **kw):
        super().__init__(*args, **kw)
        self.fixed_organisation = organisation
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        if organisation is not None:
            # Inviting into one organisation: the organisation is fixed, not a choice.
            del self.fields["organisation"]
            del self.fields["region"]
        else:
            self.fields["organisation"].queryset = Organisation.objects.current().order_by("name")

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if self.fixed_organisation is None and role:
            if role in ORGANISATION_ROLES and not data.get("organisation"):
                self.add_error("organisation", "Choose the organisation for this role.")
            if role == Role.REGIONAL_LEAD and not data.get("region"):
                self.add_error("region", "Choose the region for this role.")
        return data


class BulkInviteForm(forms.Form):
    file = forms.FileField(
        label="CSV file of leads",
        required=False,
        help_text="Columns: organisation_code, name, email. One row per lead. UTF-8.",
    )
    # Filled on the confirmation step with the file's text, which is validated again.
    csv_text = forms.CharField(required=False, widget=forms.HiddenInput)

    MAX_BYTES = 512 * 1024

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError("The file is larger than 512 KB.")
            try:
                data["csv_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    "The file is not UTF-8 text. Save it from your spreadsheet as "
                    "'CSV UTF-8 (comma delimited)'."
                ) from None
        if not data.get("csv_text"):
            self.add_error("file", "Choose a CSV file.")
        return data


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in Role if r in ORGANISATION_ROLES])

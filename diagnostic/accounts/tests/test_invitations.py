"""Invitations: sending, accepting once, expiry, withdrawal, and who may invite whom."""

import datetime as dt
import re

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Invitation, Membership, Role, User
from diagnostic.accounts.services import do_invite
from diagnostic.audit.models import AuditEvent
from diagnostic.testing import BaseTestCase


def link_from_email(message) -> str:
    return re.search(r"http://[^\s]+/invitations/[^\s/]+/", message.body).group(0)


class LeadInvitesColleagueTests(BaseTestCase):
    def url(self, org=None):
        return reverse("accounts:people", args=[(org or self.council_a).pk])

    def test_the_lead_invites_a_contributor_and_an_email_with_a_single_use_link_is_sent(self):
        self.client.force_login(self.bob)
        r = self.client.post(
            self.url(),
            {
                "email": "Fay@Example.org",
                "full_name": "Fay Li",
                "role": "contributor",
                "department": "Finance",
                "job_role": "Accountant",
            },  # fmt: skip
        )
        self.assertRedirects(r, self.url())
        inv = Invitation.objects.get()
        self.assertEqual(
            (inv.email, inv.role, inv.organisation, inv.department),
            ("fay@example.org", "contributor", self.council_a, "Finance"),
        )
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["fay@example.org"])
        self.assertIn("contributor for Council A Metropolitan Borough Council", mail.outbox[0].body)
        link = link_from_email(mail.outbox[0])
        # Only a hash of the token is stored.
        self.assertNotIn(inv.token_hash, link)
        self.assertTrue(
            AuditEvent.objects.filter(action="invitation.sent", actor=self.bob).exists()
        )

    def test_the_organisation_in_the_form_cannot_be_swapped(self):
        """ASVS 15.3.3 (mass assignment): extra fields have no effect."""
        self.client.force_login(self.bob)
        self.client.post(
            self.url(),
            {
                "email": "fay@example.org",
                "role": "lead",
                "organisation": self.council_b.pk,
                "region": self.south_east.pk,
            },  # fmt: skip
        )
        inv = Invitation.objects.get()
        self.assertEqual((inv.organisation, inv.region), (self.council_a, None))

    def test_a_lead_cannot_invite_to_a_national_or_regional_role(self):
        self.client.force_login(self.bob)
        for role in ["national_admin", "national_analyst", "regional_lead"]:
            r = self.client.post(self.url(), {"email": "x@example.org", "role": role})
            self.assertEqual(r.status_code, 400, role)
            self.assertContains(r, "Select a valid choice", status_code=400)
        self.assertFalse(Invitation.objects.exists())

    def test_bad_input_is_refused_with_a_message_per_field(self):
        self.client.force_login(self.bob)
        r = self.client.post(self.url(), {"email": "not-an-email", "role": ""})
        self.assertContains(r, "Enter a valid email address.", status_code=400)
        self.assertContains(r, "This field is required.", status_code=400)
        self.assertContains(r, 'href="#id_email"', status_code=400)
        self.assertFalse(Invitation.objects.exists())

    def test_inviting_someone_who_already_has_the_role_says_so(self):
        self.client.force_login(self.bob)
        r = self.client.post(self.url(), {"email": "alice@example.org", "role": "contributor"})
        self.assertContains(r, "already has this role", status_code=400)

    def test_contributors_viewers_and_other_councils_cannot_reach_the_people_page(self):
        for user in [self.alice, self.victor, self.charlie, self.dana, self.nina, self.zoe]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 404, user)
            r = self.client.post(self.url(), {"email": "x@example.org", "role": "viewer"})
            self.assertEqual(r.status_code, 404, user)
        self.assertFalse(Invitation.objects.exists())

    def test_a_new_invitation_withdraws_the_earlier_one(self):
        _, first = do_invite(
            by=self.bob, email="fay@example.org", role=Role.VIEWER, organisation=self.council_a
        )
        _, second = do_invite(
            by=self.bob, email="fay@example.org", role=Role.VIEWER, organisation=self.council_a
        )
        r = self.client.get(reverse("accounts:invitation", args=[first]))
        self.assertContains(r, "was withdrawn", status_code=410)
        self.assertEqual(
            self.client.get(reverse("accounts:invitation", args=[second])).status_code, 200
        )


class AcceptInvitationTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.invitation, self.token = do_invite(
            by=self.bob, email="fay@example.org", full_name="Fay Li",
            role=Role.CONTRIBUTOR, organisation=self.council_a, department="Finance",
        )  # fmt: skip
        self.url = reverse("accounts:invitation", args=[self.token])

    def accept(self, **data):
        form = {
            "full_name": "Fay Li",
            "password1": "a long pass phrase",
            "password2": "a long pass phrase",
        }
        form.update(data)
        return self.client.post(self.url, form)

    def test_it_creates_the_account_grants_the_role_and_signs_in(self):
        r = self.client.get(self.url)
        self.assertContains(
            r, "contributor</strong> for <strong>Council A Metropolitan Borough Council"
        )
        r = self.accept()
        self.assertRedirects(r, reverse("accounts:home"))
        fay = User.objects.get(email="fay@example.org")
        m = Membership.objects.get(user=fay)
        self.assertEqual(
            (m.role, m.organisation, m.department), ("contributor", self.council_a, "Finance")
        )
        self.assertEqual(int(self.client.session["_auth_user_id"]), fay.pk)
        self.invitation.refresh_from_db()
        self.assertEqual(self.invitation.accepted_by, fay)

    def test_the_link_works_once(self):
        self.accept()
        self.client.logout()
        r = self.client.get(self.url)
        self.assertContains(r, "already been accepted", status_code=410)
        r = self.accept(full_name="Someone Else")
        self.assertEqual(r.status_code, 410)
        self.assertEqual(User.objects.filter(email="fay@example.org").count(), 1)

    def test_an_expired_link_is_refused(self):
        Invitation.objects.filter(pk=self.invitation.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        r = self.client.get(self.url)
        self.assertContains(r, "This invitation expired", status_code=410)
        self.assertEqual(self.accept().status_code, 410)
        self.assertFalse(User.objects.filter(email="fay@example.org").exists())

    def test_an_unknown_or_mangled_token_is_404(self):
        for token in ["nope", self.token[:-1] + "x", "x" * 101]:
            self.assertEqual(
                self.client.get(reverse("accounts:invitation", args=[token])).status_code, 404
            )

    def test_weak_or_mismatched_passwords_are_refused_and_nothing_is_created(self):
        """ASVS 6.2.1, 6.2.4: at least 8 characters; common passwords refused."""
        cases = [
            ({"password1": "short", "password2": "short"}, "too short"),
            ({"password1": "password123", "password2": "password123"}, "too common"),
            ({"password1": "a long pass phrase", "password2": "another phrase"}, "do not match"),
            ({"full_name": ""}, "This field is required"),
            ({"password1": "x" * 129, "password2": "x" * 129}, "too long"),
        ]
        for data, message in cases:
            r = self.accept(**data)
            self.assertContains(r, message, msg_prefix=str(data))
        self.assertFalse(User.objects.filter(email="fay@example.org").exists())
        self.invitation.refresh_from_db()
        self.assertIsNone(self.invitation.accepted_at)

    def test_a_long_passphrase_is_accepted(self):
        phrase = "the quick brown fox jumps over the lazy council procurement team " * 1
        self.accept(password1=phrase, password2=phrase)
        self.assertTrue(User.objects.get(email="fay@example.org").check_password(phrase))

    def test_someone_with_an_account_signs_in_and_the_role_is_added(self):
        _, token = do_invite(
            by=self.charlie, email="bob@example.org", role=Role.VIEWER, organisation=self.council_b
        )
        url = reverse("accounts:invitation", args=[token])
        r = self.client.get(url)
        self.assertContains(r, "Sign in to accept your invitation")
        self.client.force_login(self.bob)
        r = self.client.post(url)
        self.assertRedirects(r, reverse("accounts:home"))
        self.assertEqual(
            set(
                Membership.objects.filter(user=self.bob).values_list(
                    "organisation__short_name", "role"
                )
            ),
            {("Council A", "lead"), ("Council B", "viewer")},
        )
        # And the session now works in Council B.
        r = self.client.get(reverse("accounts:home"))
        self.assertEqual(r.context["active_membership"].organisation, self.council_b)

    def test_someone_signed_in_as_another_person_cannot_use_it(self):
        self.client.force_login(self.charlie)
        self.assertContains(self.client.get(self.url), "for someone else", status_code=403)
        self.assertEqual(self.client.post(self.url).status_code, 403)
        self.assertFalse(
            Membership.objects.filter(user=self.charlie, organisation=self.council_a).exists()
        )
        self.invitation.refresh_from_db()
        self.assertIsNone(self.invitation.accepted_at)


class NationalInviteTests(BaseTestCase):
    url = reverse("accounts:manage_invite")

    def test_the_national_admin_invites_a_regional_lead(self):
        self.client.force_login(self.erin)
        r = self.client.post(
            self.url,
            {"email": "rita@example.org", "role": "regional_lead", "region": self.south_east.pk},
        )
        self.assertRedirects(r, reverse("accounts:manage_people"))
        inv = Invitation.objects.get()
        self.assertEqual(
            (inv.role, inv.region, inv.organisation), ("regional_lead", self.south_east, None)
        )

    def test_the_scope_must_fit_the_role(self):
        self.client.force_login(self.erin)
        r = self.client.post(self.url, {"email": "rita@example.org", "role": "regional_lead"})
        self.assertContains(r, "Choose the region for this role.", status_code=400)
        r = self.client.post(self.url, {"email": "rita@example.org", "role": "lead"})
        self.assertContains(r, "Choose the organisation for this role.", status_code=400)
        # A national role ignores any organisation sent with it.
        self.client.post(
            self.url,
            {
                "email": "nat@example.org",
                "role": "national_analyst",
                "organisation": self.council_a.pk,
            },
        )
        inv = Invitation.objects.get()
        self.assertEqual((inv.organisation, inv.region), (None, None))

    def test_only_national_admins_can_use_it(self):
        for user in [
            self.alice,
            self.bob,
            self.victor,
            self.charlie,
            self.dana,
            self.nina,
            self.zoe,
        ]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403, user)
            r = self.client.post(self.url, {"email": "x@example.org", "role": "national_admin"})
            self.assertEqual(r.status_code, 403, user)
        self.assertFalse(Invitation.objects.exists())

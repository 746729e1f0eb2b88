"""The lead manages who has access: change roles, remove people, withdraw invitations."""

from django.urls import reverse

from diagnostic.accounts.models import Membership, Role
from diagnostic.accounts.services import do_invite
from diagnostic.audit.models import AuditEvent
from diagnostic.testing import BaseTestCase


class PeopleTests(BaseTestCase):
    def membership(self, user):
        return Membership.objects.get(user=user, organisation__isnull=False)

    def test_the_people_page_lists_members_and_pending_invitations(self):
        do_invite(
            by=self.bob, email="fay@example.org", role=Role.VIEWER, organisation=self.council_a
        )
        self.client.force_login(self.bob)
        r = self.client.get(reverse("accounts:people", args=[self.council_a.pk]))
        for text in ["Alice Marsh", "Bob Hughes", "Victor Osei", "fay@example.org"]:
            self.assertContains(r, text)
        self.assertNotContains(r, "Charlie Dunn")

    def test_the_lead_changes_a_role_and_it_is_audited(self):
        self.client.force_login(self.bob)
        m = self.membership(self.alice)
        r = self.client.post(reverse("accounts:change_role", args=[m.pk]), {"role": "viewer"})
        self.assertRedirects(r, reverse("accounts:people", args=[self.council_a.pk]))
        m.refresh_from_db()
        self.assertEqual(m.role, "viewer")
        event = AuditEvent.objects.get(action="role.changed")
        self.assertEqual(
            (event.actor, event.detail["old"], event.detail["new"]),
            (self.bob, "contributor", "viewer"),
        )

    def test_a_role_outside_the_organisation_roles_is_refused(self):
        self.client.force_login(self.bob)
        m = self.membership(self.alice)
        for role in ["national_admin", "regional_lead", "", "superuser"]:
            self.client.post(reverse("accounts:change_role", args=[m.pk]), {"role": role})
            m.refresh_from_db()
            self.assertEqual(m.role, "contributor", role)

    def test_the_last_lead_cannot_step_down_or_be_removed(self):
        self.client.force_login(self.bob)
        m = self.membership(self.bob)
        r = self.client.post(
            reverse("accounts:change_role", args=[m.pk]), {"role": "viewer"}, follow=True
        )
        self.assertContains(r, "An organisation needs at least one lead")
        self.client.post(reverse("accounts:remove_membership", args=[m.pk]))
        m.refresh_from_db()
        self.assertEqual(m.role, "lead")

    def test_the_lead_removes_a_person(self):
        self.client.force_login(self.bob)
        m = self.membership(self.victor)
        self.client.post(reverse("accounts:remove_membership", args=[m.pk]))
        self.assertFalse(Membership.objects.filter(pk=m.pk).exists())
        self.assertTrue(AuditEvent.objects.filter(action="role.removed", actor=self.bob).exists())

    def test_the_lead_withdraws_an_invitation(self):
        inv, token = do_invite(
            by=self.bob, email="fay@example.org", role=Role.VIEWER, organisation=self.council_a
        )
        self.client.force_login(self.bob)
        self.client.post(reverse("accounts:revoke_invitation", args=[inv.pk]))
        inv.refresh_from_db()
        self.assertEqual(inv.status, "revoked")
        self.client.logout()
        self.assertEqual(
            self.client.get(reverse("accounts:invitation", args=[token])).status_code, 410
        )

    def test_nobody_else_can_change_council_a_people(self):
        m = self.membership(self.alice)
        inv, _ = do_invite(
            by=self.bob, email="fay@example.org", role=Role.VIEWER, organisation=self.council_a
        )
        for user in [self.alice, self.victor, self.charlie, self.dana, self.nina, self.zoe]:
            self.client.force_login(user)
            self.assertEqual(
                self.client.post(
                    reverse("accounts:change_role", args=[m.pk]), {"role": "lead"}
                ).status_code,
                404,
            )
            self.assertEqual(
                self.client.post(reverse("accounts:remove_membership", args=[m.pk])).status_code,
                404,
            )
            self.assertEqual(
                self.client.post(reverse("accounts:revoke_invitation", args=[inv.pk])).status_code,
                404,
            )
        m.refresh_from_db()
        inv.refresh_from_db()
        self.assertEqual((m.role, inv.status), ("contributor", "pending"))

    def test_changes_need_post(self):
        self.client.force_login(self.bob)
        m = self.membership(self.alice)
        for name in ["accounts:change_role", "accounts:remove_membership"]:
            self.assertEqual(self.client.get(reverse(name, args=[m.pk])).status_code, 405)

    def test_the_national_admin_manages_any_organisation_and_sees_everyone(self):
        self.client.force_login(self.erin)
        r = self.client.get(reverse("accounts:people", args=[self.council_b.pk]))
        self.assertContains(r, "Charlie Dunn")
        r = self.client.get(reverse("accounts:manage_people"), {"q": "council b"})
        self.assertContains(r, "Charlie Dunn")
        self.assertNotContains(r, "Alice Marsh")

    def test_the_manage_people_page_paginates(self):
        from diagnostic.testing import make_user

        for i in range(55):
            make_user(f"extra{i:02d}", f"Extra Person {i:02d}")
        self.client.force_login(self.erin)
        r = self.client.get(reverse("accounts:manage_people"))
        self.assertEqual(len(r.context["page"].object_list), 50)
        self.assertContains(r, "Page 1 of 2")
        r = self.client.get(reverse("accounts:manage_people"), {"page": 2})
        self.assertEqual(len(r.context["page"].object_list), 63 - 50)


class SwitchOrganisationTests(BaseTestCase):
    def test_a_person_in_two_organisations_switches_between_them(self):
        Membership.objects.create(user=self.bob, role=Role.VIEWER, organisation=self.council_b)
        self.client.force_login(self.bob)
        r = self.client.get(reverse("accounts:home"))
        self.assertContains(r, 'id="switch-organisation"')
        mb = Membership.objects.get(user=self.bob, organisation=self.council_b)
        r = self.client.post(
            reverse("accounts:switch_organisation"), {"membership": mb.pk, "next": "/account/"}
        )
        self.assertRedirects(r, "/account/")
        r = self.client.get(reverse("accounts:home"))
        self.assertEqual(r.context["active_membership"], mb)

    def test_a_person_cannot_switch_into_someone_elses_membership(self):
        self.client.force_login(self.bob)
        charlies = Membership.objects.get(user=self.charlie)
        r = self.client.post(reverse("accounts:switch_organisation"), {"membership": charlies.pk})
        self.assertEqual(r.status_code, 404)
        r = self.client.post(reverse("accounts:switch_organisation"), {"membership": "abc"})
        self.assertEqual(r.status_code, 404)

    def test_the_next_url_cannot_leave_the_site(self):
        Membership.objects.create(user=self.bob, role=Role.VIEWER, organisation=self.council_b)
        mb = Membership.objects.get(user=self.bob, organisation=self.council_b)
        self.client.force_login(self.bob)
        r = self.client.post(
            reverse("accounts:switch_organisation"),
            {"membership": mb.pk, "next": "https://evil.example/"},
        )
        self.assertRedirects(r, reverse("accounts:home"))

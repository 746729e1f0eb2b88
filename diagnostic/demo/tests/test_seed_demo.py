"""The demo command builds everything from nothing, prints sign-ins, and starts clean again."""

from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase
from django.urls import reverse

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.demo.seed import PEOPLE
from diagnostic.frameworks.models import FrameworkVersion, ValueCode
from diagnostic.organisations.models import Organisation


class SeedDemoTests(TransactionTestCase):
    def seed(self) -> str:
        out = StringIO()
        call_command("seed_demo", "--force", stdout=out)
        return out.getvalue()

    def test_it_builds_the_framework_register_and_one_sign_in_per_role(self):
        output = self.seed()
        self.assertEqual(ValueCode.objects.count(), 59)
        self.assertEqual(Organisation.objects.filter(nation="England").current().count(), 317)
        roles = set(Membership.objects.values_list("role", flat=True))
        self.assertEqual(roles, {r.value for r in Role})
        for person in PEOPLE:
            self.assertIn(person.email, output)
            self.assertIn(person.password, output)
            user = User.objects.get(email=person.email)
            self.assertTrue(user.is_demo)
        # The printed sign-in works through the real form.
        bob = next(p for p in PEOPLE if p.key == "bob")
        r = self.client.post(
            reverse("accounts:sign_in"), {"username": bob.email, "password": bob.password}
        )
        self.assertRedirects(r, reverse("accounts:home"))

    def test_a_second_run_starts_clean(self):
        self.seed()
        User.objects.create_user("stray@example.org", "x", full_name="Stray")
        self.seed()
        self.assertFalse(User.objects.filter(email="stray@example.org").exists())
        self.assertEqual(User.objects.count(), len(PEOPLE))
        self.assertEqual(FrameworkVersion.objects.count(), 1)
        self.assertEqual(Organisation.objects.count(), 430)

    def test_it_refuses_a_non_sqlite_database_without_force(self):
        if connection.vendor == "sqlite":
            self.skipTest("the guard only applies to other databases")
        from django.core.management import CommandError

        with self.assertRaises(CommandError):
            call_command("seed_demo", stdout=StringIO())

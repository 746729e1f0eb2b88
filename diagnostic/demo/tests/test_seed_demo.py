"""The demo command builds everything from nothing, prints sign-ins, and starts clean again."""

import csv
import datetime as dt
from collections import Counter
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase
from django.urls import reverse

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.demo.seed import COUNCIL_A, COUNCIL_B, PEOPLE
from diagnostic.frameworks.models import FrameworkVersion, ValueCode
from diagnostic.organisations.models import Organisation


def register_alive_on(day: dt.date) -> Counter:
    """Councils by nation that existed on `day`, read straight from the shipped register."""
    register = Path(__file__).resolve().parents[2] / "organisations" / "data" / "councils.csv"
    with register.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Counter(
        r["nation"]
        for r in rows
        if (not r["start_date"] or dt.date.fromisoformat(r["start_date"]) <= day)
        and (not r["end_date"] or dt.date.fromisoformat(r["end_date"]) >= day)
    )


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
        # Wigan's lead lands on his assessment (issue 15), which opens the current response.
        self.assertRedirects(r, reverse("assessments:mine"), target_status_code=302)
        self.check_rounds()

    def check_rounds(self):
        r2018, r2021 = Round.objects.get(name="NPS 2018"), Round.objects.get(name="NPS 2021")
        current = Round.objects.get(status=Round.Status.OPEN)
        self.assertEqual((r2021.previous_round, current.previous_round), (r2018, r2021))
        self.assertIsNone(r2018.previous_round)
        # 2021: the councils of the time, after the 2019-2021 reorganisations and before 2023's.
        self.assertEqual(
            (r2021.opens_on, r2021.closes_on), (dt.date(2021, 7, 5), dt.date(2021, 10, 29))
        )
        self.assertEqual(r2021.status, Round.Status.CLOSED)
        alive = register_alive_on(dt.date(2021, 7, 5))
        self.assertEqual(alive["England"], 333)  # 353 in 2018, 317 after April 2023
        eligible = Counter(
            Response.objects.filter(round=r2021).values_list("organisation__nation", flat=True)
        )
        self.assertEqual(eligible, Counter(England=alive["England"], Wales=alive["Wales"]))
        names = set(
            Response.objects.filter(round=r2021).values_list("organisation__gss_code", flat=True)
        )
        self.assertIn("E06000061", names)  # North Northamptonshire, from 1 April 2021
        self.assertIn("E10000023", names)  # North Yorkshire County Council, until 2023
        self.assertNotIn("E10000021", names)  # Northamptonshire County Council, gone
        self.assertNotIn("E06000065", names)  # North Yorkshire Council, not yet
        submitted = Response.objects.filter(round=r2021, status="submitted").count()
        self.assertAlmostEqual(submitted / sum(eligible.values()), 0.85, delta=0.03)
        self.assertTrue(Publication.objects.filter(round=r2021).exists())
        self.assertTrue(Publication.objects.filter(round=r2018).exists())
        # Council A (Wigan) submitted in 2018 and 2021, and started this round from 2021.
        for rnd in (r2018, r2021):
            for code in (COUNCIL_A, COUNCIL_B):
                response = Response.objects.get(round=rnd, organisation__gss_code=code)
                self.assertEqual(response.status, "submitted", (rnd, code))
                self.assertEqual(response.answers.count(), 59)
        wigan = Response.objects.get(round=current, organisation__gss_code=COUNCIL_A)
        self.assertEqual(wigan.answers.count(), 59)
        carried = Answer.objects.filter(response=wigan, carried_forward=True).count()
        self.assertEqual(carried, 59 - 31)
        kent = Response.objects.get(round=current, organisation__gss_code=COUNCIL_B)
        self.assertFalse(kent.answers.exists())
        self.client.force_login(
            User.objects.get(email=next(p.email for p in PEOPLE if p.key == "charlie"))
        )
        r = self.client.get(reverse("assessments:response", args=[kent.pk]))
        self.assertContains(r, "Start from your NPS 2021 answers")

    def test_a_second_run_starts_clean(self):
        self.seed()
        User.objects.create_user("stray@example.org", "x", full_name="Stray")
        self.seed()
        self.assertFalse(User.objects.filter(email="stray@example.org").exists())
        # The personas once each, and otherwise only demo colleagues (contributors).
        self.assertEqual(
            User.objects.filter(email__in=[p.email for p in PEOPLE]).count(), len(PEOPLE)
        )
        self.assertFalse(User.objects.filter(is_demo=False).exists())
        self.assertEqual(FrameworkVersion.objects.count(), 1)
        self.assertEqual(Organisation.objects.count(), 430)

    def test_it_refuses_a_non_sqlite_database_without_force(self):
        if connection.vendor == "sqlite":
            self.skipTest("the guard only applies to other databases")
        from django.core.management import CommandError

        with self.assertRaises(CommandError):
            call_command("seed_demo", stdout=StringIO())

"""Test personas and helpers shared by every app's tests.

Alice (contributor, Council A), Bob (lead, Council A), Victor (viewer, Council A),
Charlie (lead, Council B, another region), Dana (regional lead for Council A's region),
Nina (national analyst), Erin (national admin) and Zoe (signed in, no role).
"""

from __future__ import annotations

from django.core import mail
from django.test import TestCase

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.organisations.models import Organisation, Region

PASSWORD = "correct horse battery staple"


def make_user(key: str, full_name: str, role: Role | None = None, **scope) -> User:
    user = User.objects.create_user(f"{key}@example.org", PASSWORD, full_name=full_name)
    if role is not None:
        Membership.objects.create(user=user, role=role, **scope)
    return user


class BaseTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.north_west = Region.objects.create(
            code="E12000002", name="North West", nation="England"
        )
        cls.south_east = Region.objects.create(
            code="E12000008", name="South East", nation="England"
        )
        cls.wales = Region.objects.create(code="W92000004", name="Wales", nation="Wales")
        cls.council_a = Organisation.objects.create(
            gss_code="E08000010",
            name="Council A Metropolitan Borough Council",
            short_name="Council A",
            type="metropolitan_borough",
            region=cls.north_west,
            nation="England",
        )
        cls.council_b = Organisation.objects.create(
            gss_code="E10000016",
            name="Council B County Council",
            short_name="Council B",
            type="county",
            region=cls.south_east,
            nation="England",
        )
        cls.alice = make_user("alice", "Alice Marsh", Role.CONTRIBUTOR, organisation=cls.council_a)
        cls.bob = make_user("bob", "Bob Hughes", Role.LEAD, organisation=cls.council_a)
        cls.victor = make_user("victor", "Victor Osei", Role.VIEWER, organisation=cls.council_a)
        cls.charlie = make_user("charlie", "Charlie Dunn", Role.LEAD, organisation=cls.council_b)
        cls.dana = make_user("dana", "Dana Whitfield", Role.REGIONAL_LEAD, region=cls.north_west)
        cls.nina = make_user("nina", "Nina Patel", Role.NATIONAL_ANALYST)
        cls.erin = make_user("erin", "Erin Okafor", Role.NATIONAL_ADMIN)
        cls.zoe = make_user("zoe", "Zoe Nobody")

    def setUp(self):
        mail.outbox = []

    @property
    def personas(self) -> dict[str, User]:
        return {
            "alice": self.alice,
            "bob": self.bob,
            "victor": self.victor,
            "charlie": self.charlie,
            "dana": self.dana,
            "nina": self.nina,
            "erin": self.erin,
            "zoe": self.zoe,
        }

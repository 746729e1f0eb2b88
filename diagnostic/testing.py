"""Test personas and helpers shared by every app's tests.

Alice (contributor, Council A), Bob (lead, Council A), Victor (viewer, Council A),
Charlie (lead, Council B, another region), Dana (regional lead for Council A's region),
Nina (national analyst), Erin (national admin) and Zoe (signed in, no role).
"""

from __future__ import annotations

from django.core import mail
from django.core.cache import cache
from django.test import TestCase

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.organisations.models import Organisation, Region

PASSWORD = "correct horse battery staple"


def make_user(key: str, full_name: str, role: Role | None = None, **scope) -> User:
    user = User.objects.create_user(f"{key}@example.org", PASSWORD, full_name=full_name)
    if role is not None:
        Membership.objects.create(user=user, role=role, **scope)
    return user


PERSONA_KEYS = ("alice", "bob", "victor", "charlie", "dana", "nina", "erin", "zoe")


def create_personas() -> dict[str, Region | Organisation | User]:
    """Create the regions, councils and personas every test shares, and return them by name.

    The names are the attribute names the test cases use: north_west, south_east, wales,
    council_a, council_b and one key per persona (PERSONA_KEYS).
    """
    # get_or_create: a test that loaded the real register first keeps its rows.
    north_west = Region.objects.get_or_create(
        code="E12000002", defaults={"name": "North West", "nation": "England"}
    )[0]
    south_east = Region.objects.get_or_create(
        code="E12000008", defaults={"name": "South East", "nation": "England"}
    )[0]
    wales = Region.objects.get_or_create(
        code="W92000004", defaults={"name": "Wales", "nation": "Wales"}
    )[0]
    council_a = Organisation.objects.get_or_create(
        gss_code="E08000010",
        defaults={
            "name": "Council A Metropolitan Borough Council",
            "short_name": "Council A",
            "type": "metropolitan_borough",
            "region": north_west,
            "nation": "England",
        },
    )[0]
    council_b = Organisation.objects.get_or_create(
        gss_code="E10000016",
        defaults={
            "name": "Council B County Council",
            "short_name": "Council B",
            "type": "county",
            "region": south_east,
            "nation": "England",
        },
    )[0]
    people = {
        "north_west": north_west,
        "south_east": south_east,
        "wales": wales,
        "council_a": council_a,
        "council_b": council_b,
        "alice": make_user("alice", "Alice Marsh", Role.CONTRIBUTOR, organisation=council_a),
        "bob": make_user("bob", "Bob Hughes", Role.LEAD, organisation=council_a),
        "victor": make_user("victor", "Victor Osei", Role.VIEWER, organisation=council_a),
        "charlie": make_user("charlie", "Charlie Dunn", Role.LEAD, organisation=council_b),
        "dana": make_user("dana", "Dana Whitfield", Role.REGIONAL_LEAD, region=north_west),
        "nina": make_user("nina", "Nina Patel", Role.NATIONAL_ANALYST),
        "erin": make_user("erin", "Erin Okafor", Role.NATIONAL_ADMIN),
        "zoe": make_user("zoe", "Zoe Nobody"),
    }
    # Staff roles require a second factor (diagnostic/twofactor): these have their app set up.
    from diagnostic.twofactor.testing import enrol

    for key in ("dana", "nina", "erin"):
        enrol(people[key])
    return people


class BaseTestCase(TestCase):
    # force_login passes the second step too, as staff would with their app.
    from diagnostic.twofactor.testing import VerifyingClient as client_class

    @classmethod
    def setUpTestData(cls):
        for name, obj in create_personas().items():
            setattr(cls, name, obj)

    def setUp(self):
        mail.outbox = []
        # Cached aggregates are keyed by ids, which repeat between tests.
        cache.clear()

    @property
    def personas(self) -> dict[str, User]:
        return {key: getattr(self, key) for key in PERSONA_KEYS}


def run_concurrently(users: list[User], work, *, timeout: float = 120) -> tuple[list, list]:
    """Run `work(i, client)` in one thread per user, all released together by a barrier.

    Each thread has its own signed-in test client and database connection. Returns
    ([(i, result)], [(i, error)]) so a test can assert that no thread failed.
    """
    import threading

    from django.db import connection

    from diagnostic.twofactor.testing import VerifyingClient

    results, errors = [], []
    barrier = threading.Barrier(len(users))

    def runner(i):
        try:
            client = VerifyingClient()
            client.force_login(users[i])
            barrier.wait(timeout=30)
            results.append((i, work(i, client)))
        except Exception as exc:  # reported to the test, with the thread's number
            errors.append((i, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results, errors

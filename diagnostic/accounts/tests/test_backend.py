"""The signed-in person is loaded with their memberships in one query, and roles stay live."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostic.accounts import access
from diagnostic.accounts.backends import ModelBackend, memberships_with_person
from diagnostic.accounts.models import Membership, Role
from diagnostic.testing import BaseTestCase


class PersonWithMembershipsTests(BaseTestCase):
    def test_one_query_gives_the_person_and_what_they_hold_in_the_usual_order(self):
        for user in (self.alice, self.bob, self.victor, self.dana, self.erin, self.nina):
            with self.subTest(user=user.email):
                expected = list(
                    Membership.objects.filter(user=user)
                    .select_related("organisation", "region")
                    .order_by("organisation__short_name", "region__name", "role")
                )
                with CaptureQueriesContext(connection) as ctx:
                    loaded = ModelBackend().get_user(user.pk)
                    held = access.memberships_of(loaded)
                    names = [(m.organisation and m.organisation.short_name, m.region and m.region.name) for m in held]  # fmt: skip
                self.assertEqual(len(ctx.captured_queries), 1)
                self.assertEqual(loaded, user)
                self.assertEqual([m.pk for m in held], [m.pk for m in expected])
                self.assertEqual(names, [(m.organisation and m.organisation.short_name, m.region and m.region.name) for m in expected])  # fmt: skip
                self.assertTrue(all(m.user is loaded for m in held))

    def test_a_role_taken_away_is_gone_on_the_next_request(self):
        """ASVS 8.2.1: access is decided from the roles held now, not at sign-in."""
        self.client.force_login(self.bob)
        self.assertEqual(
            [m.role for m in ModelBackend().get_user(self.bob.pk)._memberships_cache],
            [m.role for m in Membership.objects.filter(user=self.bob)],
        )
        Membership.objects.filter(user=self.bob).delete()
        user = ModelBackend().get_user(self.bob.pk)
        self.assertEqual(user, self.bob)
        self.assertEqual(access.memberships_of(user), [])
        self.assertIsNone(access.role_in(user, self.council_a))

    def test_someone_with_no_role_is_read_by_djangos_own_query(self):
        with CaptureQueriesContext(connection) as ctx:
            user = ModelBackend().get_user(self.zoe.pk)
            self.assertEqual(access.memberships_of(user), [])
        self.assertEqual(user, self.zoe)
        self.assertEqual(len(ctx.captured_queries), 2)  # no memberships; then the person

    def test_an_inactive_person_is_not_signed_in(self):
        self.bob.is_active = False
        self.bob.save()
        self.assertIsNone(ModelBackend().get_user(self.bob.pk))

    def test_unknown_or_malformed_ids_give_nobody(self):
        self.assertEqual(memberships_with_person("not a number"), [])
        self.assertIsNone(ModelBackend().get_user(10**9))

    def test_a_lead_is_a_lead(self):
        user = ModelBackend().get_user(self.bob.pk)
        self.assertEqual(access.role_in(user, self.council_a), Role.LEAD)

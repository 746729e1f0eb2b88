"""A person asked for their views finds the request on their account page."""

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Round
from diagnostic.consolidation.models import Assignment
from diagnostic.consolidation.testing import ConsolidationTestCase, make_assignment


class AccountHomeTests(ConsolidationTestCase):
    def home(self, user):
        self.client.force_login(user)
        return self.client.get(reverse("accounts:home"))

    def test_a_contributor_sees_what_they_are_asked_for_with_a_link(self):
        r = self.home(self.alice)
        self.assertContains(r, "Your views are asked for")
        self.assertContains(r, reverse("consolidation:contribution", args=[self.response_a.pk]))
        self.assertContains(r, "Council A Metropolitan Borough Council: NPS 2026")
        self.assertNotContains(r, "Council B")

    def test_someone_not_asked_sees_no_such_section(self):
        for user in (self.bob, self.victor, self.charlie, self.zoe):
            with self.subTest(user=user.email):
                self.assertNotContains(self.home(user), "Your views are asked for")

    def test_a_withdrawn_request_or_a_closed_round_is_not_listed(self):
        Assignment.objects.filter(pk=self.assignment_a.pk).update(withdrawn_at=timezone.now())
        self.assertNotContains(self.home(self.alice), "Your views are asked for")
        Assignment.objects.filter(pk=self.assignment_a.pk).update(withdrawn_at=None)
        Round.objects.filter(pk=self.round.pk).update(status=Round.Status.CLOSED)
        self.assertNotContains(self.home(self.alice), "Your views are asked for")

    def test_a_request_by_email_not_yet_claimed_is_listed_only_for_a_member(self):
        # Victor (viewer of Council A) was asked by email before opening it: it shows.
        make_assignment(self.response_a, email=self.victor.email, name="Victor")
        self.assertContains(self.home(self.victor), "Your views are asked for")
        # A request to Zoe's address in Council A shows nothing to Zoe: she holds no role there.
        make_assignment(self.response_a, email=self.zoe.email, name="Zoe")
        self.assertNotContains(self.home(self.zoe), "Your views are asked for")

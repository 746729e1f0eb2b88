"""Several leads editing one action, or accepting one suggestion, at once: one write wins."""

from django.test import TransactionTestCase
from django.urls import reverse

from diagnostic.accounts.models import Role
from diagnostic.assessments.testing import create_open_round
from diagnostic.audit.models import AuditEvent
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.plans.models import Action
from diagnostic.plans.testing import GAP_ANSWERS, give_answers, make_action
from diagnostic.testing import create_personas, make_user, run_concurrently

THREADS = 6


class ActionRaceTests(TransactionTestCase):
    def setUp(self):
        p = create_personas()
        framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(framework, [p["council_a"]])
        give_answers(self.response, GAP_ANSWERS, framework.valuecodes.all())
        self.leads = [p["bob"]] + [
            make_user(f"lead{i}", f"Lead {i}", Role.LEAD, organisation=p["council_a"])
            for i in range(THREADS - 1)
        ]

    def run_threads(self, work) -> list:
        results, errors = run_concurrently(self.leads[:THREADS], work)
        self.assertEqual(errors, [])
        return results

    def test_from_the_same_version_exactly_one_edit_wins(self):
        action = make_action(self.response, "Shared action")
        url = reverse("plans:edit", args=[self.response.pk, action.pk])

        def work(i, client):
            data = {"title": "Shared action", "owner": f"Owner {i}", "status": "not_started",
                    "version": "1"}  # fmt: skip
            return client.post(url, data).status_code

        results = self.run_threads(work)
        self.assertEqual(sorted(s for _, s in results), [302] + [409] * (THREADS - 1))
        winner = next(i for i, s in results if s == 302)
        action.refresh_from_db()
        self.assertEqual((action.owner, action.version), (f"Owner {winner}", 2))
        self.assertEqual(AuditEvent.objects.filter(action="action.updated").count(), 1)

    def test_a_suggestion_accepted_at_once_by_many_becomes_one_action(self):
        url = reverse("plans:accept", args=[self.response.pk])
        results = self.run_threads(lambda i, client: client.post(url, {"key": "WP2"}).status_code)
        self.assertEqual({s for _, s in results}, {302})
        self.assertEqual(
            Action.objects.filter(response=self.response, suggestion_key="WP2").count(), 1
        )

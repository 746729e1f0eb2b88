"""Many people saving the same answer at once: exactly the winning writes are applied."""

import uuid

from django.db import connection
from django.test import TransactionTestCase
from django.urls import reverse

from diagnostic.accounts.models import Membership, Role
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.audit.models import AuditEvent
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.testing import create_personas, make_user, run_concurrently

THREADS = 8


class AnswerRaceTests(TransactionTestCase):
    def setUp(self):
        import datetime as dt

        from django.utils import timezone

        p = create_personas()
        self.council_a = p["council_a"]
        framework = load_framework_file(NPS_2018).version
        today = timezone.localdate()
        rnd = Round.objects.create(
            name="Race", framework_version=framework, opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=1), eligibility_date=today, nations=["England"],
            status=Round.Status.OPEN,
        )  # fmt: skip
        self.response = Response.objects.create(round=rnd, organisation=self.council_a)
        self.leads = [p["bob"]] + [
            make_user(f"lead{i}", f"Lead {i}", Role.LEAD, organisation=self.council_a)
            for i in range(THREADS - 1)
        ]
        self.url = reverse("assessments:save_answer", args=[self.response.pk, "EC1"])

    def payload(self, version: int, comment: str) -> dict:
        return {
            "EC1-current_level": "3", "EC1-target_level": "4", "EC1-priority": "high",
            "EC1-comment": comment, "EC1-version": str(version), "EC1-request_id": uuid.uuid4().hex,
        }  # fmt: skip

    def run_threads(self, work):
        results, errors = run_concurrently(self.leads, work)
        self.assertEqual(errors, [])
        return [outcome for _, outcomes in results for outcome in outcomes]

    def test_from_the_same_version_exactly_one_save_wins(self):
        def work(i, client):
            r = client.post(
                self.url, self.payload(0, f"writer {i}"), headers={"HX-Request": "true"}
            )
            return [(i, r.status_code)]

        results = self.run_threads(work)
        statuses = sorted(s for _, s in results)
        self.assertEqual(statuses, [200] + [409] * (THREADS - 1))
        winner = next(i for i, s in results if s == 200)
        answer = Answer.objects.get(response=self.response)
        self.assertEqual((answer.version, answer.comment), (1, f"writer {winner}"))
        self.assertEqual(AuditEvent.objects.filter(action="answer.saved").count(), 1)

    def test_a_stream_of_racing_saves_applies_exactly_the_winners(self):
        rounds = 6

        def work(i, client):
            outcomes = []
            for n in range(rounds):
                current = (
                    Answer.objects.filter(response=self.response)
                    .values_list("version", flat=True)
                    .first()
                    or 0
                )
                comment = f"writer {i} try {n}"
                r = client.post(
                    self.url, self.payload(current, comment), headers={"HX-Request": "true"}
                )
                outcomes.append((comment, r.status_code))
            connection.close()
            return outcomes

        results = self.run_threads(work)
        wins = [c for c, s in results if s == 200]
        self.assertTrue(all(s in (200, 409) for _, s in results), results)
        answer = Answer.objects.get(response=self.response)
        # Every accepted save raised the version by exactly one; none was lost or doubled.
        self.assertEqual(answer.version, len(wins))
        self.assertEqual(AuditEvent.objects.filter(action="answer.saved").count(), len(wins))
        # The stored comment is the last accepted write, as recorded in the audit trail.
        last = AuditEvent.objects.filter(action="answer.saved").order_by("-detail__version").first()
        self.assertEqual(last.detail["version"], answer.version)
        self.assertIn(answer.comment, wins)
        self.assertEqual(
            Membership.objects.filter(organisation=self.council_a, role=Role.LEAD).count(), THREADS
        )

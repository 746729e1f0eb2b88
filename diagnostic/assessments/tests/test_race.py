"""Many people saving the same answer at once: exactly the winning writes are applied."""

import contextlib
import datetime as dt
import threading
import time
import unittest
import uuid

from django.db import OperationalError, connection, transaction
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role
from diagnostic.assessments import services
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.audit.models import AuditEvent
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.testing import create_personas, make_user, run_concurrently
from diagnostic.twofactor.testing import VerifyingClient

THREADS = 8

postgresql_only = unittest.skipUnless(
    connection.vendor == "postgresql", "row locks are PostgreSQL's (SQLite runs one writer)"
)


def open_round(name: str) -> Round:
    """An NPS 2018 round open today, for England."""
    today = timezone.localdate()
    return Round.objects.create(
        name=name, framework_version=load_framework_file(NPS_2018).version,
        opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=1),
        eligibility_date=today, nations=["England"], status=Round.Status.OPEN,
    )  # fmt: skip


class AnswerRaceTests(TransactionTestCase):
    def setUp(self):
        p = create_personas()
        self.council_a = p["council_a"]
        rnd = open_round("Race")
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


class RoundLockTests(TransactionTestCase):
    """An autosave locks its response FOR UPDATE and its round FOR SHARE (decision 0036): saves
    to different responses of one round do not wait for each other, but closing the round
    waits for every save in flight, and a save waits for a closing in flight and is then
    refused. The first two are PostgreSQL's row locks (SQLite runs one writer at a time)."""

    def setUp(self):
        p = create_personas()
        self.round = open_round("Locks")
        self.bob, self.lead_b, self.admin = p["bob"], p["charlie"], p["erin"]
        self.response_a = Response.objects.create(round=self.round, organisation=p["council_a"])
        self.response_b = Response.objects.create(round=self.round, organisation=p["council_b"])

    @contextlib.contextmanager
    def a_save_in_flight(self):
        """Meanwhile, in another thread, what the autosave of council A's response holds while
        it saves: its locked lookup, in an open transaction."""
        held, release, errors = threading.Event(), threading.Event(), []

        def run():
            try:
                with transaction.atomic():
                    access.get_response_for_user(
                        self.bob, self.response_a.pk, write=True, lock=True
                    )
                    held.set()
                    release.wait(timeout=30)
            except Exception as exc:  # reported to the test
                errors.append(repr(exc))
                held.set()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        try:
            self.assertTrue(held.wait(timeout=30))
            self.assertEqual(errors, [])
            yield
        finally:
            release.set()
            thread.join(timeout=30)

    def lock_timeout(self):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '500ms'")

    @postgresql_only
    def test_saves_to_two_responses_of_one_round_do_not_wait_for_each_other(self):
        with self.a_save_in_flight(), transaction.atomic():
            self.lock_timeout()
            # With the round locked FOR UPDATE this waited for A's save, and timed out.
            got = access.get_response_for_user(
                self.lead_b, self.response_b.pk, write=True, lock=True
            )
            self.assertEqual(got.pk, self.response_b.pk)

    @postgresql_only
    def test_closing_the_round_waits_for_a_save_in_flight(self):
        with (
            self.a_save_in_flight(),
            self.assertRaisesMessage(OperationalError, "lock timeout"),
            transaction.atomic(),
        ):
            self.lock_timeout()
            services.do_set_round_status(
                by=self.admin, round=self.round, status=Round.Status.CLOSED
            )
        self.assertEqual(Round.objects.get(pk=self.round.pk).status, Round.Status.OPEN)
        # Once the save is over, the round closes.
        services.do_set_round_status(by=self.admin, round=self.round, status=Round.Status.CLOSED)
        self.assertEqual(Round.objects.get(pk=self.round.pk).status, Round.Status.CLOSED)

    def test_a_save_during_a_closing_waits_for_it_and_is_refused(self):
        url = reverse("assessments:save_answer", args=[self.response_b.pk, "EC1"])
        payload = {
            "EC1-current_level": "3", "EC1-target_level": "4", "EC1-priority": "high",
            "EC1-comment": "during the closing", "EC1-version": "0",
            "EC1-request_id": uuid.uuid4().hex,
        }  # fmt: skip
        client = VerifyingClient()
        client.force_login(self.lead_b)
        statuses, errors = [], []

        def save():
            try:
                statuses.append(client.post(url, payload, headers={"HX-Request": "true"}))
            except Exception as exc:  # reported to the test
                errors.append(repr(exc))
            finally:
                connection.close()

        with transaction.atomic():
            services.do_set_round_status(
                by=self.admin, round=self.round, status=Round.Status.CLOSED
            )
            thread = threading.Thread(target=save)
            thread.start()
            time.sleep(1)
            self.assertTrue(thread.is_alive(), "the save did not wait for the closing")
        thread.join(timeout=30)
        self.assertEqual(errors, [])
        self.assertEqual([r.status_code for r in statuses], [423])
        self.assertFalse(Answer.objects.filter(response=self.response_b).exists())
        self.assertFalse(AuditEvent.objects.filter(action="answer.saved").exists())

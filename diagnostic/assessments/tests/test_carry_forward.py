"""Starting a round from the last one: answers carried forward, marked until confirmed."""

import datetime as dt

import yaml
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments import services
from diagnostic.assessments.models import Answer, Response, Round, Submission
from diagnostic.assessments.testing import AssessmentTestCase, create_open_round
from diagnostic.audit.models import AuditEvent
from diagnostic.frameworks.loaders import NPS_2018, load_framework_data

HTMX = {"HX-Request": "true"}


def submitted_response(rnd: Round, organisation, codes, *, level: int = 2) -> Response:
    """A submitted response with every value code answered the same way."""
    response = Response.objects.create(
        round=rnd, organisation=organisation, status=Response.Status.SUBMITTED,
        submitted_at=timezone.now(), answered_count=len(codes),
    )  # fmt: skip
    Answer.objects.bulk_create([
        Answer(response=response, value_code=vc, current_level=level, target_level=level + 1,
               target_date=dt.date(2023, 4, 1), priority="medium", comment=f"{vc.code} in 2021",
               want_support=True, version=3)
        for vc in codes
    ])  # fmt: skip
    return response


class CarryForwardTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.previous = Round.objects.create(
            name="NPS 2021", framework_version=cls.framework, opens_on=dt.date(2021, 7, 5),
            closes_on=dt.date(2021, 10, 29), eligibility_date=dt.date(2021, 7, 5),
            nations=["England", "Wales"], status=Round.Status.CLOSED,
        )  # fmt: skip
        cls.previous_a = submitted_response(cls.previous, cls.council_a, cls.codes)
        cls.round.previous_round = cls.previous
        cls.round.save(update_fields=["previous_round"])

    def answers(self, response=None):
        return {
            a.value_code.code: a
            for a in Answer.objects.filter(response=response or self.response_a).select_related(
                "value_code"
            )
        }

    def start(self, user=None):
        self.client.force_login(user or self.bob)
        return self.client.post(
            reverse("assessments:start_from_previous", args=[self.response_a.pk])
        )

    # --- Copying --------------------------------------------------------------------------
    def test_it_copies_into_empty_answers_only_and_marks_each_copy(self):
        ec1, ec2 = self.codes[0], self.codes[1]
        services.do_save_answer(
            response=self.response_a, value_code=ec1, by=self.bob, expected_version=0,
            current_level=4, priority="low", comment="Ours this year",
        )  # fmt: skip
        # A blank form that was autosaved is not an answer: it is filled.
        services.do_save_answer(
            response=self.response_a, value_code=ec2, by=self.bob, expected_version=0
        )
        copied = services.do_start_from_previous(response=self.response_a, by=self.bob)
        self.assertEqual(copied, 58)
        answers = self.answers()
        self.assertEqual(len(answers), 59)
        mine = answers["EC1"]
        self.assertEqual((mine.current_level, mine.comment, mine.version), (4, "Ours this year", 1))
        self.assertFalse(mine.carried_forward)
        refilled = answers[ec2.code]
        self.assertTrue(refilled.carried_forward)
        self.assertEqual((refilled.current_level, refilled.version), (2, 2))
        for code, a in answers.items():
            if code in ("EC1", ec2.code):
                continue
            self.assertTrue(a.carried_forward, code)
            self.assertEqual(a.version, 1)
            self.assertIsNone(a.updated_by)
            self.assertEqual(
                a.values(),
                {"current_level": 2, "target_level": 3, "target_date": dt.date(2023, 4, 1),
                 "priority": "medium", "comment": f"{code} in 2021", "could_share": False,
                 "want_support": True},
            )  # fmt: skip
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.answered_count, 59)
        self.assertIsNotNone(self.response_a.started_at)
        event = AuditEvent.objects.get(action="answers.carried_forward")
        self.assertEqual(event.actor, self.bob)
        self.assertEqual(event.organisation_id, self.council_a.pk)
        self.assertEqual(event.detail["count"], 58)
        self.assertEqual(event.detail["from_response"], self.previous_a.pk)
        self.assertNotIn("EC1", event.detail["value_codes"])
        # The previous round's response is untouched.
        self.assertFalse(self.previous_a.answers.filter(carried_forward=True).exists())
        # Again: nothing left to fill.
        self.assertEqual(services.do_start_from_previous(response=self.response_a, by=self.bob), 0)
        self.assertEqual(AuditEvent.objects.filter(action="answers.carried_forward").count(), 1)

    def test_the_lead_starts_from_the_previous_answers_on_the_home_page(self):
        self.client.force_login(self.bob)
        home = reverse("assessments:response", args=[self.response_a.pk])
        r = self.client.get(home)
        self.assertContains(r, "Start from your NPS 2021 answers")
        self.assertContains(
            r, reverse("assessments:start_from_previous", args=[self.response_a.pk])
        )
        r = self.client.post(
            reverse("assessments:start_from_previous", args=[self.response_a.pk]), follow=True
        )
        self.assertRedirects(r, home)
        self.assertContains(r, "59 answers copied from your NPS 2021 response")
        self.assertContains(r, "marked “carried forward” until you confirm it or change it")
        self.assertContains(r, "59 answers carried forward from NPS 2021")
        self.assertContains(r, "to confirm")
        self.assertNotContains(r, "Start from your NPS 2021 answers")  # no longer empty
        self.assertEqual(
            Answer.objects.filter(response=self.response_a, carried_forward=True).count(), 59
        )

    def test_people_who_are_not_the_lead_are_refused(self):
        for user in (self.alice, self.victor):
            r = self.start(user)
            self.assertEqual(r.status_code, 403)
            with self.assertRaises(PermissionDenied):
                services.do_start_from_previous(response=self.response_a, by=user)
        # A viewer sees the offer explained, without the button.
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, "Only your organisation's lead can do this.")
        self.assertNotContains(
            r, 'action="' + reverse("assessments:start_from_previous", args=[self.response_a.pk])
        )
        self.assertFalse(Answer.objects.filter(response=self.response_a).exists())

    def test_another_councils_lead_gets_nothing(self):
        self.client.force_login(self.charlie)
        for name, args in (
            ("assessments:start_from_previous", [self.response_a.pk]),
            ("assessments:confirm_area", [self.response_a.pk, "EC"]),
        ):
            r = self.client.post(reverse(name, args=args))
            self.assertEqual(r.status_code, 404)
        with self.assertRaises(PermissionDenied):
            services.do_start_from_previous(response=self.response_a, by=self.charlie)
        self.assertFalse(Answer.objects.filter(response=self.response_a).exists())

    def test_a_submitted_response_or_a_closed_round_is_not_changed(self):
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.SUBMITTED)
        self.response_a.refresh_from_db()
        with self.assertRaises(services.ResponseLocked):
            services.do_start_from_previous(response=self.response_a, by=self.bob)
        r = self.start()
        self.assertRedirects(r, reverse("assessments:response", args=[self.response_a.pk]))
        self.assertFalse(Answer.objects.filter(response=self.response_a).exists())

        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.DRAFT)
        Round.objects.filter(pk=self.round.pk).update(status=Round.Status.CLOSED)
        self.response_a.refresh_from_db()
        with self.assertRaises(services.ResponseLocked):
            services.do_start_from_previous(response=self.response_a, by=self.bob)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertNotContains(r, "Start from your")
        self.assertFalse(Answer.objects.filter(response=self.response_a).exists())

    def test_nothing_is_offered_without_a_submitted_previous_response(self):
        # Council B's 2021 response was never submitted.
        Response.objects.create(round=self.previous, organisation=self.council_b)
        self.assertIsNone(services.previous_response(self.response_b))
        with self.assertRaises(services.NoPreviousResponse):
            services.do_start_from_previous(response=self.response_b, by=self.charlie)
        self.client.force_login(self.charlie)
        r = self.client.get(reverse("assessments:response", args=[self.response_b.pk]))
        self.assertNotContains(r, "Start from your")
        r = self.client.post(reverse("assessments:start_from_previous", args=[self.response_b.pk]))
        self.assertRedirects(r, reverse("assessments:response", args=[self.response_b.pk]))
        self.assertFalse(Answer.objects.filter(response=self.response_b).exists())
        # Nor for a round that follows none.
        Round.objects.filter(pk=self.round.pk).update(previous_round=None)
        self.response_a.refresh_from_db()
        self.assertIsNone(services.previous_response(self.response_a))

    def test_a_response_reopened_since_gives_its_last_submitted_answers(self):
        Submission.objects.create(
            response=self.previous_a, number=1, submitted_at=timezone.now(),
            snapshot={"details": {}, "answers": {
                "EC1": {"current_level": 5, "target_level": None, "target_date": "2024-01-01",
                        "priority": "none", "comment": "As submitted", "could_share": True,
                        "want_support": False},
            }},
        )  # fmt: skip
        Response.objects.filter(pk=self.previous_a.pk).update(status=Response.Status.DRAFT)
        Answer.objects.filter(response=self.previous_a, value_code__code="EC1").update(
            current_level=1, comment="Edited after reopening"
        )
        self.assertEqual(services.do_start_from_previous(response=self.response_a, by=self.bob), 1)
        a = self.answers()["EC1"]
        self.assertEqual(
            (a.current_level, a.target_date, a.comment, a.could_share, a.carried_forward),
            (5, dt.date(2024, 1, 1), "As submitted", True, True),
        )

    def _newer_version_round(self):
        data = yaml.safe_load(NPS_2018.read_text(encoding="utf-8"))
        data["version"]["label"] = "2025"
        data["version"]["name"] = "NPS 2025"
        data["themes"][0]["key_areas"][0]["value_codes"][0]["code"] = "EC9"  # EC1 renumbered
        data["themes"][0]["key_areas"][0]["value_codes"][1]["title"] = "A reworded title"
        newer = load_framework_data(data, source_name="nps-2025.yaml").version
        self.assertNotEqual(newer.pk, self.framework.pk)
        rnd, (response,) = create_open_round(newer, [self.council_a], name="NPS 2025")
        rnd.previous_round = self.round  # follows a round on the 2018 version
        rnd.save(update_fields=["previous_round"])
        self.response_a.delete()  # Council A's response to that round, submitted instead:
        submitted_response(self.round, self.council_a, self.codes, level=3)
        return newer, response

    def test_another_framework_version_without_a_mapping_offers_nothing(self):
        """Issue 13: answers were copied across framework versions by code alone."""
        newer, response = self._newer_version_round()
        self.assertIsNone(services.previous_response(response))
        with self.assertRaises(services.NoPreviousResponse):
            services.do_start_from_previous(response=response, by=self.bob)
        self.assertEqual(self.answers(response), {})

    def test_another_framework_version_with_a_mapping_takes_the_mapped_codes(self):
        from pathlib import Path

        from diagnostic.frameworks.mappings import load_mapping_file

        newer, response = self._newer_version_round()
        pairs = {vc.code: vc.code for vc in self.codes if vc.code not in ("EC1", "EC3")}
        pairs["EC1"] = "EC9"  # EC3 has no counterpart
        path = Path("/tmp") / (self.id().replace(".", "_") + ".yaml")
        path.write_text(
            yaml.safe_dump({"mapping": {"from": {"framework": "nps", "version": "2018"},
                                        "to": {"framework": "nps", "version": "2025"}},
                            "value_codes": pairs}, explicit_end=True),
            encoding="utf-8",
        )  # fmt: skip
        load_mapping_file(path)
        self.assertIsNotNone(services.previous_response(response))
        self.assertEqual(services.do_start_from_previous(response=response, by=self.bob), 58)
        answers = self.answers(response)
        self.assertNotIn("EC1", answers)
        self.assertNotIn("EC3", answers)
        self.assertEqual({a.value_code.version_id for a in answers.values()}, {newer.pk})
        self.assertEqual(answers["EC9"].current_level, 3)  # EC1's answer, where it now lives
        self.assertEqual(answers["EC2"].current_level, 3)
        self.assertTrue(answers["EC2"].carried_forward)

    # --- Confirming -----------------------------------------------------------------------
    def test_confirming_clears_the_flag_and_moves_each_answer_to_a_new_version(self):
        services.do_start_from_previous(response=self.response_a, by=self.bob)
        ec = [vc.code for vc in self.codes if vc.key_area.code == "EC"]
        count = services.do_confirm_carried_forward(
            response=self.response_a, by=self.bob, value_codes=ec
        )
        self.assertEqual(count, len(ec))
        answers = self.answers()
        for code, a in answers.items():
            if code in ec:
                self.assertEqual((a.carried_forward, a.version, a.updated_by), (False, 2, self.bob))
                self.assertEqual(a.current_level, 2)  # the values stay as they were
            else:
                self.assertEqual((a.carried_forward, a.version), (True, 1))
        event = AuditEvent.objects.get(action="answers.confirmed")
        self.assertEqual((event.actor, event.detail["value_codes"]), (self.bob, ec))
        # The rest at once; then nothing is left.
        rest = services.do_confirm_carried_forward(response=self.response_a, by=self.bob)
        self.assertEqual(rest, 59 - len(ec))
        self.assertFalse(
            Answer.objects.filter(response=self.response_a, carried_forward=True).exists()
        )
        self.assertEqual(
            services.do_confirm_carried_forward(response=self.response_a, by=self.bob), 0
        )
        with self.assertRaises(PermissionDenied):
            services.do_confirm_carried_forward(response=self.response_a, by=self.alice)

    def test_a_stale_form_is_refused_after_a_confirmation(self):
        services.do_start_from_previous(response=self.response_a, by=self.bob)
        services.do_confirm_carried_forward(response=self.response_a, by=self.bob)
        with self.assertRaises(services.StaleAnswer):
            services.do_save_answer(
                response=self.response_a, value_code=self.codes[0], by=self.bob,
                expected_version=1, current_level=5,
            )  # fmt: skip

    def test_saving_an_item_unchanged_confirms_it(self):
        services.do_start_from_previous(response=self.response_a, by=self.bob)
        self.client.force_login(self.bob)
        r = self.client.get(reverse("assessments:area", args=[self.response_a.pk, "EC"]))
        self.assertContains(r, "Carried forward from NPS 2021, not yet confirmed.")
        self.assertContains(r, "press Save to confirm it as it is")
        payload = self.answer_payload(
            "EC1", version=1, current_level=2, target_level=3, target_date="2023-04-01",
            priority="medium", comment="EC1 in 2021", want_support="on",
        )  # fmt: skip
        r = self.client.post(
            reverse("assessments:save_answer", args=[self.response_a.pk, "EC1"]), payload,
            headers=HTMX,
        )  # fmt: skip
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, 'id="carried-EC1" hx-swap-oob="true"')  # the notice goes
        a = self.answers()["EC1"]
        self.assertEqual((a.carried_forward, a.version, a.current_level), (False, 2, 2))
        self.assertEqual(
            (a.comment, a.target_date, a.want_support), ("EC1 in 2021", dt.date(2023, 4, 1), True)
        )

    def test_the_lead_confirms_a_whole_key_area_from_the_questionnaire(self):
        services.do_start_from_previous(response=self.response_a, by=self.bob)
        area = reverse("assessments:area", args=[self.response_a.pk, "EC"])
        confirm = reverse("assessments:confirm_area", args=[self.response_a.pk, "EC"])
        self.client.force_login(self.victor)  # a viewer reads the draft, cannot confirm
        r = self.client.get(area)
        self.assertContains(r, "not yet confirmed")
        self.assertNotContains(r, "Confirm all carried-forward answers in this key area")
        self.assertEqual(self.client.post(confirm).status_code, 403)
        self.client.force_login(self.bob)
        r = self.client.get(area)
        self.assertContains(r, "Confirm all carried-forward answers in this key area")
        r = self.client.post(confirm, follow=True)
        self.assertRedirects(r, area)
        ec = sum(1 for vc in self.codes if vc.key_area.code == "EC")
        self.assertContains(r, f"Confirmed {ec} carried-forward answers in")
        self.assertNotContains(r, "Confirm all carried-forward answers in this key area")
        waiting = Answer.objects.filter(response=self.response_a, carried_forward=True)
        self.assertFalse(waiting.filter(value_code__key_area__code="EC").exists())
        self.assertEqual(waiting.count(), 59 - ec)
        self.assertEqual(self.client.get(confirm).status_code, 405)
        # The home page counts what is left, by key area.
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, f"{59 - ec} answers carried forward from NPS 2021")

    def test_unconfirmed_answers_block_submission(self):
        services.do_start_from_previous(response=self.response_a, by=self.bob)
        Response.objects.filter(pk=self.response_a.pk).update(
            officer_name="Pat Lee", signed_off_name="Sam Roe", signed_off_role="Director",
            signed_off_on=timezone.localdate(),
        )  # fmt: skip
        self.response_a.refresh_from_db()
        missing = services.missing_items(self.response_a)
        self.assertEqual(len(missing), 59)
        self.assertTrue(
            all(m.what.endswith(": confirm the answer carried forward") for m in missing)
        )
        with self.assertRaises(services.Incomplete):
            services.do_submit(response=self.response_a, by=self.bob)
        services.do_confirm_carried_forward(
            response=self.response_a, by=self.bob, value_codes=self.codes[:58]
        )
        self.assertEqual(
            [m.anchor for m in services.missing_items(self.response_a)], [self.codes[58].code]
        )
        services.do_confirm_carried_forward(response=self.response_a, by=self.bob)
        self.assertEqual(services.missing_items(self.response_a), [])
        services.do_submit(response=self.response_a, by=self.bob)
        self.response_a.refresh_from_db()
        self.assertTrue(self.response_a.is_submitted)
        with self.assertRaises(services.ResponseLocked):
            services.do_confirm_carried_forward(response=self.response_a, by=self.bob)

"""The lead adds, edits, re-statuses and deletes actions; bad or stale input changes nothing."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError

from diagnostic.assessments.models import Response
from diagnostic.assessments.testing import create_open_round
from diagnostic.audit.models import AuditEvent
from diagnostic.plans import services
from diagnostic.plans.models import Action, Origin, Status
from diagnostic.plans.testing import PlanTestCase, make_action


def form(**overrides) -> dict:
    data = {
        "title": "Publish a contract register",
        "description": "Every contract over £5,000, refreshed monthly.",
        "owner": "Sam Jones, Category Manager",
        "due_date": "2027-06-30",
        "status": "in_progress",
        "value_codes": ["EC1", "WP2"],
        "request_id": "req-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class CreateActionTests(PlanTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    def mine(self):
        return Action.objects.filter(response=self.response_a)

    def test_the_lead_adds_an_action_of_their_own(self):
        r = self.client.get(self.plan_url("plans:new"))
        self.assertContains(r, "Add an action")
        self.assertContains(r, 'name="request_id"')
        r = self.client.post(self.plan_url("plans:new"), form())
        action = self.mine().get()
        self.assertRedirects(r, self.plan_url() + f"#action-{action.pk}")
        self.assertEqual(
            (action.title, action.owner, action.due_date, action.status, action.origin),
            ("Publish a contract register", "Sam Jones, Category Manager", dt.date(2027, 6, 30),
             "in_progress", "own"),
        )  # fmt: skip
        self.assertEqual(sorted(vc.code for vc in action.value_codes.all()), ["EC1", "WP2"])
        self.assertTrue(all(vc.version_id == self.framework.pk for vc in action.value_codes.all()))
        self.assertEqual(
            (action.version, action.created_by, action.updated_by), (1, self.bob, self.bob)
        )
        self.assertEqual(AuditEvent.objects.get(action="action.created").detail["value_codes"],
                         ["EC1", "WP2"])  # fmt: skip

    def test_sending_the_same_form_twice_adds_one_action(self):
        self.client.post(self.plan_url("plans:new"), form())
        self.client.post(self.plan_url("plans:new"), form())
        self.assertEqual(self.mine().count(), 1)
        self.client.post(self.plan_url("plans:new"), form(request_id="req-2"))
        self.assertEqual(self.mine().count(), 2)

    BAD = [
        ({"title": ""}, "title", "Enter what the action is."),
        ({"title": "   "}, "title", "Enter what the action is."),
        ({"title": "x" * 201}, "title", "Keep the action to 200 characters or fewer."),
        ({"due_date": "2027-02-31"}, "due_date", "Enter the due date as a real date."),
        ({"due_date": "next Tuesday"}, "due_date", "Enter the due date as a real date."),
        ({"due_date": "1850-01-01"}, "due_date", "Enter a due date between 2000 and 2100."),
        ({"value_codes": ["EC1", "ZZ9"]}, "value_codes", "Choose value codes of this round's framework."),
        ({"status": "finished"}, "status", "Choose a status from the list."),
        ({"status": ""}, "status", "Choose a status from the list."),
        ({"owner": "o" * 151}, "owner", "Keep the owner to 150 characters or fewer."),
    ]  # fmt: skip

    def test_bad_input_is_explained_and_nothing_is_stored(self):
        for overrides, field, message in self.BAD:
            with self.subTest(overrides=str(overrides)[:60]):
                r = self.client.post(self.plan_url("plans:new"), form(**overrides))
                self.assertEqual(r.status_code, 400)
                self.assertIn(message, r.context["form"].errors[field])
                self.assertContains(r, "There is a problem", status_code=400)
                self.assertContains(r, message.replace("'", "&#x27;"), status_code=400)
        self.assertFalse(self.mine().exists())

    def test_an_unknown_value_code_keeps_the_boxes_ticked_and_links_the_error(self):
        r = self.client.post(self.plan_url("plans:new"), form(value_codes=["EC1", "ZZ9"]))
        self.assertContains(r, 'href="#id_value_codes_0"', status_code=400)
        self.assertContains(r, 'value="EC1" id="id_value_codes_0" checked', status_code=400)

    def test_extra_fields_have_no_effect(self):
        """Mass assignment (ASVS 15.3.3): origin, response, version, position are not taken."""
        self.client.post(
            self.plan_url("plans:new"),
            form(origin="carried_forward", response=str(self.response_b.pk), version="99",
                 position="7", suggestion_key="WP2", created_by=str(self.erin.pk)),
        )  # fmt: skip
        action = self.mine().get()
        self.assertEqual(
            (action.origin, action.version, action.position, action.suggestion_key, action.created_by),
            (Origin.OWN, 1, 1, "", self.bob),
        )  # fmt: skip
        self.assertEqual(Action.objects.filter(response=self.response_b).count(), 1)

    def test_the_service_checks_the_same_rules(self):
        with self.assertRaises(ValidationError) as caught:
            services.do_create_action(response=self.response_a, by=self.bob, title="",
                                      status="finished", due_date="2027-01-01",
                                      value_codes=["ZZ9"])  # fmt: skip
        self.assertEqual(
            set(caught.exception.message_dict), {"title", "status", "due_date", "value_codes"}
        )
        with self.assertRaises(PermissionDenied):
            services.do_create_action(response=self.response_a, by=self.alice, title="Mine")
        with self.assertRaises(PermissionDenied):
            services.do_create_action(response=self.response_a, by=self.erin, title="Mine")
        with self.assertRaises(TypeError):
            services.do_update_action(action=self.action_b, by=self.charlie, expected_version=1,
                                      origin="own")  # fmt: skip
        self.assertFalse(self.mine().exists())

    def test_value_codes_of_another_framework_version_are_refused(self):
        from diagnostic.frameworks.loaders import (
            NPS_2018,
            load_framework_data,
            parse_framework_text,
        )

        data = parse_framework_text(NPS_2018.read_text())
        data["version"]["name"] = "NPS 2018 (revised)"
        other = load_framework_data(data).version
        foreign = other.valuecodes.get(code="EC1")
        with self.assertRaises(ValidationError):
            services.do_create_action(response=self.response_a, by=self.bob, title="T",
                                      value_codes=[foreign])  # fmt: skip
        # By code, EC1 means this round's EC1.
        action = services.do_create_action(response=self.response_a, by=self.bob, title="T",
                                           value_codes=["EC1"])  # fmt: skip
        self.assertEqual(action.value_codes.get().version_id, self.framework.pk)


class EditActionTests(PlanTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)
        self.action = make_action(self.response_a, "Refresh the contract register", codes=["EC1"],
                                  owner="Pat Lee", due_date=dt.date(2027, 1, 31))  # fmt: skip
        self.url = self.plan_url("plans:edit", self.action.pk)

    def edit(self, version=1, **overrides):
        data = form(title="Refresh and publish the register", version=str(version), request_id=None)
        data.update(overrides)
        return self.client.post(self.url, data)

    def test_the_edit_page_holds_the_action(self):
        r = self.client.get(self.url)
        self.assertContains(r, 'value="Refresh the contract register"')
        self.assertContains(r, 'value="Pat Lee"')
        self.assertContains(r, 'value="2027-01-31"')
        self.assertContains(r, 'value="EC1" id="id_value_codes_0" checked')
        self.assertContains(r, 'name="version" value="1"')

    def test_a_save_at_the_current_version_is_applied(self):
        r = self.edit()
        self.assertRedirects(r, self.plan_url() + f"#action-{self.action.pk}")
        self.action.refresh_from_db()
        self.assertEqual(
            (self.action.title, self.action.status, self.action.version, self.action.updated_by),
            ("Refresh and publish the register", "in_progress", 2, self.bob),
        )
        self.assertEqual(sorted(vc.code for vc in self.action.value_codes.all()), ["EC1", "WP2"])
        event = AuditEvent.objects.get(action="action.updated")
        self.assertEqual(
            event.detail["fields"],
            ["description", "due_date", "owner", "status", "title", "value_codes"],
        )
        self.assertEqual(
            (event.detail["status"], event.detail["was"]), ("in_progress", "not_started")
        )

    def test_a_stale_save_is_refused_with_both_versions_shown(self):
        """QUALITY: no lost updates: HTTP 409 with the saved value shown, nothing overwritten."""
        services.do_update_action(action=self.action, by=self.bob, expected_version=1,
                                  owner="Someone Else", status="done")  # fmt: skip
        r = self.edit(version=1, owner="My Owner")
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "Someone else changed this action", status_code=409)
        self.assertContains(r, "<td>Someone Else</td>", status_code=409)
        self.assertContains(r, "<td>My Owner</td>", status_code=409)
        self.assertContains(r, "<td>Done</td><td>In progress</td>", status_code=409)
        self.assertContains(r, 'name="version" value="2"', status_code=409)  # theirs, to overwrite
        self.assertContains(r, 'value="My Owner"', status_code=409)  # mine, still in the form
        self.action.refresh_from_db()
        self.assertEqual((self.action.owner, self.action.status, self.action.version),
                         ("Someone Else", "done", 2))  # fmt: skip
        # Saving again from that page keeps mine, deliberately.
        r = self.edit(version=2, owner="My Owner")
        self.assertEqual(r.status_code, 302)
        self.action.refresh_from_db()
        self.assertEqual((self.action.owner, self.action.version), ("My Owner", 3))

    def test_resending_a_save_already_applied_is_harmless(self):
        self.edit()
        r = self.edit()  # same data, old version: it is already what is saved
        self.assertEqual(r.status_code, 302)
        self.action.refresh_from_db()
        self.assertEqual(self.action.version, 2)
        self.assertEqual(AuditEvent.objects.filter(action="action.updated").count(), 1)

    def test_bad_input_when_editing_changes_nothing(self):
        for overrides in [{"title": ""}, {"due_date": "31/31/2027"}, {"status": "nope"},
                          {"value_codes": ["NOPE"]}, {"version": ""}]:  # fmt: skip
            with self.subTest(overrides=overrides):
                self.assertEqual(self.edit(**overrides).status_code, 400)
        self.action.refresh_from_db()
        self.assertEqual(
            (self.action.title, self.action.version), ("Refresh the contract register", 1)
        )

    def test_the_quick_status_change(self):
        url = self.plan_url("plans:status", self.action.pk)
        r = self.client.post(url, {"status": "done", "version": "1"})
        self.assertRedirects(r, self.plan_url() + f"#action-{self.action.pk}")
        self.action.refresh_from_db()
        self.assertEqual((self.action.status, self.action.version), ("done", 2))
        # Stale: refused, with what it is now.
        r = self.client.post(url, {"status": "dropped", "version": "1"}, follow=True)
        self.assertContains(r, "its status is now Done. Your change to Dropped was not saved")
        # Not in the list: refused.
        r = self.client.post(url, {"status": "finished", "version": "2"}, follow=True)
        self.assertContains(r, "Choose a status from the list")
        self.action.refresh_from_db()
        self.assertEqual((self.action.status, self.action.version), ("done", 2))

    def test_deleting_asks_first_and_refuses_a_stale_page(self):
        url = self.plan_url("plans:delete", self.action.pk)
        self.assertContains(self.client.get(url), "set its status to Dropped")
        services.do_update_action(action=self.action, by=self.bob, expected_version=1, owner="X")
        r = self.client.post(url, {"version": "1"})
        self.assertRedirects(r, self.url)
        self.assertTrue(Action.objects.filter(pk=self.action.pk).exists())
        r = self.client.post(url, {"version": "2"})
        self.assertRedirects(r, self.plan_url())
        self.assertFalse(Action.objects.filter(pk=self.action.pk).exists())
        self.assertTrue(AuditEvent.objects.filter(action="action.deleted").exists())

    def test_the_plan_stays_editable_after_submission_and_closing(self):
        Response.objects.filter(pk=self.response_a.pk).update(status="submitted")
        self.round.closes_on = self.round.opens_on
        self.round.save()
        self.assertEqual(self.edit().status_code, 302)

    def test_an_action_is_reached_only_through_its_own_response(self):
        """An action id under another response's URL is 404, even the same council's."""
        _, (other_a,) = create_open_round(self.framework, [self.council_a], name="NPS 2030")
        for url in [
            self.plan_url("plans:edit", self.action.pk, response=other_a),
            self.plan_url("plans:edit", self.action_b.pk),
            self.plan_url("plans:delete", self.action_b.pk),
        ]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        r = self.client.post(self.plan_url("plans:status", self.action_b.pk),
                             {"status": "done", "version": "1"})  # fmt: skip
        self.assertEqual(r.status_code, 404)
        self.action_b.refresh_from_db()
        self.assertEqual(self.action_b.status, Status.NOT_STARTED)

"""A new round's plan starts from the previous round's, with each action's status."""

import datetime as dt
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from diagnostic.assessments.models import Answer, Round
from diagnostic.assessments.testing import create_open_round
from diagnostic.audit.models import AuditEvent
from diagnostic.frameworks.loaders import NPS_2018, load_framework_data, parse_framework_text
from diagnostic.frameworks.mappings import load_mapping_file
from diagnostic.frameworks.models import VersionMapping
from diagnostic.plans import queries, services
from diagnostic.plans.models import Action, Origin, Status
from diagnostic.plans.testing import PlanTestCase, make_action


def framework_without_wp2(*, mapped: bool = True):
    """A new version of NPS 2018 in which WP2 became WP7: its actions lose that link. With
    `mapped`, a mapping says every other value code is the same statement in both (issue 13:
    without one, nothing corresponds)."""
    data = parse_framework_text(NPS_2018.read_text())
    data["version"]["name"] = "NPS 2018 (revised)"
    codes = []
    for theme in data["themes"]:
        for area in theme["key_areas"]:
            for vc in area["value_codes"]:
                if vc["code"] == "WP2":
                    vc["code"] = "WP7"
                else:
                    codes.append(vc["code"])
    version = load_framework_data(data).version
    if mapped:
        path = Path("/tmp") / f"plans-mapping-{version.pk}-{version.slug}.yaml"
        path.write_text(yaml.safe_dump({
            "mapping": {"from": {"framework": "nps", "version": "2018"},
                        "to": {"framework": "nps", "version": version.slug}},
            "value_codes": {c: c for c in codes},
        }, explicit_end=True), encoding="utf-8")  # fmt: skip
        load_mapping_file(path)
    return version


class CarryForwardTests(PlanTestCase):
    """The fixture's round is last year's; the new round uses a revised framework version."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Round.objects.filter(pk=cls.round.pk).update(status=Round.Status.CLOSED)
        cls.old_open = make_action(cls.response_a, "Brief ward members", codes=["EC1", "EC3"],
                                   owner="Sam Jones", due_date=dt.date(2027, 6, 30),
                                   status=Status.IN_PROGRESS, origin=Origin.SUGGESTED,
                                   suggestion_key="EC1+EC3", description="Monthly.")  # fmt: skip
        cls.old_done = make_action(cls.response_a, "Review frameworks", codes=["WP2", "EC2"],
                                   status=Status.DONE)  # fmt: skip
        cls.old_dropped = make_action(cls.response_a, "Old idea", status=Status.DROPPED)
        cls.new_version = framework_without_wp2()
        cls.new_round, (cls.new_a, cls.new_b) = create_open_round(
            cls.new_version, [cls.council_a, cls.council_b], name="NPS 2029"
        )
        Round.objects.filter(pk=cls.new_round.pk).update(previous_round=cls.round)
        cls.new_round.refresh_from_db()

    def carry(self, by=None, **kw):
        kw.setdefault("from_response", self.response_a)
        kw.setdefault("to_response", self.new_a)
        return services.carry_forward(by=by or self.bob, **kw)

    def test_it_copies_every_action_not_dropped_with_its_status(self):
        result = self.carry()
        new = {a.title: a for a in Action.objects.filter(response=self.new_a)}
        self.assertEqual(set(new), {"Brief ward members", "Review frameworks"})
        self.assertEqual(
            [a.title for a in result.actions], ["Brief ward members", "Review frameworks"]
        )
        brief = new["Brief ward members"]
        self.assertEqual(
            (brief.status, brief.owner, brief.due_date, brief.description, brief.origin,
             brief.carried_from, brief.suggestion_key, brief.version, brief.created_by),
            (Status.IN_PROGRESS, "Sam Jones", dt.date(2027, 6, 30), "Monthly.",
             Origin.CARRIED_FORWARD, self.old_open, "", 1, self.bob),
        )  # fmt: skip
        self.assertEqual(new["Review frameworks"].status, Status.DONE)
        # Value codes are this round's rows, matched by code; WP2 no longer exists.
        codes = {a.title: sorted(vc.code for vc in a.value_codes.all()) for a in new.values()}
        self.assertEqual(
            codes, {"Brief ward members": ["EC1", "EC3"], "Review frameworks": ["EC2"]}
        )
        self.assertTrue(
            all(
                vc.version_id == self.new_version.pk
                for a in new.values()
                for vc in a.value_codes.all()
            )
        )
        self.assertEqual(result.unmapped, {new["Review frameworks"].pk: ["WP2"]})
        # The old plan is as it was.
        self.old_done.refresh_from_db()
        self.assertEqual(
            [vc.code for vc in self.old_done.value_codes.order_by("position")], ["EC2", "WP2"]
        )
        event = AuditEvent.objects.get(action="action_plan.carried_forward")
        self.assertEqual((event.detail["actions"], event.detail["unmapped"]), (2, 1))

    def test_without_a_mapping_no_value_code_follows_an_action_across_versions(self):
        """Issue 13: codes alone do not say two versions' value codes are the same statement."""
        VersionMapping.objects.all().delete()
        result = self.carry()
        new = {a.title: a for a in Action.objects.filter(response=self.new_a)}
        self.assertEqual(set(new), {"Brief ward members", "Review frameworks"})
        self.assertEqual([vc for a in new.values() for vc in a.value_codes.all()], [])
        self.assertEqual(
            result.unmapped,
            {new["Brief ward members"].pk: ["EC1", "EC3"],
             new["Review frameworks"].pk: ["EC2", "WP2"]},
        )  # fmt: skip

    def test_running_it_again_copies_only_what_is_new(self):
        self.carry()
        self.assertEqual(self.carry().actions, [])
        make_action(self.response_a, "Added late", codes=["EC5"])
        self.assertEqual([a.title for a in self.carry().actions], ["Added late"])
        self.assertEqual(Action.objects.filter(response=self.new_a).count(), 3)
        positions = list(
            Action.objects.filter(response=self.new_a).values_list("position", flat=True)
        )
        self.assertEqual(sorted(positions), [1, 2, 3])

    def test_only_the_lead_or_a_national_admin_and_only_within_one_council(self):
        for user in [self.alice, self.victor, self.nina, self.charlie, self.dana]:
            with self.subTest(user=user.email), self.assertRaises(PermissionDenied):
                self.carry(by=user)
        with self.assertRaises(ValidationError):
            self.carry(to_response=self.new_b)
        with self.assertRaises(ValidationError):
            self.carry(to_response=self.response_a)
        self.assertFalse(Action.objects.filter(response__in=[self.new_a, self.new_b]).exists())
        self.assertEqual(len(self.carry(by=self.erin).actions), 2)  # when starting a round

    def test_the_new_plan_suggests_only_what_open_actions_do_not_cover(self):
        self.carry()
        vc = {v.code: v for v in self.new_version.valuecodes.all()}
        for code, current, target in [("EC1", 2, 4), ("EC2", 1, 3), ("EC5", 2, 3)]:
            Answer.objects.create(response=self.new_a, value_code=vc[code], current_level=current,
                                  target_level=target, priority="high", version=1)  # fmt: skip
        # EC1 is served by the carried, in-progress action; EC2's carried action is done.
        self.assertEqual([s.key for s in queries.suggestions_for(self.new_a)], ["EC2+EC5"])

    def test_the_plan_page_offers_it_to_the_lead(self):
        url = reverse("plans:plan", args=[self.new_a.pk])
        self.client.force_login(self.victor)
        self.assertNotContains(self.client.get(url), "Carry forward")
        self.assertEqual(
            self.client.post(reverse("plans:carry_forward", args=[self.new_a.pk])).status_code, 403
        )
        self.client.force_login(self.bob)
        r = self.client.get(url)
        self.assertContains(r, "2 actions from NPS 2026 are not yet in this plan")
        r = self.client.post(reverse("plans:carry_forward", args=[self.new_a.pk]), follow=True)
        self.assertContains(r, "Carried forward 2 actions from NPS 2026, with their statuses.")
        self.assertContains(r, "This round&#x27;s framework has no value code WP2")
        self.assertNotContains(r, "Carry forward 2 actions")
        self.assertContains(r, "Carried forward from the previous round")
        # Again: nothing left to do.
        r = self.client.post(reverse("plans:carry_forward", args=[self.new_a.pk]), follow=True)
        self.assertContains(r, "There is nothing to carry forward")
        self.assertEqual(Action.objects.filter(response=self.new_a).count(), 2)

    def test_a_round_without_a_previous_one_offers_nothing(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("plans:plan", args=[self.response_a.pk]))
        self.assertIsNone(r.context["offer"])
        self.assertIsNone(queries.previous_response(self.response_a))
        self.assertEqual(queries.previous_response(self.new_a), self.response_a)

"""Advisers, offers planned from the ranking, invitations by email, replies and attendance."""

import datetime as dt
import io

from django.core import mail
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnostic.accounts.models import Role
from diagnostic.audit.models import AuditEvent
from diagnostic.support import services
from diagnostic.support.models import Adviser, Invitation, Offer, quarter_of
from diagnostic.support.testing import SupportTestCase
from diagnostic.testing import make_user

SOON = timezone.localdate() + dt.timedelta(days=7)


def adviser(name="Ada Lowe", days=5, regions=(), areas=()):
    a = Adviser.objects.create(name=name, kind="lga", days_per_quarter=days)
    a.regions.set(regions)
    a.key_areas.set(areas)
    return a


class OfferTestCase(SupportTestCase):
    def setUp(self):
        super().setUp()
        self.ada = adviser(regions=[self.north_west], areas=[self.ec])
        # N1 and N2 have leads; N1 two of them.
        self.lead_n1 = make_user("lead-n1", "Nell One", Role.LEAD, organisation=self.councils["N1"])
        self.lead_n1b = make_user(
            "lead-n1b", "Ned One", Role.LEAD, organisation=self.councils["N1"]
        )
        self.lead_n2 = make_user("lead-n2", "Nora Two", Role.LEAD, organisation=self.councils["N2"])

    def offer_url(self, item=None):
        return reverse("support:offer_new", args=[(item or self.ec).pk])

    def payload(self, **extra):
        data = {"kind": "workshop", "title": "Working with councillors", "description": "",
                "starts_on": SOON.isoformat(), "ends_on": SOON.isoformat(), "capacity": "5",
                "adviser": str(self.ada.pk), "adviser_days": "2",
                "councils": [str(self.councils["N1"].pk), str(self.councils["N2"].pk)]}  # fmt: skip
        data.update(extra)
        return data

    def plan(self, user=None, **extra):
        self.client.force_login(user or self.dana)
        return self.client.post(self.offer_url(), self.payload(**extra))


class PlanFromRankingTests(OfferTestCase):
    def test_the_form_offers_the_councils_needing_support_that_can_be_named(self):
        self.client.force_login(self.dana)
        r = self.client.get(self.offer_url())
        # A, N1, N2 need support on EC in the North West; Council A did not consent to sharing.
        choices = [label for _, label in r.context["form"].fields["councils"].choices]
        self.assertEqual(choices, ["N1 District Council: EC1 (gap 4)",
                                   "N2 District Council: EC1 (wants support)"])  # fmt: skip
        self.assertEqual(r.context["form"].initial["councils"],
                         [self.councils["N1"].pk, self.councils["N2"].pk])  # fmt: skip

    def test_the_national_admin_chooses_from_every_council_in_the_region(self):
        self.client.force_login(self.erin)
        r = self.client.get(self.offer_url(), {"region": self.north_west.pk})
        names = [label.split(":")[0] for _, label in r.context["form"].fields["councils"].choices]
        self.assertEqual(names, ["Council A Metropolitan Borough Council", "N1 District Council",
                                 "N2 District Council"])  # fmt: skip

    def test_planning_stores_the_offer_and_its_chosen_councils_and_books_the_days(self):
        r = self.plan()
        offer = Offer.objects.get()
        self.assertRedirects(r, reverse("support:offer", args=[offer.pk]))
        self.assertEqual((offer.region, offer.key_area, offer.adviser_days, offer.round),
                         (self.north_west, self.ec, 2, self.round))  # fmt: skip
        self.assertEqual(
            sorted(offer.invitations.values_list("organisation__short_name", "status")),
            [("N1", "chosen"), ("N2", "chosen")],
        )
        self.assertTrue(AuditEvent.objects.filter(action="support.offer_created").exists())
        # Ada's free days this quarter: 5 − 2 booked, if the offer starts in this quarter.
        from diagnostic.support.queries import adviser_facts

        free = adviser_facts(self.framework.pk)[0].days
        same_quarter = quarter_of(SOON) == quarter_of(timezone.localdate())
        self.assertEqual(free, 3 if same_quarter else 5)

    def test_councils_not_offered_cannot_be_slipped_in(self):
        r = self.plan(councils=[str(self.councils["A"].pk)])  # not consenting: not a choice
        self.assertEqual(r.status_code, 200)
        self.assertIn("councils", r.context["form"].errors)
        r = self.plan(councils=[str(self.council_b.pk)])  # another region
        self.assertIn("councils", r.context["form"].errors)
        self.assertFalse(Offer.objects.exists())

    def test_bad_input_is_refused_with_a_message_and_changes_nothing(self):
        earlier = (SOON - dt.timedelta(days=1)).isoformat()
        for extra, message in [
            ({"ends_on": earlier}, "cannot end before it starts"),
            ({"capacity": "1"}, "2 councils chosen but the offer has room for 1"),
            ({"adviser": ""}, "Choose the adviser whose days the offer books"),
            ({"capacity": "0"}, "greater than or equal to 1"),
            ({"kind": "party"}, "Select a valid choice"),
            ({"starts_on": "31/02/2026"}, "Enter a valid date"),
            ({"councils": []}, "This field is required"),
            ({"adviser_days": "-1"}, "greater than or equal to 0"),
            ({"title": ""}, "This field is required"),
        ]:
            with self.subTest(extra=extra):
                r = self.plan(**extra)
                self.assertEqual(r.status_code, 200)
                self.assertContains(r, message)
        self.assertFalse(Offer.objects.exists())

    def test_extra_fields_have_no_effect(self):
        self.plan(region=str(self.south_east.pk), round="999", created_by=str(self.erin.pk))
        offer = Offer.objects.get()
        self.assertEqual((offer.region, offer.created_by), (self.north_west, self.dana))

    def test_a_regional_lead_plans_only_in_their_region(self):
        # Asking for another region's ranking still plans in their own.
        self.client.force_login(self.dana)
        r = self.client.post(self.offer_url() + f"?region={self.south_east.pk}", self.payload())
        self.assertEqual(Offer.objects.get().region, self.north_west)
        self.assertEqual(r.status_code, 302)

    def test_the_national_analyst_and_organisation_roles_cannot_plan(self):
        for user in (self.nina, self.bob, self.charlie, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.offer_url()).status_code, 403, user.email)
            self.assertEqual(self.client.post(self.offer_url(), self.payload()).status_code, 403)
        self.assertFalse(Offer.objects.exists())


class AdviserDaysTests(OfferTestCase):
    def test_an_adviser_is_never_booked_past_their_days_in_a_quarter(self):
        self.assertEqual(self.plan(adviser_days="3").status_code, 302)
        r = self.plan(adviser_days="3", title="Second")
        self.assertEqual(r.status_code, 200)
        start = quarter_of(SOON)[0]
        self.assertContains(r, f"Ada Lowe has 2 of 5 days free between {start:%d %B}")
        self.assertContains(r, "this offer needs 3")
        self.assertEqual(Offer.objects.count(), 1)
        # Two days fit; in another quarter the days are fresh.
        self.assertEqual(self.plan(adviser_days="2", title="Third").status_code, 302)
        later = (SOON + dt.timedelta(days=100)).isoformat()
        r = self.plan(adviser_days="5", title="Later", starts_on=later, ends_on=later)
        self.assertEqual(r.status_code, 302)
        self.assertEqual(Offer.objects.count(), 3)

    def test_an_adviser_from_another_region_or_unavailable_is_refused(self):
        elsewhere = adviser("Ben Cole", regions=[self.south_east], areas=[self.ec])
        r = self.plan(adviser=str(elsewhere.pk))
        self.assertIn("adviser", r.context["form"].errors)  # not offered in the North West
        self.ada.active = False
        self.ada.save()
        r = self.plan()
        self.assertIn("adviser", r.context["form"].errors)
        with self.assertRaisesMessage(Exception, "Ben Cole does not work in North West"):
            services.do_create_offer(
                by=self.dana, round=self.round, region=self.north_west, kind="workshop",
                title="x", starts_on=SOON, ends_on=SOON, capacity=2, adviser=elsewhere,
                adviser_days=1, key_area=self.ec, organisations=[self.councils["N1"]],
            )  # fmt: skip

    def test_fewer_days_than_already_booked_cannot_be_saved(self):
        self.plan(adviser_days="4")
        self.client.force_login(self.dana)
        data = {"name": "Ada Lowe", "kind": "lga", "regions": [self.north_west.pk],
                "key_areas": [self.ec.pk], "days_per_quarter": "3", "active": "on"}  # fmt: skip
        r = self.client.post(reverse("support:adviser_edit", args=[self.ada.pk]), data)
        self.assertContains(r, "already has 4 days booked")
        self.ada.refresh_from_db()
        self.assertEqual(self.ada.days_per_quarter, 5)


class InvitationTests(OfferTestCase):
    def setUp(self):
        super().setUp()
        self.plan()
        self.offer = Offer.objects.get()

    def send(self):
        self.client.force_login(self.dana)
        return self.client.post(reverse("support:offer_invite", args=[self.offer.pk]))

    def test_sending_emails_every_lead_of_each_chosen_council_once(self):
        self.send()
        self.assertEqual(sorted(m.to[0] for m in mail.outbox),
                         ["lead-n1@example.org", "lead-n1b@example.org", "lead-n2@example.org"])  # fmt: skip
        inv = Invitation.objects.get(organisation=self.councils["N1"])
        self.assertEqual((inv.status, inv.emails_sent), ("invited", 2))
        message = mail.outbox[0]
        self.assertEqual(message.subject, "Support offered: Working with councillors")
        self.assertIn("Engaging councillors", message.body)
        self.assertIn(reverse("support:invitation", args=[message_inv(message).pk]), message.body)
        # Sending again emails nobody twice.
        self.send()
        self.assertEqual(len(mail.outbox), 3)

    def test_a_council_without_a_lead_stays_chosen(self):
        Invitation.objects.create(offer=self.offer, organisation=self.councils["N3"])
        self.send()
        self.assertEqual(Invitation.objects.get(organisation=self.councils["N3"]).status, "chosen")

    def test_the_lead_accepts_or_declines_and_nobody_else_can(self):
        self.send()
        inv = Invitation.objects.get(organisation=self.councils["N1"])
        url = reverse("support:invitation", args=[inv.pk])
        for user in (self.lead_n2, self.bob, self.dana, self.erin, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, 404, user.email)
            self.assertEqual(self.client.post(url, {"reply": "accept"}).status_code, 404)
        self.client.force_login(self.lead_n1)
        r = self.client.get(url)
        self.assertContains(r, "Working with councillors")
        self.client.post(url, {"reply": "accept"})
        inv.refresh_from_db()
        self.assertEqual((inv.status, inv.responded_by), ("accepted", self.lead_n1))
        self.client.post(url, {"reply": "decline"})
        inv.refresh_from_db()
        self.assertEqual(inv.status, "declined")
        r = self.client.post(url, {"reply": "maybe"}, follow=True)
        self.assertContains(r, "Choose accept or decline")
        inv.refresh_from_db()
        self.assertEqual(inv.status, "declined")

    def test_a_lead_finds_the_support_offered_to_their_council(self):
        url = reverse("support:my_invitations")
        self.client.force_login(self.lead_n1)
        self.assertEqual(self.client.get(url).context["invitations"], [])  # chosen, not invited
        self.send()  # as Dana
        self.client.force_login(self.lead_n1)
        r = self.client.get(url)
        self.assertEqual([i.organisation.short_name for i in r.context["invitations"]], ["N1"])
        self.assertContains(r, "Working with councillors")
        self.assertContains(r, 'href="/support/invitations/')
        for user in (self.bob, self.dana, self.erin, self.zoe):  # nothing offered to them
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).context["invitations"], [], user.email)

    def test_a_chosen_council_not_yet_invited_has_no_invitation_page(self):
        inv = Invitation.objects.get(organisation=self.councils["N1"])
        self.client.force_login(self.lead_n1)
        self.assertEqual(
            self.client.get(reverse("support:invitation", args=[inv.pk])).status_code, 404
        )

    def test_acceptances_stop_at_capacity(self):
        Offer.objects.filter(pk=self.offer.pk).update(capacity=1)
        self.send()
        first, second = Invitation.objects.order_by("organisation__short_name")
        self.client.force_login(self.lead_n1)
        self.client.post(reverse("support:invitation", args=[first.pk]), {"reply": "accept"})
        self.client.force_login(self.lead_n2)
        r = self.client.post(reverse("support:invitation", args=[second.pk]), {"reply": "accept"},
                             follow=True)  # fmt: skip
        self.assertContains(r, "every place on this offer has been taken")
        second.refresh_from_db()
        self.assertEqual(second.status, "invited")

    def test_attendance_is_recorded_for_invited_councils_only(self):
        self.send()
        n1, n2 = Invitation.objects.order_by("organisation__short_name")
        url = reverse("support:offer_attendance", args=[self.offer.pk])
        self.client.force_login(self.dana)
        self.client.post(url, {"attended": [n1.pk]})
        n1.refresh_from_db()
        n2.refresh_from_db()
        self.assertEqual((n1.attended, n2.attended), (True, False))
        other = Invitation.objects.create(offer=self.offer, organisation=self.councils["N3"])
        r = self.client.post(url, {"attended": [other.pk]}, follow=True)
        self.assertContains(r, "Tick only councils that were invited")
        other.refresh_from_db()
        self.assertIsNone(other.attended)

    def test_only_the_offers_region_lead_and_national_admin_manage_it(self):
        for user, read, manage in [(self.dana, 200, True), (self.erin, 200, True),
                                   (self.nina, 200, False), (self.sam, 404, False),
                                   (self.bob, 404, False)]:  # fmt: skip
            self.client.force_login(user)
            with self.subTest(user=user.email):
                r = self.client.get(reverse("support:offer", args=[self.offer.pk]))
                self.assertEqual(r.status_code, read)
                status = self.client.post(
                    reverse("support:offer_invite", args=[self.offer.pk])
                ).status_code
                self.assertEqual(status == 302, manage)
        self.assertTrue(mail.outbox)  # sent by the managers only
        self.assertEqual(AuditEvent.objects.filter(action="support.invitations_sent").count(), 2)

    def test_the_offers_export_has_take_up_and_neutralises_formulas(self):
        Offer.objects.filter(pk=self.offer.pk).update(title='=HYPERLINK("http://x")')
        self.send()
        self.client.force_login(self.erin)
        r = self.client.get(reverse("support:offers_xlsx"))
        wb = load_workbook(io.BytesIO(r.content))
        self.assertEqual(wb.sheetnames, ["Offers", "Take-up", "About"])
        offers = list(wb["Offers"].iter_rows(min_row=2, values_only=True))
        # As typed, but stored as text with the quote-prefix flag (lib/spreadsheets.py).
        self.assertEqual(offers[0][0], '=HYPERLINK("http://x")')
        self.assertTrue(wb["Offers"]["A2"].quotePrefix)
        self.assertEqual(offers[0][10:], (2, 2, 0, 0, 0))
        self.assertEqual(wb["Offers"]["A2"].data_type, "s")
        take_up = list(wb["Take-up"].iter_rows(min_row=2, values_only=True))
        self.assertEqual([row[1:] for row in take_up], [
            ("N1 District Council", self.councils["N1"].gss_code, "Invited", "not recorded"),
            ("N2 District Council", self.councils["N2"].gss_code, "Invited", "not recorded"),
        ])  # fmt: skip
        # A regional lead of another region downloads nothing of it.
        self.client.force_login(self.sam)
        wb = load_workbook(io.BytesIO(self.client.get(reverse("support:offers_xlsx")).content))
        self.assertEqual(list(wb["Offers"].iter_rows(min_row=2, values_only=True)), [])


def message_inv(message):
    import re

    pk = re.search(r"/support/invitations/(\d+)/", message.body).group(1)
    return Invitation.objects.get(pk=pk)


class AdviserRegisterTests(SupportTestCase):
    def data(self, **extra):
        d = {"name": "Hana Price", "email": "hana@example.org", "kind": "hub",
             "employer": "North West hub", "regions": [self.north_west.pk],
             "key_areas": [self.ec.pk], "value_codes": [], "days_per_quarter": "6", "active": "on"}  # fmt: skip
        d.update(extra)
        return d

    def test_a_regional_lead_registers_an_adviser_for_their_region(self):
        self.client.force_login(self.dana)
        r = self.client.post(reverse("support:adviser_new"), self.data())
        self.assertRedirects(r, reverse("support:advisers"))
        a = Adviser.objects.get()
        self.assertEqual((a.name, a.kind, a.days_per_quarter, list(a.regions.all()),
                          list(a.key_areas.all())),
                         ("Hana Price", "hub", 6, [self.north_west], [self.ec]))  # fmt: skip
        r = self.client.get(reverse("support:advisers"))
        self.assertContains(r, "Hana Price")
        self.assertEqual(r.context["advisers"][0].free_days, 6)

    def test_bad_input(self):
        self.client.force_login(self.dana)
        for extra, message in [
            ({"regions": [self.south_east.pk]}, "Select a valid choice"),
            ({"regions": []}, "This field is required"),
            ({"key_areas": []}, "Choose at least one key area or value code"),
            ({"days_per_quarter": "-2"}, "greater than or equal to 0"),
            ({"name": ""}, "This field is required"),
            ({"email": "not-an-email"}, "Enter a valid email address"),
        ]:
            with self.subTest(extra=extra):
                r = self.client.post(reverse("support:adviser_new"), self.data(**extra))
                self.assertContains(r, message)
        self.assertFalse(Adviser.objects.exists())

    def test_who_sees_and_changes_whom(self):
        nw = adviser("In the North West", regions=[self.north_west], areas=[self.ec])
        both = adviser("In both", regions=[self.north_west, self.south_east], areas=[self.ec])
        se = adviser("In the South East", regions=[self.south_east], areas=[self.ec])
        self.client.force_login(self.dana)
        names = [a.name for a in self.client.get(reverse("support:advisers")).context["advisers"]]
        self.assertEqual(names, ["In both", "In the North West"])
        self.assertEqual(
            self.client.get(reverse("support:adviser_edit", args=[nw.pk])).status_code, 200
        )
        for other in (both, se):  # another region's adviser, or shared with one: not Dana's to edit
            self.assertEqual(
                self.client.get(reverse("support:adviser_edit", args=[other.pk])).status_code, 404
            )
        self.client.force_login(self.nina)
        self.assertEqual(len(self.client.get(reverse("support:advisers")).context["advisers"]), 3)
        self.assertEqual(self.client.get(reverse("support:adviser_new")).status_code, 403)
        self.client.force_login(self.erin)
        self.assertEqual(
            self.client.get(reverse("support:adviser_edit", args=[se.pk])).status_code, 200
        )
        for user in (self.bob, self.zoe):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("support:advisers")).status_code, 403)


class AdviserRaceTests(TransactionTestCase):
    """Several organisers booking the same adviser at once: never past their days."""

    def test_concurrent_offers_never_overbook_an_adviser(self):
        from diagnostic.assessments.testing import create_open_round
        from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
        from diagnostic.organisations.models import Organisation
        from diagnostic.testing import create_personas, run_concurrently

        p = create_personas()
        framework = load_framework_file(NPS_2018).version
        rnd, _ = create_open_round(framework, [p["council_a"]])
        ec = framework.keyareas.get(code="EC")
        ada = adviser(days=5, regions=[p["north_west"]], areas=[ec])
        org = Organisation.objects.get(pk=p["council_a"].pk)
        organisers = [p["dana"]] + [
            make_user(f"hub{i}", f"Hub {i}", Role.REGIONAL_LEAD, region=p["north_west"])
            for i in range(5)
        ]

        def work(i, client):
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.get(pk=organisers[i].pk)
            try:
                services.do_create_offer(
                    by=user, round=rnd, region=p["north_west"], kind="workshop",
                    title=f"Offer {i}", starts_on=SOON, ends_on=SOON, capacity=1, adviser=ada,
                    adviser_days=2, key_area=ec, organisations=[org],
                )  # fmt: skip
            except services.AdviserOverbooked:
                return "refused"
            return "booked"

        results, errors = run_concurrently(organisers, work)
        self.assertEqual(errors, [])
        # 5 days, 2 a booking: exactly two of the six bookings fit.
        self.assertEqual(sorted(r for _, r in results), ["booked"] * 2 + ["refused"] * 4)
        self.assertEqual(sum(Offer.objects.values_list("adviser_days", flat=True)), 4)


class ServiceRuleTests(OfferTestCase):
    """The services enforce the same rules whatever calls them."""

    def create(self, **extra):
        kwargs = {"by": self.dana, "round": self.round, "region": self.north_west,
                  "kind": "workshop", "title": "x", "starts_on": SOON, "ends_on": SOON,
                  "capacity": 3, "key_area": self.ec, "organisations": [self.councils["N1"]]}  # fmt: skip
        kwargs.update(extra)
        return services.do_create_offer(**kwargs)

    def test_a_regional_lead_cannot_plan_for_another_region_or_nationally(self):
        from django.core.exceptions import PermissionDenied

        for region in (self.south_east, None):
            with self.assertRaises(PermissionDenied):
                self.create(region=region, organisations=[self.council_b])
        with self.assertRaises(PermissionDenied):
            self.create(by=self.nina)
        self.assertFalse(Offer.objects.exists())

    def test_an_aim_must_be_one_item_of_the_rounds_framework(self):
        from django.core.exceptions import ValidationError

        from diagnostic.frameworks.models import FrameworkVersion, KeyArea, Theme

        other = FrameworkVersion.objects.create(framework=self.framework.framework, label="x",
                                                name="Other", checksum="0" * 64)  # fmt: skip
        theme = Theme.objects.create(version=other, code="T", name="T", position=1)
        foreign = KeyArea.objects.create(
            version=other, theme=theme, code="EC", name="EC", position=1
        )
        for extra, message in [
            ({"key_area": foreign}, "not in this round's framework"),
            ({"value_code": self.ec1}, "one value code or one key area"),
            ({"key_area": None}, "one value code or one key area"),
            ({"organisations": [self.council_b]}, "Not in North West: Council B"),
            ({"organisations": []}, "Choose at least one council"),
        ]:
            with self.subTest(extra=extra), self.assertRaisesMessage(ValidationError, message):
                self.create(**extra)
        self.assertFalse(Offer.objects.exists())

    def test_replies_close_when_the_support_starts(self):
        from django.core.exceptions import ValidationError

        offer = self.create()
        services.do_send_invitations(by=self.dana, offer=offer)
        Offer.objects.filter(pk=offer.pk).update(
            starts_on=timezone.localdate() - dt.timedelta(days=1)
        )
        inv = Invitation.objects.get(offer=offer)
        with self.assertRaisesMessage(ValidationError, "replies are closed"):
            services.do_reply(by=self.lead_n1, invitation=inv, accept=True)
        inv.refresh_from_db()
        self.assertEqual(inv.status, "invited")

    def test_only_managers_keep_the_register(self):
        from django.core.exceptions import PermissionDenied

        for user in (self.nina, self.bob):
            with self.assertRaises(PermissionDenied):
                services.do_save_adviser(by=user, name="X", kind="lga", regions=[self.north_west],
                                         days_per_quarter=2, key_areas=[self.ec])  # fmt: skip
        with self.assertRaises(PermissionDenied):
            services.do_save_adviser(by=self.dana, name="X", kind="lga", regions=[self.south_east],
                                     days_per_quarter=2, key_areas=[self.ec])  # fmt: skip
        self.assertEqual(Adviser.objects.count(), 1)  # Ada, from setUp
        self.assertFalse(AuditEvent.objects.filter(action="adviser.created").exists())

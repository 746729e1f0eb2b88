"""The register pages: filters, dates, pagination, HTMX fragment and access."""

from django.urls import reverse

from diagnostic.organisations.loaders import load_register
from diagnostic.organisations.models import Organisation
from diagnostic.testing import BaseTestCase


class RegisterPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        load_register()
        super().setUpTestData()  # the personas' councils are then the real Wigan and Kent

    def setUp(self):
        super().setUp()
        self.client.force_login(self.erin)

    def test_it_counts_the_register_on_a_date(self):
        r = self.client.get(
            reverse("organisations:register"), {"on": "2018-07-01", "nation": "England"}
        )
        self.assertEqual(r.context["page"].paginator.count, 353)
        r = self.client.get(reverse("organisations:register"), {"nation": "England"})
        self.assertEqual(r.context["page"].paginator.count, 317)

    def test_it_filters_by_region_type_and_name(self):
        nw = self.north_west
        r = self.client.get(
            reverse("organisations:register"), {"region": nw.pk, "type": "metropolitan_borough"}
        )
        self.assertEqual(r.context["page"].paginator.count, 15)
        r = self.client.get(reverse("organisations:register"), {"q": "caerdydd"})
        self.assertEqual([o.short_name for o in r.context["page"]], ["Cardiff"])

    def test_it_paginates_in_fifties(self):
        r = self.client.get(reverse("organisations:register"))
        self.assertEqual(len(r.context["page"].object_list), 50)
        self.assertContains(r, "Page 1 of")

    def test_htmx_requests_get_only_the_results(self):
        r = self.client.get(
            reverse("organisations:register"), {"q": "Wigan"}, headers={"HX-Request": "true"}
        )
        self.assertContains(r, 'id="results"')
        self.assertNotContains(r, "<html")
        self.assertContains(r, "Wigan")

    def test_bad_filters_show_a_message_and_fall_back_to_today(self):
        r = self.client.get(
            reverse("organisations:register"), {"on": "not-a-date", "region": "abc"}
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Enter a valid date.")
        self.assertContains(r, "Select a valid choice")

    def test_the_detail_page_shows_register_facts(self):
        org = Organisation.objects.get(short_name="Dorset County")
        r = self.client.get(reverse("organisations:detail", args=[org.pk]))
        self.assertContains(r, "This council was abolished: its last day was 31 March 2019")
        self.assertContains(r, "Replaced by Dorset Council")

    def test_organisation_roles_cannot_browse_the_register(self):
        for user in [self.alice, self.bob, self.victor, self.zoe]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("organisations:register")).status_code, 403)

    def test_a_regional_lead_sees_organisations_in_their_region_only(self):
        self.client.force_login(self.dana)
        wigan = Organisation.objects.get(gss_code="E08000010")
        kent = Organisation.objects.get(gss_code="E10000016")
        self.assertEqual(
            self.client.get(reverse("organisations:detail", args=[wigan.pk])).status_code, 200
        )
        self.assertEqual(
            self.client.get(reverse("organisations:detail", args=[kent.pk])).status_code, 404
        )

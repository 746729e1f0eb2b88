"""Regional leads and national admins group councils into named clusters."""

from django.urls import reverse

from diagnostic.audit.models import AuditEvent
from diagnostic.organisations.models import Cluster, Organisation
from diagnostic.testing import BaseTestCase


class ClusterTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.bolton = Organisation.objects.create(gss_code="E08000001", name="Bolton Council", short_name="Bolton",
                                                 type="metropolitan_borough", region=cls.north_west, nation="England")  # fmt: skip
        cls.bury = Organisation.objects.create(gss_code="E08000002", name="Bury Council", short_name="Bury",
                                               type="metropolitan_borough", region=cls.north_west, nation="England")  # fmt: skip

    def create(self, **data):
        payload = {"name": "Greater Manchester category group", "region": self.north_west.pk,
                   "organisations": [self.council_a.pk, self.bolton.pk]} | data  # fmt: skip
        return self.client.post(reverse("organisations:cluster_new"), payload)

    def test_a_regional_lead_forms_a_cluster_in_their_region(self):
        self.client.force_login(self.dana)
        r = self.create(description="Shared construction frameworks")
        self.assertRedirects(r, reverse("organisations:clusters"))
        c = Cluster.objects.get()
        self.assertEqual(
            (c.name, c.region, c.created_by),
            ("Greater Manchester category group", self.north_west, self.dana),
        )
        self.assertEqual(set(c.organisations.all()), {self.council_a, self.bolton})
        self.assertTrue(AuditEvent.objects.filter(action="cluster.created").exists())
        r = self.client.get(reverse("organisations:clusters"))
        self.assertContains(r, "Greater Manchester category group")
        self.assertContains(r, '<td class="num">2</td>', html=True)

    def test_a_regional_lead_cannot_cluster_other_regions(self):
        self.client.force_login(self.dana)
        r = self.create(
            region=self.south_east.pk, organisations=[self.council_b.pk, self.council_a.pk]
        )
        self.assertEqual(r.status_code, 400)
        r = self.create(organisations=[self.council_a.pk, self.council_b.pk])
        self.assertContains(r, "Select a valid choice", status_code=400)
        self.assertFalse(Cluster.objects.exists())

    def test_bad_clusters_are_refused(self):
        self.client.force_login(self.dana)
        self.assertContains(
            self.create(organisations=[self.council_a.pk]),
            "at least two organisations",
            status_code=400,
        )
        self.assertContains(self.create(name=""), "This field is required", status_code=400)
        self.create()
        self.assertContains(self.create(), "already a cluster with this name", status_code=400)
        self.assertEqual(Cluster.objects.count(), 1)

    def test_the_lead_edits_and_deletes_a_cluster(self):
        self.client.force_login(self.dana)
        self.create()
        c = Cluster.objects.get()
        url = reverse("organisations:cluster", args=[c.pk])
        r = self.client.post(
            url,
            {
                "name": "Renamed",
                "region": self.north_west.pk,
                "organisations": [self.bolton.pk, self.bury.pk],
            },
        )
        self.assertRedirects(r, reverse("organisations:clusters"))
        c.refresh_from_db()
        self.assertEqual(
            (c.name, set(c.organisations.all())), ("Renamed", {self.bolton, self.bury})
        )
        self.client.post(url, {"delete": "1"})
        self.assertFalse(Cluster.objects.exists())

    def test_a_national_admin_can_cluster_across_regions(self):
        self.client.force_login(self.erin)
        r = self.create(region="", organisations=[self.council_a.pk, self.council_b.pk])
        self.assertRedirects(r, reverse("organisations:clusters"))
        self.assertIsNone(Cluster.objects.get().region)

    def test_others_cannot_see_or_change_clusters(self):
        self.client.force_login(self.dana)
        self.create()
        c = Cluster.objects.get()
        for user, list_status, edit_status in [
            (self.alice, 403, 404),
            (self.bob, 403, 404),
            (self.charlie, 403, 404),
            (self.zoe, 403, 404),
            (self.nina, 200, 404),
        ]:
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(
                    self.client.get(reverse("organisations:clusters")).status_code, list_status
                )
                self.assertEqual(
                    self.client.post(
                        reverse("organisations:cluster", args=[c.pk]), {"delete": "1"}
                    ).status_code,
                    edit_status,
                )
        self.assertTrue(Cluster.objects.exists())

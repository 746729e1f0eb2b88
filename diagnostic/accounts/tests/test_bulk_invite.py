"""The national admin invites every council's lead from one CSV, validated whole first."""

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diagnostic.accounts.models import Invitation
from diagnostic.organisations.models import Organisation
from diagnostic.testing import BaseTestCase

GOOD = "organisation_code,name,email\nE08000010,Ann Lead,ann@example.org\nE10000016,Ben Lead,ben@example.org\n"


def upload(text: str | bytes, name="leads.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


class BulkInviteTests(BaseTestCase):
    url = reverse("accounts:manage_bulk_invite")

    def setUp(self):
        super().setUp()
        self.client.force_login(self.erin)

    def test_a_good_file_is_previewed_then_sent_on_confirmation(self):
        r = self.client.post(self.url, {"file": upload(GOOD)})
        self.assertContains(r, "2 invitations will be sent")
        self.assertContains(r, "Council B County Council")
        self.assertFalse(Invitation.objects.exists())
        self.assertEqual(len(mail.outbox), 0)
        r = self.client.post(self.url, {"csv_text": r.context["csv_text"], "confirm": "yes"})
        self.assertRedirects(r, reverse("accounts:manage_people"))
        self.assertEqual(
            sorted(Invitation.objects.values_list("email", "role", "organisation__gss_code")),
            [("ann@example.org", "lead", "E08000010"), ("ben@example.org", "lead", "E10000016")],
        )
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["ann@example.org", "ben@example.org"]
        )

    def test_a_file_with_bad_rows_lists_every_problem_and_sends_nothing(self):
        Organisation.objects.create(
            gss_code="E07000004", name="Aylesbury Vale District Council", short_name="Aylesbury Vale",
            type="non_metropolitan_district", region=self.south_east, nation="England",
            end_date="2020-03-31",
        )  # fmt: skip
        text = (
            "organisation_code,name,email\n"
            "E08000010,Ann Lead,ann@example.org\n"
            "E99999999,Nobody,nobody@example.org\n"
            "E10000016,,not-an-email\n"
            "E07000004,Old Lead,old@example.org\n"
            ",Blank Code,blank@example.org\n"
            "E08000010,Ann Again,ann@example.org\n"
        )
        r = self.client.post(self.url, {"file": upload(text)})
        self.assertEqual(r.status_code, 400)
        problems = [str(p) for p in r.context["problems"]]
        self.assertEqual(
            problems,
            [
                "row 3, column organisation_code: no organisation with code E99999999",
                "row 4, column name: is empty",
                "row 4, column email: 'not-an-email' is not an email address",
                "row 5, column organisation_code: Aylesbury Vale District Council was abolished on 31 March 2020",
                "row 6, column organisation_code: is empty",
                "row 7: repeats ann@example.org for E08000010",
            ],
        )
        self.assertContains(r, "Nothing was stored and no invitations were sent", status_code=400)
        self.assertFalse(Invitation.objects.exists())
        self.assertEqual(len(mail.outbox), 0)

    def test_a_tampered_confirmation_is_validated_again(self):
        r = self.client.post(
            self.url, {"csv_text": GOOD + "E99999999,X,x@example.org\n", "confirm": "yes"}
        )
        self.assertEqual(r.status_code, 400)
        self.assertFalse(Invitation.objects.exists())

    def test_files_of_the_wrong_shape_are_refused_clearly(self):
        cases = [
            (
                upload("code,name\nE08000010,Ann\n"),
                "header: missing column(s): organisation_code, email",
            ),
            (upload("organisation_code,name,email\n"), "has a header but no rows"),
            (upload(b"\xff\xfe\x00bad"), "The file is not UTF-8 text"),
            (upload("x" * (600 * 1024)), "larger than 512 KB"),
        ]
        for f, message in cases:
            r = self.client.post(self.url, {"file": f})
            self.assertContains(r, message, status_code=400)
        r = self.client.post(self.url, {})
        self.assertContains(r, "Choose a CSV file.", status_code=400)
        self.assertFalse(Invitation.objects.exists())

    def test_an_excel_byte_order_mark_and_spaces_are_tolerated(self):
        r = self.client.post(
            self.url,
            {
                "file": upload(
                    "\ufefforganisation_code , name , email\n E08000010 , Ann Lead , ANN@example.org \n"
                )
            },
        )
        self.assertContains(r, "1 invitation will be sent")

    def test_people_who_already_lead_are_skipped(self):
        text = "organisation_code,name,email\nE08000010,Bob Hughes,bob@example.org\nE10000016,Ben Lead,ben@example.org\n"
        self.client.post(self.url, {"csv_text": text, "confirm": "yes"})
        self.assertEqual(
            list(Invitation.objects.values_list("email", flat=True)), ["ben@example.org"]
        )

    def test_only_national_admins_can_use_it(self):
        for user in [self.alice, self.bob, self.charlie, self.dana, self.nina, self.zoe]:
            self.client.force_login(user)
            self.assertEqual(
                self.client.post(self.url, {"csv_text": GOOD, "confirm": "yes"}).status_code, 403
            )
        self.assertFalse(Invitation.objects.exists())

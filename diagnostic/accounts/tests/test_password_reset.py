"""Password reset by emailed single-use link (ASVS 6.4.1)."""

import re

from django.core import mail
from django.urls import reverse

from diagnostic.testing import BaseTestCase


class PasswordResetTests(BaseTestCase):
    def test_it_emails_a_link_that_sets_a_new_password_once(self):
        r = self.client.post(reverse("accounts:password_reset"), {"email": "bob@example.org"})
        self.assertRedirects(r, reverse("accounts:password_reset_sent"))
        self.assertEqual(len(mail.outbox), 1)
        link = re.search(r"http://testserver(/password-reset/[^\s]+/)", mail.outbox[0].body).group(
            1
        )
        r = self.client.get(link, follow=True)
        form_url = r.redirect_chain[-1][0]
        r = self.client.post(
            form_url, {"new_password1": "a brand new phrase", "new_password2": "a brand new phrase"}
        )
        self.assertRedirects(r, reverse("accounts:password_reset_done"))
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.check_password("a brand new phrase"))
        r = self.client.get(link, follow=True)
        self.assertContains(r, "This link has expired or was already used")

    def test_an_unknown_address_gets_the_same_answer_and_no_email(self):
        r = self.client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
        self.assertRedirects(r, reverse("accounts:password_reset_sent"))
        self.assertEqual(len(mail.outbox), 0)

    def test_weak_new_passwords_are_refused(self):
        self.client.post(reverse("accounts:password_reset"), {"email": "bob@example.org"})
        link = re.search(r"http://testserver(/password-reset/[^\s]+/)", mail.outbox[0].body).group(
            1
        )
        form_url = self.client.get(link, follow=True).redirect_chain[-1][0]
        r = self.client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
        self.assertContains(r, "too common")
        self.assertContains(r, "entirely numeric")

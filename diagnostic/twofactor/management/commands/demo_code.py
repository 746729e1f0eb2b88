"""Print the current authenticator code of a demo person (demo data only)."""

from django.core.management.base import BaseCommand, CommandError

from diagnostic.accounts.models import User
from diagnostic.twofactor.testing import fresh_code


class Command(BaseCommand):
    help = "Print the code a demo person's authenticator app would show now (demo users only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        user = User.objects.filter(email__iexact=email, is_demo=True).first()
        if user is None:
            raise CommandError("No demo person with that email (this works for demo users only).")
        try:
            self.stdout.write(fresh_code(user))
        except Exception:
            raise CommandError("That demo person has no authenticator app.") from None

from django.core.management.base import BaseCommand

from diagnostic.broker.services import EXPIRY_DAYS, OUTCOME_DAYS, REMINDER_DAYS, do_follow_up


class Command(BaseCommand):
    help = (
        f"Remind leads of introductions unanswered after {REMINDER_DAYS} days, expire proposals "
        f"after {EXPIRY_DAYS} days, and ask both councils what came of an accepted introduction "
        f"after {OUTCOME_DAYS} days. Run it daily (cron); running it twice sends nothing twice."
    )

    def handle(self, *args, **options):
        counts = do_follow_up()
        self.stdout.write(
            f"Reminded {counts['reminded']}, expired {counts['expired']}, "
            f"asked for outcomes {counts['asked_for_outcomes']}."
        )

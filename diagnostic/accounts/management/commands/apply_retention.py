"""Delete personal data kept longer than the privacy notice says (run daily, e.g. from cron)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from diagnostic.accounts.services import do_apply_retention


class Command(BaseCommand):
    help = (
        "Delete invitations finished more than RETENTION_INVITATION_DAYS ago, sign-in records "
        "older than RETENTION_SIGN_IN_DAYS, and ended sessions; and chart images no page has "
        "shown for a week, and expired shared counters (API rate counts kept without Redis)."
    )

    def handle(self, *args, **options):
        counts = do_apply_retention(
            invitation_days=settings.RETENTION_INVITATION_DAYS,
            sign_in_days=settings.RETENTION_SIGN_IN_DAYS,
        )
        from diagnostic.analytics.charts import delete_old_charts

        counts["old_chart_images"] = delete_old_charts()
        from diagnostic.lib.shared_cache import delete_expired_counters

        counts["expired_counters"] = delete_expired_counters()
        self.stdout.write(
            ", ".join(f"{k.replace('_', ' ')}: {v} deleted" for k, v in counts.items())
        )

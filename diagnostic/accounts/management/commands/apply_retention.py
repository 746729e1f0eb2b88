"""Delete personal data kept longer than the privacy notice says (run daily, e.g. from cron)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from diagnostic.accounts.services import do_apply_retention

FINISHED_JOB_DAYS = 7


def delete_finished_jobs() -> int:
    """Delete the task queue's rows for jobs that finished (succeeded or failed) over a week
    ago; the queue never removes them itself. A plan's own `broker.PlanRun` is not touched."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    cut = timezone.now() - dt.timedelta(days=FINISHED_JOB_DAYS)
    return DBTaskResult.objects.finished().filter(finished_at__lt=cut).delete()[0]


class Command(BaseCommand):
    help = (
        "Delete invitations finished more than RETENTION_INVITATION_DAYS ago, sign-in records "
        "older than RETENTION_SIGN_IN_DAYS, and ended sessions; and chart images no page has "
        "shown for a week, expired shared counters (API rate counts kept without Redis), and "
        "the task queue's records of background jobs finished more than a week ago (what a job "
        "produced, such as a plan of introductions, is kept by its own model)."
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
        counts["finished_background_jobs"] = delete_finished_jobs()
        self.stdout.write(
            ", ".join(f"{k.replace('_', ' ')}: {v} deleted" for k, v in counts.items())
        )

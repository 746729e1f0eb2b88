"""Background jobs of the broker (Django's tasks API through `django-tasks`, run by
`manage.py db_worker`; docs/decisions/0033)."""

from __future__ import annotations

from django_tasks import task


@task()
def work_out_plan(run_id: int) -> None:
    """Work out a plan run's plan of introductions (`services.do_work_out_plan`)."""
    from diagnostic.broker import services

    services.do_work_out_plan(run_id=run_id)

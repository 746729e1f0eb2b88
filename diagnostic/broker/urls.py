from django.urls import path

from diagnostic.broker.views import council, sector

app_name = "broker"

R = "responses/<int:response_id>/"

urlpatterns = [
    # A council's lead
    path(R + "partners/", council.partners, name="partners"),
    path(R + "partners/ask/", council.ask, name="ask"),
    path(R + "partners/who-can-see-us/", council.disclosure, name="disclosure"),
    path("introductions/<int:introduction_id>/", council.introduction, name="introduction"),
    path("introductions/<int:introduction_id>/answer/", council.answer, name="answer"),
    path("introductions/<int:introduction_id>/outcome/", council.outcome, name="outcome"),
    # The national team and regional leads
    path("rounds/<int:round_id>/broker/plan/", sector.plan, name="plan"),
    path("rounds/<int:round_id>/broker/plan/<int:run_id>/", sector.plan_run, name="plan_run"),
    path("rounds/<int:round_id>/broker/propose/", sector.propose, name="propose"),
    path("rounds/<int:round_id>/broker/coverage/", sector.coverage, name="coverage"),
    path("rounds/<int:round_id>/broker/dashboard/", sector.dashboard, name="dashboard"),
]

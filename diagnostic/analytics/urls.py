from django.urls import path

from diagnostic.analytics import council_views, views

app_name = "analytics"

urlpatterns = [
    path("dashboards/national/", views.national, name="national"),
    path("dashboards/region/", views.my_region, name="my_region"),
    path("dashboards/regions/<str:region_code>/", views.regional, name="regional"),
    path("dashboards/key-areas/<int:area_id>/", views.key_area, name="key_area"),
    path("dashboards/value-codes/<int:vc_id>/", views.value_code, name="value_code"),
    path("rounds/<int:round_id>/publish/", views.publish, name="publish"),
    path(
        "rounds/<int:round_id>/responses.csv",
        views.export_responses,
        {"fmt": "csv"},
        name="export_csv",
    ),
    path(
        "rounds/<int:round_id>/responses.xlsx",
        views.export_responses,
        {"fmt": "xlsx"},
        name="export_xlsx",
    ),
    path("charts/<str:digest>.svg", views.chart_svg, name="chart"),
    path("responses/<int:response_id>/results/", council_views.results, name="council_results"),
    path(
        "responses/<int:response_id>/results.pdf", council_views.report_pdf, name="council_report"
    ),
    path("results/", views.public_results, name="public_results"),
    path("results/<int:round_id>/", views.public_results, name="public_round"),
    path("results/<int:round_id>/results.csv", views.public_csv, name="public_csv"),
    path("results/<int:round_id>/results.xlsx", views.public_xlsx, name="public_xlsx"),
]

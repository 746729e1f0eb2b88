from django.urls import path

from diagnostic.public import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("about-the-data/", views.about_data, name="about_data"),
    path("framework/", views.framework_index, name="framework_index"),
    path(
        "framework/<slug:framework_code>/<str:version>/",
        views.framework_version,
        name="framework_version",
    ),
    path(
        "framework/<slug:framework_code>/<str:version>/key-areas/<str:area_code>/",
        views.key_area,
        name="key_area",
    ),
    path(
        "framework/<slug:framework_code>/<str:version>/value-codes/<str:code>/",
        views.value_code,
        name="value_code",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]

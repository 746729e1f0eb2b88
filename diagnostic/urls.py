from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("diagnostic.public.urls")),
    path("", include("diagnostic.accounts.urls")),
    path("", include("diagnostic.organisations.urls")),
    path("", include("diagnostic.assessments.urls")),
    path("", include("diagnostic.analytics.urls")),
    path("", include("diagnostic.plans.urls")),
    path("", include("diagnostic.consolidation.urls")),
    path("", include("diagnostic.broker.urls")),
    path("", include("diagnostic.practice.urls")),
    path("", include("diagnostic.support.urls")),
    path("", include("diagnostic.api.urls")),
    path("", include("diagnostic.twofactor.urls")),
    path("", include("diagnostic.audit.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "diagnostic.public.views.bad_request"
handler404 = "diagnostic.public.views.not_found"
handler403 = "diagnostic.public.views.forbidden"
handler500 = "diagnostic.public.views.server_error"

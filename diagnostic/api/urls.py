from django.urls import include, path, re_path

from diagnostic.api import views
from diagnostic.api.api import api

web = [
    path("api/v1/reference/", views.reference, name="reference"),
    path("account/api-tokens/", views.tokens, name="tokens"),
    path("account/api-tokens/<int:token_id>/revoke/", views.revoke, name="revoke"),
]

urlpatterns = [
    path("", include((web, "apiweb"))),
    path("api/v1/", api.urls),
    # Anything else under /api/ is a problem-details 404, not the site's HTML page.
    re_path(r"^api/", views.not_found),
]

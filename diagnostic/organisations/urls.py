from django.urls import path

from diagnostic.organisations import views

app_name = "organisations"

urlpatterns = [
    path("organisations/", views.register, name="register"),
    path("organisations/<int:organisation_id>/", views.detail, name="detail"),
    path("clusters/", views.clusters, name="clusters"),
    path("clusters/new/", views.cluster_edit, name="cluster_new"),
    path("clusters/<int:cluster_id>/", views.cluster_edit, name="cluster"),
]

from django.urls import path

from diagnostic.organisations import views

app_name = "organisations"

urlpatterns = [
    path("organisations/", views.register, name="register"),
    path("organisations/<int:organisation_id>/", views.detail, name="detail"),
]

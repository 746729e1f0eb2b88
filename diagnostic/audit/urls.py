from django.urls import path

from diagnostic.audit import views

app_name = "audit"
urlpatterns = [
    path("manage/audit-trail/", views.trail, name="trail"),
    path("manage/audit-trail/events.csv", views.trail_csv, name="trail_csv"),
    path("responses/<int:response_id>/history/", views.response_trail, name="response_trail"),
]

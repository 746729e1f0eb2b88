from django.urls import path

from diagnostic.plans import views

app_name = "plans"

PLAN = "responses/<int:response_id>/action-plan"

urlpatterns = [
    path(f"{PLAN}/", views.plan, name="plan"),
    path(f"{PLAN}/new/", views.new_action, name="new"),
    path(f"{PLAN}/suggestions/accept/", views.accept, name="accept"),
    path(f"{PLAN}/suggestions/dismiss/", views.dismiss, name="dismiss"),
    path(f"{PLAN}/suggestions/restore/", views.restore, name="restore"),
    path(f"{PLAN}/carry-forward/", views.carry_forward, name="carry_forward"),
    path(f"{PLAN}/<int:action_id>/", views.edit_action, name="edit"),
    path(f"{PLAN}/<int:action_id>/status/", views.change_status, name="status"),
    path(f"{PLAN}/<int:action_id>/delete/", views.delete_action, name="delete"),
    path(f"{PLAN}.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path(f"{PLAN}.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path(f"{PLAN}.pdf", views.export, {"fmt": "pdf"}, name="export_pdf"),
]

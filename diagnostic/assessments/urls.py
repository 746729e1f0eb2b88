from django.urls import path

from diagnostic.assessments.views import council, national, pdf

app_name = "assessments"

urlpatterns = [
    path("assessment/", council.my_assessment, name="mine"),
    path("responses/<int:response_id>/", council.response_home, name="response"),
    path("responses/<int:response_id>/areas/<str:area_code>/", council.answer_area, name="area"),
    path("responses/<int:response_id>/next/", council.next_item, name="next"),
    path(
        "responses/<int:response_id>/start-from-previous/",
        council.start_from_previous,
        name="start_from_previous",
    ),
    path(
        "responses/<int:response_id>/areas/<str:area_code>/confirm/",
        council.confirm_area,
        name="confirm_area",
    ),
    path(
        "responses/<int:response_id>/answers/<str:code>/", council.save_answer, name="save_answer"
    ),
    path("responses/<int:response_id>/details/", council.details, name="details"),
    path("responses/<int:response_id>/submit/", council.submit, name="submit"),
    path("responses/<int:response_id>/response.pdf", pdf.response_pdf, name="response_pdf"),
    path("responses/<int:response_id>/reopen/", national.reopen, name="reopen"),
    path("rounds/", national.rounds, name="rounds"),
    path("rounds/new/", national.round_new, name="round_new"),
    path("rounds/<int:round_id>/", national.round_detail, name="round"),
    path("rounds/<int:round_id>/status/", national.round_status, name="round_status"),
    path("rounds/<int:round_id>/reminders/", national.reminders, name="reminders"),
    path("rounds/<int:round_id>/reminders/new/", national.reminder_new, name="reminder_new"),
    path(
        "rounds/<int:round_id>/reminders/<int:reminder_id>/",
        national.reminder_detail,
        name="reminder",
    ),
    path(
        "framework/<slug:framework_code>/<str:version>/questionnaire.pdf",
        pdf.blank_pdf,
        name="blank_pdf",
    ),
]

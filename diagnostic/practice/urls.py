from django.urls import path
from django.views.decorators.http import require_safe

from diagnostic.practice import views
from diagnostic.practice.feeds import NewCaseStudies

app_name = "practice"

CS = "good-practice/<int:case_study_id>"

urlpatterns = [
    path("good-practice/", views.library, name="library"),
    path("good-practice.csv", views.library_csv, name="library_csv"),
    path("good-practice/feed/", require_safe(NewCaseStudies()), name="feed"),
    path("good-practice/yours/", views.mine, name="mine"),
    path("good-practice/new/", views.new, name="new"),
    path("good-practice/moderation/", views.moderation, name="moderation"),
    path("good-practice/candidates/", views.candidates, name="candidates"),
    path("good-practice/candidates/<int:round_id>/invite/", views.invite, name="invite"),
    path("good-practice/invitations/<int:invitation_id>/decline/", views.decline, name="decline"),
    path("good-practice/invitations/<int:invitation_id>/write/", views.write_up, name="write_up"),
    path("good-practice/guidance/", views.guidance, name="guidance"),
    path("good-practice/guidance/<int:guidance_id>/", views.guidance_file, name="guidance_file"),
    path(
        "good-practice/guidance/<int:guidance_id>/remove/",
        views.remove_guidance,
        name="remove_guidance",
    ),
    path(
        "good-practice/examples/responses/<int:response_id>/",
        views.examples_for_response,
        name="examples_for_response",
    ),
    path(f"{CS}/", views.case_study, name="case_study"),
    path(f"{CS}/edit/", views.edit, name="edit"),
    path(f"{CS}/save/", views.save, name="save"),
    path(f"{CS}/submit/", views.submit, name="submit"),
    path(f"{CS}/withdraw/", views.withdraw, name="withdraw"),
    path(f"{CS}/moderate/", views.moderate, name="moderate"),
    path(f"{CS}/attachments/", views.add_attachment, name="add_attachment"),
    path(f"{CS}/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path(
        f"{CS}/attachments/<int:attachment_id>/remove/",
        views.remove_attachment,
        name="remove_attachment",
    ),
]

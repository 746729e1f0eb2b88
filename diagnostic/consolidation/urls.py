from django.urls import path

from diagnostic.consolidation.views import consolidate, contributors, sign_off, spreadsheet

app_name = "consolidation"

R = "responses/<int:response_id>/"

urlpatterns = [
    # A contributor's own views
    path(R + "my-views/", contributors.contribution, name="contribution"),
    path(R + "my-views/finished/", contributors.finished, name="finished"),
    path(R + "my-views/answers/<str:code>/", contributors.save_view, name="save_view"),
    path(R + "my-views/views.xlsx", spreadsheet.contribution_xlsx, name="contribution_xlsx"),
    path(R + "my-views/upload/", spreadsheet.contribution_upload, name="contribution_upload"),
    # The lead: asking colleagues
    path(R + "contributors/", contributors.contributors, name="contributors"),
    path(R + "contributors/ask/", contributors.ask, name="ask"),
    path(R + "contributors/remind/", contributors.remind, name="remind"),
    path(R + "contributors/sharing/", contributors.sharing, name="sharing"),
    path(R + "contributors/<int:assignment_id>/withdraw/", contributors.withdraw, name="withdraw"),
    # The lead: consolidation and analysis
    path(R + "consolidation/", consolidate.consolidate, name="consolidate"),
    path(R + "consolidation/analysis/", consolidate.analysis, name="analysis"),
    path(R + "consolidation/<str:code>/adopt/", consolidate.adopt, name="adopt"),
    # The agreed answers as a spreadsheet
    path(R + "response.xlsx", spreadsheet.response_xlsx, name="response_xlsx"),
    path(R + "upload/", spreadsheet.response_upload, name="response_upload"),
    # Sign-off
    path(R + "sign-off/", sign_off.request_sign_off, name="request_sign_off"),
    path(
        R + "sign-off/<int:request_id>/withdraw/",
        sign_off.withdraw_sign_off,
        name="withdraw_sign_off",
    ),
    path("sign-off/<str:token>/", sign_off.sign_off, name="sign_off"),
]

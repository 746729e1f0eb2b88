from django.contrib.auth import views as auth_views
from django.urls import path

from diagnostic.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign_out"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_sent.html", http_method_names=["get", "head"]
        ),
        name="password_reset_sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_done.html", http_method_names=["get", "head"]
        ),
        name="password_reset_done",
    ),
    path("account/", views.home, name="home"),
    path("account/switch-organisation/", views.switch_organisation, name="switch_organisation"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("organisations/<int:organisation_id>/people/", views.people, name="people"),
    path("people/<int:membership_id>/role/", views.change_role, name="change_role"),
    path("people/<int:membership_id>/remove/", views.remove_membership, name="remove_membership"),
    path(
        "invitations/<int:invitation_id>/revoke/", views.revoke_invitation, name="revoke_invitation"
    ),
    path("manage/people/", views.manage_people, name="manage_people"),
    path("manage/people/invite/", views.manage_invite, name="manage_invite"),
    path("manage/people/invite-leads/", views.manage_bulk_invite, name="manage_bulk_invite"),
    # issue 14: personal data rights
    path("account/my-data/", views.my_data, name="my_data"),
    path("account/my-data.json", views.my_data_json, name="my_data_json"),
    path("manage/people/<int:user_id>/erase/", views.erase_person, name="erase_person"),
]

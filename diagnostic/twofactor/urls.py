from django.urls import path

from diagnostic.twofactor import views

app_name = "twofactor"
urlpatterns = [
    path("account/second-factor/", views.status, name="status"),
    path("account/second-factor/set-up/", views.set_up, name="set_up"),
    path("account/second-factor/verify/", views.verify, name="verify"),
    path("account/second-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("account/second-factor/remove/", views.remove, name="remove"),
    path("manage/people/<int:user_id>/second-factor/", views.reset, name="reset"),
]

from django.urls import path

from diagnostic.support import views

app_name = "support"

urlpatterns = [
    path("support/", views.focus, name="focus"),
    path("support/ranking.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("support/items/<int:item_id>/", views.councils, name="councils"),
    path("support/items/<int:item_id>/offer/", views.offer_new, name="offer_new"),
    path("support/advisers/", views.advisers, name="advisers"),
    path("support/advisers/new/", views.adviser_edit, name="adviser_new"),
    path("support/advisers/<int:adviser_id>/", views.adviser_edit, name="adviser_edit"),
    path("support/offers/", views.offers, name="offers"),
    path("support/offers.xlsx", views.offers_xlsx, name="offers_xlsx"),
    path("support/offers/<int:offer_id>/", views.offer, name="offer"),
    path("support/offers/<int:offer_id>/invite/", views.offer_invite, name="offer_invite"),
    path(
        "support/offers/<int:offer_id>/attendance/", views.offer_attendance, name="offer_attendance"
    ),
    path("support/invitations/", views.my_invitations, name="my_invitations"),
    path("support/invitations/<int:invitation_id>/", views.invitation, name="invitation"),
    path("support/effect/", views.effect, name="effect"),
]

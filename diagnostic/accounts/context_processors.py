from diagnostic.accounts import access


def memberships(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    mine = access.memberships_of(user)
    active = getattr(request, "membership", None)
    return {
        "my_memberships": mine,
        "my_organisation_memberships": [m for m in mine if m.organisation_id],
        # Pages about a council speak to its own people ("your response") and name it to
        # everyone else ("Wigan's response").
        "my_organisation_ids": {m.organisation_id for m in mine if m.organisation_id},
        "active_membership": active if active else None,
        "is_national": access.is_national(user),
        "is_national_admin": access.is_national_admin(user),
        "led_regions": [m.region for m in mine if m.region_id],
    }

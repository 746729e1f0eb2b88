"""`{% sign_off_status response as status %}`: the response's sign-off for pages whose views
live in other apps (check and submit, the response's home page)."""

from django import template

from diagnostic.consolidation.sign_off_status import SignOffStatus
from diagnostic.consolidation.sign_off_status import sign_off_status as _sign_off_status

register = template.Library()


@register.simple_tag
def sign_off_status(response) -> SignOffStatus:
    return _sign_off_status(response)

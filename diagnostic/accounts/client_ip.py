"""The address a request came from, as the sign-in lockout counts it (ASVS 6.1.1, 6.3.1, 4.1.3).

django-axes takes this function through its documented `AXES_CLIENT_IP_CALLABLE` setting.

- Without `BEHIND_PROXY`, the connection's own address (`REMOTE_ADDR`); an
  `X-Forwarded-For` header is ignored, since anyone can send one.
- With `BEHIND_PROXY`, the reverse proxy appends the address it saw to `X-Forwarded-For`
  (nginx: `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`). Counting
  `TRUSTED_PROXY_COUNT` entries from the right gives the address the outermost trusted proxy
  saw; whatever the client put to the left of it is ignored, so it cannot choose its address.
  A missing or malformed entry falls back to `REMOTE_ADDR`.

See docs/decisions/0018-sign-in-lockout-behind-a-proxy.md for why this is not django-ipware.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    if not getattr(settings, "BEHIND_PROXY", False):
        return remote
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    count = max(1, getattr(settings, "TRUSTED_PROXY_COUNT", 1))
    if len(entries) < count or not entries[-count]:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote

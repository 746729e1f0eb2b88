from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from diagnostic.twofactor.services import is_pending


class SecondFactorMiddleware:
    """Until a session that needs it passes the second step, every page but that step (and
    signing out) sends the person there (ASVS 6.3.3, 6.3.4: no other pathway)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            pending = is_pending(request)
            if pending:
                if self._open is None:
                    self._open = {
                        reverse("twofactor:verify"),
                        reverse("twofactor:set_up"),
                        reverse("accounts:sign_out"),
                    }
                if request.path not in self._open:
                    step = "twofactor:verify" if pending == "verify" else "twofactor:set_up"
                    nxt = request.get_full_path() if request.method == "GET" else ""
                    query = f"?{urlencode({'next': nxt})}" if nxt else ""
                    return redirect(reverse(step) + query)
        return self.get_response(request)

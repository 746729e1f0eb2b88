"""Setting up, passing and resetting the second factor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.accounts.models import User
from diagnostic.lib.http import posted, require_get_or_post, this_site
from diagnostic.twofactor import services
from diagnostic.twofactor.forms import CodeForm, EnrolForm


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return this_site(request, target) or reverse("accounts:home")


def _qr_svg(url: str) -> str:
    import segno

    # Attributes only (no style element), so the page's CSP needs no inline styles.
    return segno.make(url, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff",
                                                 omitsize=False, title="QR code of the key")  # fmt: skip


@login_required
@require_safe
def status(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "twofactor/status.html", {
        "app": services.authenticator_of(user),
        "codes_left": services.recovery_codes_left(user),
        "required": services.requires_second_factor(user),
    })  # fmt: skip


@login_required
@require_get_or_post
def set_up(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the key, type a code, keep the recovery codes.

    A session that has already passed the second step with an app replaces it only here, after
    being verified; a session still pending may only set one up when it has none (so a stolen
    password alone cannot swap the app)."""
    user = request.user
    pending = services.is_pending(request)
    if pending == "verify":
        return redirect(reverse("twofactor:verify"))
    form = EnrolForm(posted(request))
    if request.method == "POST":
        device = services.pending_device(user)
        codes = services.do_confirm_enrolment(user=user, token=request.POST.get("code", "")) if (
            device is not None and form.is_valid()) else None  # fmt: skip
        if codes is not None:
            services.mark_verified(request, "app")
            return render(request, "twofactor/recovery_codes.html",
                          {"codes": codes, "next": _next(request), "new_app": True})  # fmt: skip
        if form.is_valid():
            form.add_error("code", "That code is not right. Check the app shows NPS Diagnostic "
                                   "and type the code it shows now.")  # fmt: skip
        status_code = 400
    else:
        device = services.do_start_enrolment(user=user)
        status_code = 200
    if device is None:
        device = services.do_start_enrolment(user=user)
    import base64
    from binascii import unhexlify

    secret = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    return render(request, "twofactor/set_up.html", {
        "form": form,
        "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": services.requires_second_factor(user),
        "next": _next(request) if (request.GET.get("next") or request.POST.get("next")) else "",
    }, status=status_code)  # fmt: skip


@login_required
@require_get_or_post
def verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password."""
    user = request.user
    pending = services.is_pending(request)
    if pending == "enrol":
        return redirect(reverse("twofactor:set_up"))
    if pending != "verify":
        return redirect(_next(request))
    form = CodeForm(posted(request))
    status_code = 200
    if request.method == "POST":
        status_code = 400
        until = services.throttled_until(user)
        if until is not None:
            form.is_valid()
            form.add_error(None, "Too many wrong codes. Wait a few seconds, then try again.")
        elif form.is_valid():
            how = services.verify(user=user, token=form.cleaned_data["code"])
            if how is not None:
                services.mark_verified(request, how)
                if how == "recovery code":
                    left = services.recovery_codes_left(user)
                    messages.warning(request, f"You used a recovery code; {left} left. If you "
                                     "lost your phone, set up the app again now.")  # fmt: skip
                    return redirect(reverse("twofactor:status"))
                return redirect(_next(request))
            form.add_error("code", "That code is not right. Type the code the app shows now, "
                                   "or a recovery code you have not used.")  # fmt: skip
    return render(request, "twofactor/verify.html",
                  {"form": form, "next": request.GET.get("next", "")}, status=status_code)  # fmt: skip


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if services.authenticator_of(request.user) is None:
        raise Http404
    codes = services.do_new_recovery_codes(user=request.user)
    return render(request, "twofactor/recovery_codes.html",
                  {"codes": codes, "next": reverse("twofactor:status")})  # fmt: skip


@login_required
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    try:
        services.do_remove(user=request.user)
    except PermissionError:
        raise PermissionDenied(
            "Your role requires a second factor, so it cannot be removed."
        ) from None
    messages.success(request, "Your second factor was removed.")
    return redirect(reverse("twofactor:status"))


@login_required
@require_get_or_post
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A national admin resets someone's second factor (recorded in the audit trail)."""
    access.require_national_admin(request.user)
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    if request.method == "POST":
        ended = services.do_reset(by=request.user, user=person)
        messages.success(request, f"{person.full_name}'s second factor was reset and "
                         f"{ended} session(s) ended. At their next sign-in they set it up again.")  # fmt: skip
        return redirect(reverse("twofactor:reset", args=[person.pk]))
    return render(request, "twofactor/reset.html", {
        "person": person,
        "app": services.authenticator_of(person),
        "codes_left": services.recovery_codes_left(person),
        "required": services.requires_second_factor(person),
    })  # fmt: skip

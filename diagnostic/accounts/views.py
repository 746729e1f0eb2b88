"""Signing in and out, invitations, the account home page and managing people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access, services
from diagnostic.accounts.forms import (
    AcceptInvitationForm,
    BulkInviteForm,
    ChangeRoleForm,
    InviteForm,
    SignInForm,
)
from diagnostic.accounts.middleware import SESSION_ACTIVE_KEY
from diagnostic.accounts.models import Invitation, Membership, Role, User
from diagnostic.audit.services import record
from diagnostic.lib.http import posted, require_get_or_post, this_site
from diagnostic.lib.problems import InvalidFile


def landing_for(user: User) -> str:
    """Where signing in takes someone (without a `next`): to what they came for. The national
    team to the national dashboard, a regional lead to their region's, someone with a role in
    an organisation to its current response (or their own views), anyone else to their
    account page."""
    if access.is_national(user):
        return reverse("analytics:national")
    mine = access.memberships_of(user)
    if any(m.region_id for m in mine):
        return reverse("analytics:my_region")
    if any(m.organisation_id for m in mine):
        return reverse("assessments:mine")
    return reverse("accounts:home")


@method_decorator(require_get_or_post, name="dispatch")
class SignInView(auth_views.LoginView):
    http_method_names = ["get", "head", "post"]
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if self.request.user.is_authenticated:
            return landing_for(self.request.user)
        return super().get_default_redirect_url()


@method_decorator(require_POST, name="dispatch")
class SignOutView(auth_views.LogoutView):
    http_method_names = ["post"]


@method_decorator(require_get_or_post, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    http_method_names = ["get", "head", "post"]
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")


@method_decorator(require_get_or_post, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    http_method_names = ["get", "head", "post"]
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_done")
    post_reset_login = False


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Where a signed-in person starts: their roles, what they are asked for, what next."""
    from django.db.models import Q

    from diagnostic.assessments.models import Round
    from diagnostic.consolidation.models import Assignment

    asked = (
        Assignment.objects.filter(withdrawn_at__isnull=True)
        .filter(
            Q(user=request.user) | Q(user__isnull=True, email__iexact=request.user.email),
            response__organisation__memberships__user=request.user,
        )
        .exclude(response__round__status=Round.Status.CLOSED)
        .select_related("response__round", "response__organisation")
        .distinct()
        .order_by("due_on", "pk")
    )
    return render(request, "accounts/home.html", {"asked": list(asked)})


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    membership = access.get_membership_of_user(request.user, request.POST.get("membership"))
    request.session[SESSION_ACTIVE_KEY] = membership.organisation_id
    messages.success(request, f"You are now working as {membership.organisation.name}.")
    return redirect(this_site(request, request.POST.get("next")) or reverse("accounts:home"))


@require_get_or_post
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: create an account, or add the role to the signed-in account."""
    inv = access.get_invitation_by_token(token)
    ctx: dict = {"invitation": inv}
    if not inv.is_usable:
        return render(request, "accounts/invitation_unusable.html", ctx, status=410)
    account_exists = User.objects.filter(email__iexact=inv.email).exists()
    user = request.user if request.user.is_authenticated else None
    if user is not None and user.email.lower() != inv.email.lower():
        return render(request, "accounts/invitation_wrong_account.html", ctx, status=403)
    if user is None and account_exists:
        sign_in = f"{reverse('accounts:sign_in')}?next={request.path}"
        return render(request, "accounts/invitation_sign_in.html", {**ctx, "sign_in": sign_in})

    form = AcceptInvitationForm(posted(request), initial={"full_name": inv.full_name})
    if request.method == "POST":
        try:
            if user is not None:
                services.do_accept_invitation(invitation=inv, user=user)
            elif form.is_valid():
                user = services.do_accept_invitation(
                    invitation=inv,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, user, backend="diagnostic.accounts.backends.ModelBackend")
            else:
                return render(request, "accounts/invitation.html", {**ctx, "form": form})
        except ValidationError as exc:
            form.add_error("password1", exc)
            return render(request, "accounts/invitation.html", {**ctx, "form": form})
        except services.InvitationUnusable:
            return render(request, "accounts/invitation_unusable.html", ctx, status=410)
        except services.WrongAccount:
            return render(request, "accounts/invitation_wrong_account.html", ctx, status=403)
        if inv.organisation_id:
            request.session[SESSION_ACTIVE_KEY] = inv.organisation_id
        messages.success(request, f"Welcome. You are now {inv.get_role_display().lower()}"
                         f" for {inv.scope_name}.")  # fmt: skip
        return redirect("accounts:home")
    return render(request, "accounts/invitation.html", {**ctx, "form": form, "signed_in": user})


# --- People in one organisation -------------------------------------------------------------
@login_required
@require_get_or_post
def people(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The organisation's people and pending invitations; its lead can invite colleagues."""
    org = access.get_organisation_for_user(request.user, organisation_id, manage=True)
    roles = services.roles_user_can_invite(request.user, org)
    org_roles = [r for r in roles if r in (Role.LEAD, Role.CONTRIBUTOR, Role.VIEWER)]
    form = InviteForm(posted(request), roles=org_roles, organisation=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_invite(
                by=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                organisation=org,
                department=form.cleaned_data["department"],
                job_role=form.cleaned_data["job_role"],
            )
        except services.AlreadyMember as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("accounts:people", organisation_id=org.pk)
    ctx = {
        "organisation": org,
        "form": form,
        "members": Membership.objects.filter(organisation=org).select_related("user"),
        "invitations": Invitation.objects.filter(
            organisation=org, accepted_at=None, revoked_at=None
        ).order_by("-created_at"),
        "role_form": ChangeRoleForm(),
    }
    return render(request, "accounts/people.html", ctx, status=400 if form.errors else 200)


@login_required
@require_POST
def change_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access.get_membership_for_manager(request.user, membership_id)
    form = ChangeRoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a role.")
        services.do_change_role(
            by=request.user, membership=membership, role=form.cleaned_data["role"]
        )
        messages.success(
            request, f"{membership.user} is now {membership.get_role_display().lower()}."
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _back_to_people(membership)


@login_required
@require_POST
def remove_membership(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access.get_membership_for_manager(request.user, membership_id)
    try:
        services.do_remove_membership(by=request.user, membership=membership)
        messages.success(request, f"{membership.user} no longer has this role.")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _back_to_people(membership)


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    inv = access.get_invitation_for_manager(request.user, invitation_id)
    services.do_revoke_invitation(by=request.user, invitation=inv)
    messages.success(request, f"The invitation to {inv.email} was withdrawn.")
    if inv.organisation_id:
        return redirect("accounts:people", organisation_id=inv.organisation_id)
    return redirect("accounts:manage_people")


def _back_to_people(membership: Membership) -> HttpResponse:
    if membership.organisation_id:
        return redirect("accounts:people", organisation_id=membership.organisation_id)
    return redirect("accounts:manage_people")


# --- National administration ----------------------------------------------------------------
@login_required
@require_safe
def manage_people(request: HttpRequest) -> HttpResponse:
    """National admins: everyone with a role, searchable, and invitations to any role."""
    access.require_national_admin(request.user)
    q = request.GET.get("q", "").strip()[:100]
    users = User.objects.prefetch_related("memberships__organisation", "memberships__region")
    if q:
        users = users.filter(
            Q(email__icontains=q) | Q(full_name__icontains=q)
            | Q(memberships__organisation__name__icontains=q)
        ).distinct()  # fmt: skip
    page = Paginator(users.order_by("full_name", "email"), 50).get_page(request.GET.get("page"))
    pending = Invitation.objects.filter(accepted_at=None, revoked_at=None).select_related(
        "organisation", "region"
    )[:50]
    ctx = {
        "page": page,
        "q": q,
        "pending": pending,
        "query_string": urlencode({"q": q}) if q else "",
    }
    return render(request, "accounts/manage_people.html", ctx)


@login_required
@require_get_or_post
def manage_invite(request: HttpRequest) -> HttpResponse:
    access.require_national_admin(request.user)
    form = InviteForm(posted(request), roles=list(Role))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_invite(
                by=request.user,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                organisation=data.get("organisation"),
                region=data.get("region"),
                department=data["department"],
                job_role=data["job_role"],
            )
        except services.AlreadyMember as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {data['email']}.")
            return redirect("accounts:manage_people")
    return render(
        request, "accounts/manage_invite.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_get_or_post
def manage_bulk_invite(request: HttpRequest) -> HttpResponse:
    """Invite every council's lead from a CSV: upload, check, preview, then send."""
    access.require_national_admin(request.user)
    form = BulkInviteForm(posted(request), request.FILES or None)
    ctx: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["csv_text"]
        try:
            if request.POST.get("confirm") == "yes":
                sent = services.do_invite_leads_in_bulk(by=request.user, text=text)
                messages.success(request, f"{len(sent)} invitation(s) sent.")
                return redirect("accounts:manage_people")
            ctx["rows"] = services.check_bulk_leads_csv(text)
            ctx["csv_text"] = text
        except InvalidFile as exc:
            ctx["problems"] = exc.problems
            return render(request, "accounts/manage_bulk_invite.html", ctx, status=400)
    status = 400 if form.errors else 200
    return render(request, "accounts/manage_bulk_invite.html", ctx, status=status)


# --- Personal data rights (issue 14) ---------------------------------------------------------
@login_required
@require_safe
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything held about the signed-in person, readable (and printable)."""
    from diagnostic.accounts import personal_data

    record("personal_data.viewed", actor=request.user, obj=request.user)
    return render(request, "accounts/my_data.html", {"data": personal_data.about(request.user)})


@login_required
@require_safe
def my_data_json(request: HttpRequest) -> HttpResponse:
    """The same, as JSON to keep or reuse."""
    import json

    from diagnostic.accounts import personal_data

    record("personal_data.downloaded", actor=request.user, obj=request.user)
    body = json.dumps(personal_data.about(request.user), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data-nps-diagnostic.json"'
    return response


@login_required
@require_get_or_post
def erase_person(request: HttpRequest, user_id: int) -> HttpResponse:
    """A national admin erases a person's personal data (after a request from them)."""
    access.require_national_admin(request.user)
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            error = "Tick the box to confirm that this person asked to be erased."
        else:
            try:
                services.do_erase_person(by=request.user, user=person)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, "The person was erased: their name and email are gone, "
                                 "and their work is kept as a former colleague's.")  # fmt: skip
                return redirect(reverse("accounts:manage_people"))
    return render(request, "accounts/erase_person.html", {"person": person, "error": error},
                  status=400 if error else 200)  # fmt: skip

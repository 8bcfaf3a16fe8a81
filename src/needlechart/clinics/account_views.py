"""Account pages: the approvals a second admin gives, a colleague's role, activity and password
(clinic admins), and one's own password (everyone). The rules are clinics.accounts'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.clinics import accounts, selectors, sessions
from needlechart.clinics.forms import RoleForm
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Approval, Capability, staff_view


@staff_view(Capability.MANAGE_STAFF)
def approvals(request: StaffRequest) -> HttpResponse:
    """The accounts given a clinical role that no second admin approved yet: waiting, or working
    unapproved because the clinic had one admin when the role was given."""
    waiting = list(selectors.awaiting_approval(user=request.user))
    return render(request, "clinics/approvals.html", {"awaiting": waiting})


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def staff_approve(request: StaffRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    accounts.approve(actor=request.user, staff=staff)
    messages.success(request, _("%(name)s's account is approved.") % {"name": staff.display_name})
    return redirect("staff_approvals")


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def staff_role(request: StaffRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    form = RoleForm(request.POST, staff=staff)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(str(e) for errors in form.errors.values() for e in errors))
    accounts.role_change(actor=request.user, staff=staff, role=form.cleaned_data["role"], discipline=form.cleaned_data["discipline"])
    staff.refresh_from_db()
    if staff.approval == Approval.PENDING:
        messages.info(request, _("Role changed. Another clinic admin must approve it before the account opens any record."))
    else:
        messages.success(request, _("Role changed."))
    return redirect("staff_detail", staff_id=staff.pk)


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def staff_active(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Deactivate a colleague (their sessions end; they can no longer sign in), or activate them again."""
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    if request.POST.get("active") not in ("0", "1"):
        return HttpResponseBadRequest(_("Choose to activate or to deactivate the account."))
    active = request.POST["active"] == "1"
    accounts.active_set(actor=request.user, staff=staff, active=active)
    messages.success(request, _("The account is active again.") if active else _("The account is deactivated and its sessions ended."))
    return redirect("staff_detail", staff_id=staff.pk)


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def staff_password(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Set a colleague's password (they forgot it): their sessions end, and a clinical account needs
    another admin's approval again."""
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    accounts.require_colleague(request.user, staff)
    form = SetPasswordForm(staff, request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts.password_set(actor=request.user, staff=staff, password=form.cleaned_data["new_password1"])
        messages.success(
            request, _("Password set and every session of %(name)s ended. Hand the password over in person.") % {"name": staff.display_name}
        )
        return redirect("staff_detail", staff_id=staff.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "clinics/staff_password.html", {"form": form, "staff": staff, "clinical": accounts.is_clinical(staff.role)}, status=status
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def password_change(request: StaffRequest) -> HttpResponse:
    """Change one's own password: this session stays signed in, every other one ends."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = accounts.password_change(
            user=request.user, password=form.cleaned_data["new_password1"], keep_session_key=request.session.session_key
        )
        old_key = request.session.session_key
        update_session_auth_hash(request, request.user)  # keeps this session, under a new key
        sessions.session_key_changed(old_key=old_key, new_key=request.session.session_key)
        done = ngettext(
            "Your password is changed, and %(n)s other session is ended.",
            "Your password is changed, and %(n)s other sessions are ended.",
            ended,
        )
        messages.success(request, done % {"n": ended})
        return redirect("my_sessions")
    status = 400 if request.method == "POST" else 200
    return render(request, "clinics/password_change.html", {"form": form}, status=status)

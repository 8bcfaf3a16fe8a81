"""Staff and credential pages for clinic admins (and practitioners for their own profile)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_read
from needlechart.clinics import second_factor, selectors, services, sessions
from needlechart.clinics.forms import CertificationForm, RoleForm, StaffForm
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.models import PractitionerProfile, RegistrationNumber, SecondFactorPolicy, User
from needlechart.core.access import Approval, Capability, has_capability, staff_view


def _may_manage_credentials(user: User, staff: User) -> bool:
    return has_capability(user, Capability.MANAGE_STAFF) or user.pk == staff.pk


def _staff_or_self(request: StaffRequest, staff_id: int) -> User:
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    if not _may_manage_credentials(request.user, staff):
        raise PermissionDenied(_("Only clinic admins can see other staff members' profiles."))
    return staff


@staff_view(Capability.MANAGE_STAFF)
def staff_list(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    staff = list(
        selectors.staff_accounts_for_clinic(user=request.user)
        .select_related("practitioner_profile")
        .prefetch_related("practitioner_profile__certifications")
    )
    rows = [
        (member, selectors.needling_authorisation(practitioner=member, on=today) if member.is_practitioner else None) for member in staff
    ]
    clinic = request.user.clinic
    context = {
        "rows": rows,
        "today": today,
        "policy": clinic.second_factor if clinic else "",
        "policies": SecondFactorPolicy.choices,
        "contact": clinic.email if clinic else "",
        "awaiting_count": sum(1 for member in staff if member.is_active and member.approval != Approval.APPROVED),
    }
    return render(request, "clinics/staff_list.html", context)


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def staff_create(request: StaffRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registrations = [(RegistrationNumber.HPR_SYSTEM, data["hpr_number"])] if data["hpr_number"] else []
        clinic = request.user.clinic
        if clinic is None:  # cannot be: @staff_view admits only the staff of a clinic
            raise PermissionDenied
        member = services.staff_create(
            actor=request.user,
            clinic=clinic,
            username=data["username"],
            password=data["password"],
            role=data["role"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            discipline=data["discipline"],
            registrations=registrations,
        )
        if member.approval == Approval.PENDING:
            messages.info(request, _("Staff account created. Another clinic admin must approve it before it opens any record."))
        elif member.approval == Approval.SOLE_ADMIN:
            messages.warning(
                request,
                _(
                    "Staff account created. With no second clinic admin to approve it, "
                    "its first read of a record is flagged on the audit report."
                ),
            )
        else:
            messages.success(request, _("Staff account created."))
        return redirect("staff_detail", staff_id=member.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "clinics/staff_form.html", {"form": form}, status=status)


@staff_view()
def staff_detail(request: StaffRequest, staff_id: int) -> HttpResponse:
    staff = _staff_or_self(request, staff_id)
    today = timezone.localdate()
    profile = getattr(staff, "practitioner_profile", None) if staff.is_practitioner else None
    context = {
        "staff": staff,
        "profile": profile,
        "registrations": list(profile.registrations.all()) if profile else [],
        "certifications": list(profile.certifications.all()) if profile else [],
        "authorisation": selectors.needling_authorisation(practitioner=staff, on=today) if profile else None,
        "today": today,
        "has_second_factor": second_factor.has_second_factor(staff),
        "second_factor_required": second_factor.required_for(staff),
        "role_form": RoleForm(initial={"role": staff.role}, staff=staff) if request.user.pk != staff.pk else None,
        "granted_by": staff.granted_by if staff.approval != Approval.APPROVED else None,
    }
    return render(request, "clinics/staff_detail.html", context)


@staff_view()
@require_http_methods(["GET", "POST"])
def certification_add(request: StaffRequest, staff_id: int) -> HttpResponse:
    staff = _staff_or_self(request, staff_id)
    try:
        profile = staff.practitioner_profile
    except PractitionerProfile.DoesNotExist as exc:
        raise Http404 from exc
    form = CertificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        services.certification_add(actor=request.user, profile=profile, **form.cleaned_data)
        messages.success(request, _("Certification added."))
        return redirect("staff_detail", staff_id=staff.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "clinics/certification_form.html", {"form": form, "staff": staff}, status=status)


@staff_view()
def certification_evidence(request: StaffRequest, certification_id: uuid.UUID) -> FileResponse:
    cert = selectors.certification_get_for_user(user=request.user, certification_id=certification_id)
    if not _may_manage_credentials(request.user, cert.profile.user):
        raise PermissionDenied(_("Only clinic admins can see other staff members' credentials."))
    name = cert.evidence.name  # a FieldFile without a name has no file
    if not name:
        raise Http404
    audit_read(actor=request.user, action=AuditAction.DOWNLOAD, object_type="certification", object_id=cert.pk)
    response = FileResponse(cert.evidence.open("rb"), content_type=cert.evidence_content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="certification-{cert.pk}.{name.rsplit(".", 1)[-1]}"'
    return response


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def second_factor_policy(request: StaffRequest) -> HttpResponse:
    """The clinic's rule for who must sign in with a second factor (on the staff list)."""
    policy = request.POST.get("second_factor", "")
    if policy not in SecondFactorPolicy.values:
        return HttpResponseBadRequest(_("Choose who must use a second factor."))
    second_factor.set_policy(actor=request.user, policy=policy)
    messages.success(request, _("Saved: who must sign in with a second factor."))
    return redirect("staff_list")


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def second_factor_remove(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Remove a colleague's second factor (a lost phone): they set up a new one at their next sign-in."""
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    second_factor.reset(actor=request.user, staff=staff)
    message = _("The second factor is removed. %(name)s sets up a new one at the next sign-in.") % {"name": staff.display_name}
    messages.success(request, message)
    return redirect("staff_detail", staff_id=staff.pk)


@staff_view()
@require_http_methods(["GET", "POST"])
def my_sessions(request: StaffRequest) -> HttpResponse:
    """The signed-in user's open sessions (devices), each of which they may end."""
    user = request.user
    if request.method == "POST":
        try:
            chosen = [int(value) for value in request.POST.getlist("session")]
        except ValueError:
            return HttpResponseBadRequest(_("Choose sessions from the list."))
        ended = sessions.end_sessions(actor=user, staff=user, session_ids=chosen)
        messages.success(request, ngettext("%(n)s session ended.", "%(n)s sessions ended.", ended) % {"n": ended})
        return redirect("my_sessions")
    current = request.session.session_key
    return render(request, "clinics/sessions.html", {"sessions": sessions.open_sessions(user), "current": current})


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def staff_sessions_end(request: StaffRequest, staff_id: int) -> HttpResponse:
    """End every session of a colleague at once (someone leaving the clinic, a lost laptop)."""
    staff = selectors.staff_get_for_user(user=request.user, staff_id=staff_id)
    ended = sessions.end_sessions(actor=request.user, staff=staff)
    messages.success(request, ngettext("%(n)s session ended.", "%(n)s sessions ended.", ended) % {"n": ended})
    return redirect("staff_detail", staff_id=staff.pk)

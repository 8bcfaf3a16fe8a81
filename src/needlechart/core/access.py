"""Who may do what: the role capabilities every view and service checks.

Objects are always fetched through a clinic-scoped selector, so another clinic's rows are
indistinguishable from missing ones (404). A role that lacks a capability gets 403 with a
message, because the user is entitled to know the page exists but is not theirs.

An account given a clinical role by one clinic admin waits for a second admin's approval
(``Approval.PENDING``, clinics.accounts): until then it has no capability at all, and every
page that needs one answers 403 saying so (``AwaitingApproval``).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A staff member's role in their clinic; ``ROLE_CAPABILITIES`` says what each may do."""

    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
    PRACTITIONER = "practitioner", _("Practitioner")
    FRONT_DESK = "front_desk", _("Front desk")


class Approval(models.TextChoices):
    """Whether a second clinic admin approved the account's role (clinics.accounts decides which applies)."""

    APPROVED = "approved", _("Approved")
    PENDING = "pending", _("Waiting for approval by another clinic admin")
    SOLE_ADMIN = "sole_admin", _("Not approved by a second admin (the clinic had one admin)")


class Capability(enum.StrEnum):
    VIEW_DEMOGRAPHICS = "view_demographics"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    VIEW_DAY_LIST = "view_day_list"
    BOOK_ENCOUNTERS = "book_encounters"
    VIEW_CLINICAL = "view_clinical"
    WRITE_CLINICAL = "write_clinical"
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"
    RECORD_INTAKE = "record_intake"
    VIEW_ANALYTICS = "view_analytics"
    # Hand a patient their whole record (pages.patient_copy): the clinical content and who has read it.
    DISCLOSE_RECORDS = "disclose_records"


_COMMON = {
    Capability.VIEW_DEMOGRAPHICS,
    Capability.EDIT_DEMOGRAPHICS,
    Capability.VIEW_DAY_LIST,
    Capability.BOOK_ENCOUNTERS,
    Capability.RECORD_INTAKE,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.PRACTITIONER: frozenset(
        _COMMON | {Capability.VIEW_CLINICAL, Capability.WRITE_CLINICAL, Capability.VIEW_ANALYTICS, Capability.DISCLOSE_RECORDS}
    ),
    Role.FRONT_DESK: frozenset(_COMMON),
    Role.CLINIC_ADMIN: frozenset(_COMMON | {Capability.VIEW_AUDIT, Capability.MANAGE_STAFF, Capability.VIEW_ANALYTICS}),
}

# Reading and writing health records: the capabilities one admin alone may not give (clinics.accounts).
CLINICAL_CAPABILITIES = frozenset({Capability.VIEW_CLINICAL, Capability.WRITE_CLINICAL, Capability.DISCLOSE_RECORDS})


class Refusal(PermissionDenied):
    """A 403 whose message is written for the user: the error page shows it (web.views.permission_denied)."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class AwaitingApproval(Refusal):
    """The 403 of an account whose role waits for a second clinic admin's approval."""

    def __init__(self) -> None:
        super().__init__(_("Your account is waiting for approval by another clinic admin. Until then it cannot open the clinic's records."))


class ClinicMember(Protocol):
    """What the capability checks and a clinic-scoped read use of a staff member.

    A ``needlechart.clinics.models.User`` is one. The layers below clinics (audit) type their
    reader with this, as they cannot import the user model.
    """

    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def clinic_id(self) -> uuid.UUID | None: ...
    @property
    def role(self) -> str: ...
    @property
    def approval(self) -> str: ...


def is_clinic_staff(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.clinic_id and user.role in ROLE_CAPABILITIES)


def is_awaiting_approval(user: Any) -> bool:
    return is_clinic_staff(user) and user.approval == Approval.PENDING


def has_capability(user: Any, capability: Capability) -> bool:
    return is_clinic_staff(user) and capability in ROLE_CAPABILITIES[user.role] and user.approval != Approval.PENDING


def require_capability(user: Any, capability: Capability) -> None:
    if not has_capability(user, capability):
        if is_awaiting_approval(user):
            raise AwaitingApproval
        raise PermissionDenied(capability.value)


def staff_view(capability: Capability | None = None) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Guard a view: anonymous users go to the login page, other roles get 403.

    Without a capability, any staff member of a clinic may enter; the view then checks
    the object-level rule itself. Either way the view runs only for a signed-in, active staff
    member of a clinic, so it may annotate ``request: needlechart.clinics.http.StaffRequest``.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                # Imported here: auth.views loads auth.forms, which asks for the user model, and
                # clinics.models (which defines it) imports Role from this module.
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if capability is None:
                if not is_clinic_staff(request.user):
                    raise PermissionDenied
            else:
                require_capability(request.user, capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

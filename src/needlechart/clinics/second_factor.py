"""Signing in with a second factor: an authenticator app's time-based code (TOTP, RFC 6238), with
single-use recovery codes for a lost phone. Built on django-otp's TOTP and static devices.

Who must use one: everyone when the deployment says so (``REQUIRE_SECOND_FACTOR``, on in
production), else as the staff member's clinic decides (``Clinic.second_factor``). Anyone may set
one up. A code typed wrong is refused with django-otp's growing delay between attempts and is
written to the audit log; a lost phone is recovered by another of the clinic's admins, who
removes the factor so that its owner sets up a new one at the next sign-in.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics import passkeys
from needlechart.clinics.models import SecondFactorPolicy, User
from needlechart.core.access import Capability, has_capability

RECOVERY_CODES = 10
AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"


def required_for(user: User) -> bool:
    """Whether ``user`` may not work without a second factor."""
    if settings.REQUIRE_SECOND_FACTOR:
        return True
    policy = user.clinic.second_factor if user.clinic is not None else SecondFactorPolicy.OPTIONAL
    return policy == SecondFactorPolicy.ALL or (policy == SecondFactorPolicy.CLINICAL and has_capability(user, Capability.VIEW_CLINICAL))


def has_second_factor(user: User) -> bool:
    """An authenticator app or a passkey (clinics.passkeys)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists() or passkeys.has_passkey(user)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator ``user`` is setting up: a new secret until a code from it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def audit_event(actor: User, action: AuditAction, staff: User, event: str) -> None:
    """One audit row about ``staff``'s second factor (the app, recovery codes, passkeys)."""
    audit_record(actor=actor, action=action, object_type=AuditObject.STAFF, object_id=staff.pk, detail={"second_factor": event})


@transaction.atomic
def confirm_enrolment(*, user: User, token: str) -> list[str] | None:
    """Confirm the authenticator being set up with a code from it; its recovery codes (shown once),
    or None when the code is not right. A confirmed authenticator replaces any earlier one."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        audit_event(user, AuditAction.LOGIN_FAILED, user, "enrolment code refused")
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit_event(user, AuditAction.CREATE, user, "authenticator set up")
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY)
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working); shown once."""
    if not has_second_factor(user):
        raise PermissionDenied(_("Set up an authenticator app first."))
    codes = _new_recovery_codes(user)
    audit_event(user, AuditAction.UPDATE, user, "recovery codes renewed")
    return codes


def verify(*, user: User, token: str) -> Any:
    """The device that accepts ``token`` (an authenticator code, or a recovery code, which is used
    up), or None. django-otp makes each device wait longer after every failure."""
    token = "".join(token.split()).replace("-", "")
    device = match_token(user, token) if token.isdigit() and len(token) <= 10 else None
    if device is None:
        audit_event(user, AuditAction.LOGIN_FAILED, user, "code refused")
    else:
        audit_event(user, AuditAction.LOGIN, user, "recovery code" if isinstance(device, StaticDevice) else "authenticator code")
    return device


@transaction.atomic
def reset(*, actor: User, staff: User) -> None:
    """Remove ``staff``'s second factor (a lost phone), so they set up a new one at their next sign-in.
    Only another admin of the same clinic may: nobody removes their own."""
    if not has_capability(actor, Capability.MANAGE_STAFF) or actor.clinic_id != staff.clinic_id:
        raise PermissionDenied(_("Only the clinic's admins can remove a colleague's second factor."))
    if actor.pk == staff.pk:
        raise PermissionDenied(_("Another admin must remove your second factor."))
    TOTPDevice.objects.filter(user=staff).delete()
    StaticDevice.objects.filter(user=staff).delete()
    passkeys.remove_all(staff)
    audit_event(actor, AuditAction.UPDATE, staff, "removed by an admin")


@transaction.atomic
def set_policy(*, actor: User, policy: str) -> None:
    """The clinic's rule for who must use a second factor."""
    if not has_capability(actor, Capability.MANAGE_STAFF) or actor.clinic is None:
        raise PermissionDenied
    if policy not in SecondFactorPolicy.values:
        raise ValueError(policy)
    clinic = actor.clinic
    before = clinic.second_factor
    clinic.second_factor = policy
    clinic.save(update_fields=["second_factor"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.CLINIC,
        object_id=clinic.pk,
        detail={"second_factor": [before, policy]},
    )

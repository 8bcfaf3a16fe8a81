"""Staff accounts over their life: roles given, a second admin's approval, activation, passwords.

The rules (separation of duties; docs/architecture.md, "Access control"):

1. Only a clinic's admins give roles, activate and deactivate accounts and set a colleague's
   password, and never on their own account: another admin does that, so an admin can neither
   promote nor lock out themselves, and a clinic always keeps an admin.
2. No one gives a right they do not hold: a role may be given only if every capability it carries
   is one the giver holds (``grant_of``). A clinic admin holds all but reading and writing health
   records, so gives the admin and front desk roles directly.
3. Reading and writing health records is the one exception, as a clinic must take on practitioners
   and its admins are not practitioners: an admin gives a clinical role, but the account opens no
   record (``Approval.PENDING``: every such page answers 403) until a second admin of the clinic
   approves it. Whoever gave the role cannot approve it.
4. A clinic with one active admin has no second: the account works at once (``Approval.SOLE_ADMIN``),
   its first read of a patient's record is flagged on the audit report and e-mailed to the clinic's
   contact address (clinics.notices). A second admin added later may still approve it.
5. An admin who sets a clinical colleague's password could sign in as them: that is a grant of
   clinical access too, under rules 3 and 4, and it ends the colleague's sessions.
6. Making someone a clinic admin is e-mailed to the contact address: admins approve one another's
   grants, so an admin who made a second account to approve their own would be heard of.

Accounts the system's operator makes (``actor=None``: the command line, the demo; or Django's admin)
are approved. Each change is one audit row on the account (``object_type`` staff) holding its event
(``account``) and each changed field's value before and after (``changes``); the audit report lists them.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditEvent, AuditObject
from needlechart.audit.services import audit_record, patient_record_read
from needlechart.clinics import notices, sessions
from needlechart.clinics.models import PractitionerProfile, User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import CLINICAL_CAPABILITIES, ROLE_CAPABILITIES, Approval, Capability, Refusal, Role, has_capability

# The fields an account change records, before and after.
WATCHED = ("role", "approval", "is_active")


class Grant(enum.Enum):
    DIRECT = "direct"  # the giver holds every capability of the role
    NEEDS_APPROVAL = "needs_approval"  # a clinical role: a second admin approves it


class AccountEvent(enum.StrEnum):
    """What happened to an account, as its audit row's ``account`` names it."""

    CREATED = "created"
    ROLE_CHANGED = "role_changed"
    APPROVED = "approved"
    DEACTIVATED = "deactivated"
    ACTIVATED = "activated"
    PASSWORD_SET = "password_set"  # noqa: S105 - an event name, set by an admin
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name, changed by its owner


def is_clinical(role: str) -> bool:
    return bool(ROLE_CAPABILITIES.get(role, frozenset()) & CLINICAL_CAPABILITIES)


def grant_of(*, actor: User, role: str) -> Grant:
    """How ``actor`` may give ``role``; refused when it carries a right they lack that is not clinical."""
    if not has_capability(actor, Capability.MANAGE_STAFF):
        raise Refusal(_("Only the clinic's admins can give roles."))
    if role not in ROLE_CAPABILITIES:
        raise ValueError(role)
    lacking = ROLE_CAPABILITIES[role] - ROLE_CAPABILITIES[actor.role]
    if not lacking:
        return Grant.DIRECT
    if lacking <= CLINICAL_CAPABILITIES:
        return Grant.NEEDS_APPROVAL
    raise Refusal(_("No one can give a role with rights they do not hold themselves."))


def _approval_after_grant(*, actor: User, staff: User) -> Approval:
    """A clinical grant waits for a second admin if the clinic has one; else it works, watched."""
    admins = User.objects.filter(clinic_id=clinic_id_of(staff), role=Role.CLINIC_ADMIN, is_active=True)
    return Approval.PENDING if admins.exclude(pk__in=[actor.pk, staff.pk]).exists() else Approval.SOLE_ADMIN


def require_colleague(actor: User, staff: User) -> None:
    """Refuse unless ``actor`` is an admin of ``staff``'s clinic and ``staff`` is someone else (rule 1)."""
    if not has_capability(actor, Capability.MANAGE_STAFF) or actor.clinic_id != staff.clinic_id:
        raise Refusal(_("Only the clinic's admins can change a colleague's account."))
    if actor.pk == staff.pk:
        raise Refusal(_("Another clinic admin must change your own account."))


def _state(staff: User) -> dict[str, str | bool]:
    # Plain values for the audit row's JSON: a role or approval is a str subclass (TextChoices).
    return {field: value if isinstance(value := getattr(staff, field), bool) else str(value) for field in WATCHED}


def _audit(*, actor: User | None, staff: User, event: AccountEvent, before: dict[str, str | bool], **extra: Any) -> None:
    after = _state(staff)
    changes = {field: [before.get(field), after[field]] for field in WATCHED if before.get(field) != after[field]}
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if event == AccountEvent.CREATED else AuditAction.UPDATE,
        object_type=AuditObject.STAFF,
        object_id=staff.pk,
        clinic_id=staff.clinic_id,
        detail={"account": str(event), "changes": changes, **extra},
    )


def _granted(staff: User, *, actor: User | None, grant: Grant | None) -> None:
    """Set what a new role (or a password an admin chose) means for the account's approval."""
    staff.granted_by = actor
    staff.approved_by, staff.approved_at, staff.unapproved_read_at = None, None, None
    if actor is not None and grant == Grant.NEEDS_APPROVAL:
        staff.approval = _approval_after_grant(actor=actor, staff=staff)
    else:
        staff.approval = Approval.APPROVED


def new_account(*, actor: User | None, staff: User) -> None:
    """Before a new account (``staff``, unsaved, with its clinic and role) is saved: may ``actor`` give it its role?"""
    if actor is None:
        staff.approval = Approval.APPROVED
        return
    if actor.clinic_id != staff.clinic_id:
        raise Refusal(_("Only the clinic's admins can give roles."))
    _granted(staff, actor=actor, grant=grant_of(actor=actor, role=staff.role))


def account_created(*, actor: User | None, staff: User) -> None:
    """After the new account is saved: its audit row, and the contact address hears of a new admin."""
    _audit(actor=actor, staff=staff, event=AccountEvent.CREATED, before={})
    if actor is not None and staff.role == Role.CLINIC_ADMIN:
        notices.admin_granted(account=staff, granted_by=actor)


@transaction.atomic
def role_change(*, actor: User, staff: User, role: str, discipline: str = "") -> None:
    """Give ``staff`` another role (rules 1 to 4); a practitioner without a profile gets one with ``discipline``."""
    require_colleague(actor, staff)
    if role == staff.role:
        return
    grant = grant_of(actor=actor, role=role)
    staff = User.objects.select_for_update().get(pk=staff.pk)
    before = _state(staff)
    if role == Role.PRACTITIONER and not PractitionerProfile.objects.filter(user=staff).exists():
        if not discipline:
            raise ValueError("discipline")
        PractitionerProfile.objects.create(user=staff, clinic_id=clinic_id_of(staff), discipline=discipline)
    staff.role = role
    _granted(staff, actor=actor, grant=grant)
    staff.save(update_fields=["role", "approval", "granted_by", "approved_by", "approved_at", "unapproved_read_at"])
    _audit(actor=actor, staff=staff, event=AccountEvent.ROLE_CHANGED, before=before)
    if role == Role.CLINIC_ADMIN:
        notices.admin_granted(account=staff, granted_by=actor)


@transaction.atomic
def approve(*, actor: User, staff: User) -> None:
    """A second admin approves the clinical role another admin gave ``staff`` (rule 3)."""
    require_colleague(actor, staff)
    staff = User.objects.select_for_update().get(pk=staff.pk)
    if staff.approval == Approval.APPROVED:
        raise Refusal(_("This account needs no approval."))
    if staff.granted_by_id == actor.pk:
        raise Refusal(_("You gave this account its role: another clinic admin must approve it."))
    before = _state(staff)
    staff.approval, staff.approved_by, staff.approved_at = Approval.APPROVED, actor, timezone.now()
    staff.save(update_fields=["approval", "approved_by", "approved_at"])
    _audit(actor=actor, staff=staff, event=AccountEvent.APPROVED, before=before, granted_by=staff.granted_by_id)


@transaction.atomic
def active_set(*, actor: User, staff: User, active: bool) -> None:
    """Deactivate ``staff`` (someone leaving: their sessions end) or activate them again."""
    require_colleague(actor, staff)
    staff = User.objects.select_for_update().get(pk=staff.pk)
    if staff.is_active == active:
        return
    before = _state(staff)
    staff.is_active = active
    staff.save(update_fields=["is_active"])
    ended = 0 if active else sessions.end_sessions(actor=actor, staff=staff)
    _audit(
        actor=actor, staff=staff, event=AccountEvent.ACTIVATED if active else AccountEvent.DEACTIVATED, before=before, sessions_ended=ended
    )


@transaction.atomic
def password_set(*, actor: User, staff: User, password: str) -> None:
    """An admin sets a colleague's password (a forgotten one): every session of theirs ends, and a
    clinical account needs a second admin's approval again (rule 5)."""
    require_colleague(actor, staff)
    staff = User.objects.select_for_update().get(pk=staff.pk)
    before = _state(staff)
    staff.set_password(password)
    if is_clinical(staff.role):
        _granted(staff, actor=actor, grant=Grant.NEEDS_APPROVAL)
    staff.save(update_fields=["password", "approval", "granted_by", "approved_by", "approved_at", "unapproved_read_at"])
    ended = sessions.end_sessions(actor=actor, staff=staff)
    _audit(actor=actor, staff=staff, event=AccountEvent.PASSWORD_SET, before=before, sessions_ended=ended)


@transaction.atomic
def password_change(*, user: User, password: str, keep_session_key: str | None) -> int:
    """The user's own new password: every other session of theirs ends (a password someone else
    learnt no longer keeps them signed in); the one they changed it in stays. How many ended."""
    before = _state(user)
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = sessions.end_sessions(actor=user, staff=user, keep_session_key=keep_session_key)
    _audit(actor=user, staff=user, event=AccountEvent.PASSWORD_CHANGED, before=before, sessions_ended=ended)
    return ended


@receiver(patient_record_read, dispatch_uid="flag_first_unapproved_read")
def _first_unapproved_read(sender: type[AuditEvent], actor: Any, event: AuditEvent, patient_ids: list[Any], **kwargs: Any) -> None:
    """The first read of a patient's record by an account that no second admin approved (rule 4):
    an audit row of its own, and an e-mail to the clinic's contact address."""
    if getattr(actor, "approval", None) != Approval.SOLE_ADMIN or actor.unapproved_read_at is not None:
        return
    now = timezone.now()
    with transaction.atomic():
        first = User.objects.filter(pk=actor.pk, approval=Approval.SOLE_ADMIN, unapproved_read_at__isnull=True).update(
            unapproved_read_at=now
        )
        if first:
            audit_record(
                actor=actor,
                action=AuditAction.VIEW,
                object_type=AuditObject.UNAPPROVED_READ,
                object_id=actor.pk,
                patient_id=patient_ids[0],  # the first of a list's, which names them apart
                detail={"granted_by": actor.granted_by_id},
            )
            notices.first_unapproved_read(account=actor, granted_by=actor.granted_by)
    actor.unapproved_read_at = now

"""Reads for staff and credentials, always within the reader's clinic."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from needlechart.clinics.models import Certification, PractitionerProfile, User
from needlechart.core.access import Approval, Role


def clinic_id_of(user: User) -> uuid.UUID:
    """The clinic a staff member's reads are scoped to.

    Every account but a superuser's has a clinic (the ``staff_has_clinic_and_role`` constraint),
    and ``@staff_view`` and ``require_capability`` turn away a user without one; so does this,
    rather than scope a read to the rows of no clinic.
    """
    if user.clinic_id is None:
        raise PermissionDenied
    return user.clinic_id


# The account a clinic's online booking acts as (public.booking.booking_actor) is no person: it is
# in no staff list, and no one can be given its name (clinics.forms).
SYSTEM_ACCOUNT_PREFIX = "online-booking-"


def staff_for_clinic(*, user: User) -> QuerySet[User]:
    people = User.objects.exclude(username__startswith=SYSTEM_ACCOUNT_PREFIX)
    return people.filter(clinic_id=clinic_id_of(user), is_active=True).order_by("last_name", "first_name")


def staff_accounts_for_clinic(*, user: User) -> QuerySet[User]:
    """Every account of the reader's clinic, deactivated ones too (the staff list, to activate them again)."""
    people = User.objects.exclude(username__startswith=SYSTEM_ACCOUNT_PREFIX)
    return people.filter(clinic_id=clinic_id_of(user)).order_by("-is_active", "last_name", "first_name")


def awaiting_approval(*, user: User) -> QuerySet[User]:
    """The clinic's active accounts whose clinical role no second admin approved (clinics.accounts)."""
    waiting = User.objects.filter(clinic_id=clinic_id_of(user), is_active=True).exclude(approval=Approval.APPROVED)
    return waiting.select_related("granted_by").order_by("approval", "last_name", "first_name")


def practitioners_for_clinic(*, user: User) -> QuerySet[User]:
    return staff_for_clinic(user=user).filter(role=Role.PRACTITIONER)


def staff_get_for_user(*, user: User, staff_id: int) -> User:
    try:
        return User.objects.select_related("practitioner_profile").get(pk=staff_id, clinic_id=clinic_id_of(user))
    except (User.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def certification_get_for_user(*, user: User, certification_id: uuid.UUID | str) -> Certification:
    try:
        return Certification.objects.select_related("profile__user").get(pk=certification_id, clinic_id=clinic_id_of(user))
    except (Certification.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class NeedlingAuthorisation:
    """The answer to "may this practitioner needle on this date?", with the reason."""

    certified: bool
    reason: str
    certification: Certification | None = None


def needling_authorisation(*, practitioner: User, on: dt.date) -> NeedlingAuthorisation:
    """Whether the practitioner holds a dry-needling or IMS certification valid on ``on``.

    Later work gates the signing of needling sessions on this answer.
    """
    if practitioner.role != Role.PRACTITIONER or not practitioner.is_active:
        return NeedlingAuthorisation(False, _("Only an active practitioner can be certified for needling."))
    try:
        profile = practitioner.practitioner_profile
    except PractitionerProfile.DoesNotExist:
        return NeedlingAuthorisation(False, _("The practitioner has no professional profile."))
    certifications = list(profile.certifications.all())
    valid = [c for c in certifications if c.is_valid_on(on)]
    if valid:
        best = max(valid, key=lambda c: c.expires_on or dt.date.max)
        return NeedlingAuthorisation(True, _("Certified: %(course)s (%(issuer)s).") % {"course": best.course, "issuer": best.issuer}, best)
    if not certifications:
        return NeedlingAuthorisation(False, _("No needling certification is on record."))
    expired = [(c.expires_on, c) for c in certifications if c.expires_on is not None and c.expires_on < on]
    if expired:
        expired_on, latest = max(expired, key=lambda pair: pair[0])
        return NeedlingAuthorisation(
            False,
            _("The needling certification %(course)s expired on %(date)s.") % {"course": latest.course, "date": date_format(expired_on)},
            latest,
        )
    return NeedlingAuthorisation(False, _("A needling certification is on record but only starts later."))

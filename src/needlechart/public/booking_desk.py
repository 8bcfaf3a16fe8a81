"""The front desk's check of the patients that online booking created ("New online patients").

A booking without a confirmed code creates a new patient record (``booking_make``). The front desk
sees each such record with the patients on file it may be (same date of birth and the same phone,
e-mail or name), and either confirms it as a new patient or merges it into one of them: the
bookings, appointments and intake of the new record move to the one on file and the new record
is removed. A record the clinic has started to use (a visit, an episode, a note) is not merged
here. Every list read and every decision is audited; only staff who may register patients
(``edit_demographics``) see the list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.patients.models import Patient
from needlechart.patients.selectors import patient_get_for_user
from needlechart.public.booking import normalised_phone
from needlechart.public.booking_models import OnlineBooking
from needlechart.scheduling.models import Appointment
from needlechart.screening.models import IntakeLink, IntakeResponse


class MergeRefused(ValidationError):
    """The record cannot be merged here; the message says why."""


@dataclass
class NewOnlinePatient:
    booking: OnlineBooking
    candidates: list[Patient]


def _may_be(new: Patient, other: Patient) -> bool:
    phone = normalised_phone(new.phone)
    return bool(
        (len(phone) >= 8 and normalised_phone(other.phone) == phone)
        or (new.email and other.email.strip().lower() == new.email.strip().lower())
        or (new.family_key == other.family_key and new.given_key == other.given_key)
    )


def _unconfirmed(clinic_id: uuid.UUID) -> Q:
    return Q(clinic_id=clinic_id, new_patient=True, patient_confirmed=False)


def new_online_patients(*, user: User) -> list[NewOnlinePatient]:
    """Each unconfirmed record (its first online booking) with the patients on file it may be."""
    require_capability(user, Capability.EDIT_DEMOGRAPHICS)
    clinic_id = clinic_id_of(user)
    bookings = (
        OnlineBooking.objects.filter(_unconfirmed(clinic_id))
        .select_related("patient", "appointment", "appointment__practitioner", "appointment__appointment_type")
        .order_by("created_at")
    )
    firsts: dict[uuid.UUID, OnlineBooking] = {}
    for booking in bookings:
        firsts.setdefault(booking.patient_id, booking)
    births = {booking.patient.birth_date for booking in firsts.values()}
    on_file = list(Patient.objects.filter(clinic_id=clinic_id, birth_date__in=births).order_by("family_name", "given_name"))
    rows = []
    for booking in firsts.values():
        new = booking.patient
        candidates = [p for p in on_file if p.pk not in firsts and p.birth_date == new.birth_date and _may_be(new, p)]
        rows.append(NewOnlinePatient(booking, candidates))
        for shown in [new, *candidates]:
            audit_record(
                actor=user,
                action=AuditAction.VIEW,
                object_type=AuditObject.PATIENT,
                object_id=shown.pk,
                patient_id=shown.pk,
                detail={"new_online_patients": str(new.pk)},
            )
    return rows


def _booking_to_check(user: User, booking_id: uuid.UUID) -> OnlineBooking:
    booking = (
        OnlineBooking.objects.select_for_update().select_related("patient").filter(_unconfirmed(clinic_id_of(user)), pk=booking_id).first()
    )
    if booking is None:
        raise Http404
    return booking


@transaction.atomic
def confirm_as_new(*, actor: User, booking_id: uuid.UUID) -> Patient:
    """The record is a new patient: every online booking of it is marked confirmed."""
    require_capability(actor, Capability.EDIT_DEMOGRAPHICS)
    patient = _booking_to_check(actor, booking_id).patient
    OnlineBooking.objects.filter(patient=patient).update(patient_confirmed=True, confirmed_by=actor, confirmed_at=timezone.now())
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AuditObject.PATIENT,
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"online_patient": "confirmed as new"},
    )
    return patient


@transaction.atomic
def merge_into(*, actor: User, booking_id: uuid.UUID, into_id: uuid.UUID | None) -> Patient:
    """Move what online booking made for the new record to ``into_id`` (a patient of the clinic) and
    remove the new record; ``MergeRefused`` when none is chosen or the record is already in use
    beyond that."""
    require_capability(actor, Capability.EDIT_DEMOGRAPHICS)
    new = _booking_to_check(actor, booking_id).patient
    if into_id is None:
        raise MergeRefused(_("Choose the patient on file to merge the record into."))
    into = patient_get_for_user(user=actor, patient_id=into_id)
    if into.pk == new.pk:
        raise MergeRefused(_("Choose another patient to merge this record into."))
    in_use = _("This record is already in use (a visit, an episode or other entries). Open it in the patient list instead.")
    appointments = Appointment.objects.filter(patient=new)
    if appointments.filter(Q(encounter__isnull=False) | Q(episode__isnull=False)).exists():
        raise MergeRefused(in_use)
    moved = [str(pk) for pk in appointments.values_list("pk", flat=True)]
    appointments.update(patient=into)
    IntakeLink.objects.filter(patient=new).update(patient=into)
    IntakeResponse.objects.filter(patient=new).update(patient=into)
    OnlineBooking.objects.filter(patient=new).update(patient=into, patient_confirmed=True, confirmed_by=actor, confirmed_at=timezone.now())
    new_id = new.pk
    try:
        with transaction.atomic():
            new.delete()
    except ProtectedError as error:
        raise MergeRefused(in_use) from error
    for patient_id, detail in ((into.pk, {"merged_online_patient": str(new_id)}), (new_id, {"merged_into": str(into.pk)})):
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=AuditObject.PATIENT,
            object_id=patient_id,
            patient_id=patient_id,
            detail={**detail, "appointments": moved},
        )
    return into

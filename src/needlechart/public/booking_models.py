"""Online booking's rows: a time held for a visitor while they fill in the form, and a booking made
from the public pages (the appointment, the patient, the hashed manage-link secret, the pre-check).

A ``BookingCode`` is the 6-digit code that links a booking to a patient on file (``public.booking_codes``).

A hold takes a practitioner's time from ``starts_at`` to ``blocked_until`` until ``expires_at``:
free times leave it out for everyone but the visitor who holds it (``public.booking``). Expiry is
a moment in the row, so no job is needed: an expired hold simply stops counting, and a completed
booking deletes its hold. The visitor knows the hold by a secret in the address; the row keeps
only its SHA-256, as it keeps only the manage link's.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Patient
from needlechart.scheduling.models import Appointment, AppointmentType, Room


class SlotHold(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    starts_at = models.DateTimeField()
    blocked_until = models.DateTimeField()
    expires_at = models.DateTimeField()
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["practitioner", "expires_at"], name="slot_hold_of_practitioner")]
        constraints = [models.CheckConstraint(condition=models.Q(blocked_until__gt=models.F("starts_at")), name="slot_hold_has_a_length")]

    def __str__(self) -> str:
        return f"hold {self.practitioner_id} {self.starts_at:%Y-%m-%d %H:%M}"


class OnlineBooking(models.Model):
    """An appointment a patient booked on the public pages. ``patient_confirmed`` is off for a
    patient record the booking created: the front desk checks it is no one already on file."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="online_booking")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    manage_secret_hash = models.CharField(max_length=64, unique=True)
    new_patient = models.BooleanField(default=True)
    patient_confirmed = models.BooleanField(_("patient record confirmed by the front desk"), default=False)
    requested_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    precheck = models.JSONField(default=dict, blank=True)  # the pre-check's answers, as given
    turned_into_assessment = models.BooleanField(default=False)
    language = models.CharField(max_length=5)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who at the front desk confirmed the record as a new patient, or merged it into one on file.
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("online booking")
        verbose_name_plural = _("online bookings")
        indexes = [models.Index(fields=["clinic", "patient_confirmed"], name="online_booking_to_confirm")]

    def __str__(self) -> str:
        return f"online booking {self.appointment_id}"


class BookingCode(models.Model):
    """The code sent to a returning patient's phone or e-mail on file, while their time is held.

    ``patient`` is the record the details matched (None when none did: the visitor is asked for a
    code all the same, and no code can be right). The details and the pre-check wait here, as
    given, until the booking is made (then the hold, and with it this row, is deleted). The code is
    kept only as an HMAC keyed with the site's secret, so the row does not give it away. A row that
    matched no one is sent nowhere: its delivery fields stay empty."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hold = models.OneToOneField(SlotHold, on_delete=models.CASCADE, related_name="code")
    patient = models.ForeignKey(Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    details = models.JSONField(default=dict)
    answers = models.JSONField(default=dict)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The delivery, recorded once it was tried (right after the request's commit): when and by
    # which channels ("sms", "email") the code went out, and when and how sending failed (each
    # failed channel with the kind of error, never the message: it holds the code).
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.JSONField(default=list, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"booking code {self.hold_id}"

"""The wait list: patients who want an earlier time, with what they accept.

An entry names the practitioners the patient accepts (none: any of the clinic's), the appointment
types they may be booked for (at least one), the parts of the day and the weekdays they can come
(none: any), and the days between which the time must fall. When a time is freed the front desk
sees the active entries that fit it, urgent first, then the longest waiting
(``scheduling.wait_list``), and books one with a click: the entry is then ``booked``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Patient


class PartOfDay(models.TextChoices):
    """Parts of the clinic's day, by the time an appointment starts (wall-clock, the clinic's zone)."""

    MORNING = "morning", _("Morning (before 11:00)")
    MIDDAY = "midday", _("Midday (11:00 to 13:00)")
    AFTERNOON = "afternoon", _("Afternoon (13:00 to 16:00)")
    EVENING = "evening", _("Evening (from 16:00)")


# Where each part of the day begins and ends (the end excluded).
PART_BOUNDS: dict[str, tuple[dt.time, dt.time]] = {
    PartOfDay.MORNING: (dt.time(0), dt.time(11)),
    PartOfDay.MIDDAY: (dt.time(11), dt.time(13)),
    PartOfDay.AFTERNOON: (dt.time(13), dt.time(16)),
    PartOfDay.EVENING: (dt.time(16), dt.time.max),
}


def part_of_day(time: dt.time) -> str:
    return next(part for part, (start, end) in PART_BOUNDS.items() if start <= time < end)


WAIT_LIST_AUDIT = "wait_list_entry"  # the audit rows' object type


class OfferBy(models.TextChoices):
    """How the patient agreed to hear of a freed time: by no message (the clinic calls), SMS or e-mail."""

    NO_MESSAGE = "", _("No message (the clinic calls)")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class WaitListStatus(models.TextChoices):
    ACTIVE = "active", _("Waiting")
    OFFERED = "offered", _("Offered a time")
    BOOKED = "booked", _("Booked")
    REMOVED = "removed", _("Removed")


# The entries that still want a time (an offered one waits for the patient's answer).
WAITING_STATUSES = (WaitListStatus.ACTIVE, WaitListStatus.OFFERED)


class WaitListEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    practitioners = models.ManyToManyField(
        User, blank=True, related_name="+", verbose_name=_("practitioners"), help_text=_("None chosen: any practitioner.")
    )
    appointment_types = models.ManyToManyField("scheduling.AppointmentType", related_name="+", verbose_name=_("appointment types"))
    parts_of_day = models.JSONField(_("times of day"), default=list, blank=True)  # PartOfDay values; empty: any
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)  # Monday 0 ... Sunday 6; empty: any
    earliest_date = models.DateField(_("from"), null=True, blank=True)
    latest_date = models.DateField(_("until"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    offer_by = models.CharField(
        _("tell the patient of a freed time by"),
        max_length=10,
        choices=OfferBy.choices,
        blank=True,
        default=OfferBy.NO_MESSAGE,
        help_text=_("A message only with the patient's consent to messages."),
    )
    status = models.CharField(_("status"), max_length=20, choices=WaitListStatus.choices, default=WaitListStatus.ACTIVE)
    status_reason = models.CharField(_("reason for removing"), max_length=300, blank=True)
    status_changed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the appointment it was booked as
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wait list entry")
        verbose_name_plural = _("wait list entries")
        ordering = ["-urgent", "created_at"]
        indexes = [models.Index(fields=["clinic", "status"], name="wait_list_clinic_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(earliest_date__isnull=True)
                | models.Q(latest_date__isnull=True)
                | models.Q(latest_date__gte=models.F("earliest_date")),
                name="wait_list_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"wait list {self.patient_id} {self.status}"

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING_STATUSES

    def parts_of_day_text(self) -> str:
        labels = dict(PartOfDay.choices)
        return ", ".join(str(labels[part]) for part in self.parts_of_day if part in labels)

    def weekdays_text(self) -> str:
        from needlechart.scheduling.models import Weekday  # noqa: PLC0415 - models imports this module

        labels = dict(Weekday.choices)
        return ", ".join(str(labels[day]) for day in self.weekdays if day in labels)

"""The clinic's calendar: rooms, appointment types, practitioners' working hours and their
exceptions, and the appointments booked in them.

Every moment is stored in UTC and shown in the clinic's time zone (``CalendarSettings``, else
``settings.TIME_ZONE``). Working hours and exceptions are wall-clock times of the clinic's zone
(09:00 is 09:00 in winter and in summer), so they are stored as dates and times, not moments.

No practitioner and no room is booked twice at once: the database itself refuses an active
appointment whose time overlaps another's (``scheduling.db_guards``: an exclusion constraint on
PostgreSQL, triggers on SQLite), whatever wrote the row.
"""

from __future__ import annotations

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Episode, Patient


def validate_time_zone(name: str) -> None:
    if name and name not in zoneinfo.available_timezones():
        raise ValidationError(_("Give a time zone such as Europe/Oslo."), code="time_zone")


class CalendarSettings(models.Model):
    """A clinic's calendar settings. A clinic without a row uses the defaults."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, primary_key=True, related_name="+")
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave empty for the server's time zone."),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("free times every (minutes)"), default=15, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    # What online booking (not built yet) offers: no time sooner than the notice, none beyond the horizon.
    minimum_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=120, validators=[MaxValueValidator(60 * 24 * 60)]
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("bookable ahead (days)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder before the visit (hours, 0: none)"), default=24, validators=[MaxValueValidator(14 * 24)]
    )

    class Meta:
        verbose_name = _("calendar settings")
        verbose_name_plural = _("calendar settings")

    def __str__(self) -> str:
        return f"calendar settings of {self.clinic_id}"


class Room(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique_in_clinic")]

    def __str__(self) -> str:
        return self.name


class AppointmentType(models.Model):
    """What is booked: how long it takes, the time kept free after it, its price (shown to the
    front desk and, later, to patients booking online; needlechart invoices nothing)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_nb = models.CharField(_("name (Norwegian)"), max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)])
    buffer_minutes = models.PositiveSmallIntegerField(
        _("free after (minutes)"),
        default=0,
        validators=[MaxValueValidator(120)],
        help_text=_("Time kept free after the appointment, for notes or the room."),
    )
    price = models.DecimalField(_("price (NOK)"), max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)])
    bookable_online = models.BooleanField(_("patients may book it online"), default=False)
    is_needling = models.BooleanField(_("a needling session"), default=False)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")
        ordering = ["name_en"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name_en"], name="appointment_type_name_unique_in_clinic"),
            models.CheckConstraint(condition=models.Q(duration_minutes__gte=5), name="appointment_type_has_a_duration"),
        ]

    def __str__(self) -> str:
        return self.name_en

    def name_in(self, language: str | None) -> str:
        return self.name_nb if language == "nb" and self.name_nb else self.name_en


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One interval of a practitioner's week template: on this weekday from start to end (the
    clinic's wall-clock time), in this room if one is given. A day with a break has two."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("room"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start_time"]
        indexes = [models.Index(fields=["practitioner", "weekday"], name="working_hours_of_practitioner")]
        constraints = [
            models.CheckConstraint(condition=models.Q(start_time__lt=models.F("end_time")), name="working_hours_end_after_start"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner_id} {self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ExceptionReason(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    COURSE = "course", _("Course")
    SICK = "sick", _("Sick")
    OTHER = "other", _("Other")


class ScheduleException(models.Model):
    """Time a practitioner (or, with no practitioner, the whole clinic) is away from the week
    template: whole days, or the same hours on each day of the range."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("practitioner")
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=ExceptionReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exception to working hours")
        verbose_name_plural = _("exceptions to working hours")
        ordering = ["first_day"]
        indexes = [models.Index(fields=["clinic", "last_day"], name="schedule_exception_days")]
        constraints = [
            models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")), name="schedule_exception_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(start_time__isnull=True, end_time__isnull=True)
                | models.Q(start_time__isnull=False, end_time__isnull=False, start_time__lt=models.F("end_time")),
                name="schedule_exception_whole_days_or_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.first_day}-{self.last_day}"

    @property
    def whole_day(self) -> bool:
        return self.start_time is None


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Arrived")
    NO_SHOW = "no_show", _("Did not come")
    LATE_CANCELLED = "late_cancelled", _("Cancelled late")
    CANCELLED = "cancelled", _("Cancelled")


# The statuses that hold the practitioner's and the room's time; the others free it.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


class Appointment(models.Model):
    """A booked time: a patient with a practitioner (in a room) for an appointment type.

    ``blocked_until`` is the end plus the type's time kept free after it, as it was when booked:
    the practitioner and the room are taken from ``starts_at`` to ``blocked_until``, and that is
    the interval the database keeps from overlapping. When the patient arrives (or the
    practitioner opens the visit) the appointment becomes a charting ``Encounter``, the visit.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("practitioner"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("room"))
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    blocked_until = models.DateTimeField()
    status = models.CharField(_("status"), max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    status_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason for visit"), max_length=300, blank=True)
    series_id = models.UUIDField(null=True, blank=True, editable=False)  # shared by the appointments of one weekly series
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="appointment")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_time"),
            models.Index(fields=["practitioner", "starts_at"], name="appointment_practitioner_time"),
            models.Index(fields=["room", "starts_at"], name="appointment_room_time"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_time"),
            models.Index(fields=["series_id"], name="appointment_series"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"),
            models.CheckConstraint(condition=models.Q(blocked_until__gte=models.F("ends_at")), name="appointment_blocked_until_after_end"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


from needlechart.scheduling.feed_models import CalendarFeed  # noqa: E402, F401 - practitioners' iCal feeds, in their own module
from needlechart.scheduling.outbox_models import OutgoingMessage  # noqa: E402, F401 - the outbox model, in its own module
from needlechart.scheduling.wait_list_models import WaitListEntry  # noqa: E402, F401 - the wait list, in its own module


class CalendarVersion(models.Model):
    """A token of a clinic's working hours and exceptions as they stand: the database sets a new
    random one on every write to either table (triggers, ``scheduling.db_versions``: a bulk
    update, a delete or plain SQL too), so what was computed from them at one token is never used
    at another (``selectors.calendar_frame``). A token, not a counter: a write rolled back takes
    its token with it, and no later write can bring it back. The clinic by id, no foreign key: a
    clinic's rows deleted with it write their token last."""

    clinic_id = models.UUIDField(primary_key=True)
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("calendar version")
        verbose_name_plural = _("calendar versions")

    def __str__(self) -> str:
        return f"{self.clinic_id} {self.token}"

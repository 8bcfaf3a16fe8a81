"""The outbox: every message the calendar sends a patient (confirmation, reminder, moved,
cancelled, and a freed time offered to a patient on the wait list), one row per message and
channel, rendered when queued and sent by the job (``needlechart send-messages``, ``scheduling.outbox``).

One row per (appointment, kind, channel, the appointment's start): the same reminder of the same
time is never queued twice, whatever queues it, and a row marked sent is never claimed again. An
offer is about a wait list entry instead of an appointment, one row per (entry, channel, the time
offered).
Imported by ``scheduling.models`` so Django sees the model.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import Clinic
from needlechart.patients.models import Patient


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("confirmation")
    REMINDER = "reminder", _("reminder")
    MOVED = "moved", _("moved")
    CANCELLED = "cancelled", _("cancelled")
    TIME_OFFERED = "time_offered", _("free time offered")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("not needed")  # the appointment moved or was cancelled before it was sent


class OutgoingMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    wait_list_entry = models.ForeignKey("scheduling.WaitListEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("message"), max_length=20, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    appointment_starts_at = models.DateTimeField()  # the time the message is about (part of the key; an offer's: the time offered)
    recipient = models.CharField(_("to"), max_length=254)
    language = models.CharField(max_length=5)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField()  # when it is due (a reminder: N hours before the time)
    claim_token = models.UUIDField(null=True, blank=True)  # the worker sending it now
    claimed_until = models.DateTimeField(null=True, blank=True)  # its lease: after this another worker may retry
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["next_attempt_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_message_due")]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind", "channel", "appointment_starts_at"], name="outgoing_message_once"),
            models.UniqueConstraint(
                fields=["wait_list_entry", "channel", "appointment_starts_at"],
                condition=models.Q(wait_list_entry__isnull=False),
                name="outgoing_offer_once",
            ),
            models.CheckConstraint(  # about an appointment, or (an offer) about a wait list entry
                condition=models.Q(appointment__isnull=False, wait_list_entry__isnull=True)
                | models.Q(appointment__isnull=True, wait_list_entry__isnull=False, kind="time_offered"),
                name="outgoing_message_about_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} {self.appointment_id or self.wait_list_entry_id} {self.status}"

    @property
    def patient(self) -> Patient:
        """Whom the message is for: the appointment's patient, or the wait list entry's."""
        about = self.appointment if self.appointment_id else self.wait_list_entry
        assert about is not None  # the check constraint: one of the two
        return about.patient

"""The audit log: every view and change of patient data, append-only and hash-chained.

Each clinic has its own chain (``chain_key`` is the clinic id, or ``system`` for events
outside any clinic). Row n stores the SHA-256 of its own canonical content together with
row n-1's hash, and ``AuditChainHead`` remembers the last sequence number and hash, so an
edited, deleted, inserted or truncated row breaks the chain where it happened
(ONC 170.315(d)(2) and (d)(8); Norwegian access-log duty, Normen fact sheet 15).

A hash anyone can recompute proves nothing to someone who can write to the database, so each
row also carries a ``seal``: an HMAC of its content under a key the server holds and the
database does not (``audit/seals.py``). A row written or rewritten around the server fails its
seal; checkpoints signed outside the database (``audit/checkpoints.py``) reveal what is removed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.core.access import Role

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    VIEW = "view", _("viewed")
    SEARCH = "search", _("searched")
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    SIGN = "sign", _("signed")
    DOWNLOAD = "download", _("downloaded")
    EXPORT = "export", _("exported")
    LOGIN = "login", _("signed in")
    LOGOUT = "logout", _("signed out")
    LOGIN_FAILED = "login_failed", _("failed sign-in")


class AuditObject(models.TextChoices):
    CLINIC = "clinic", _("clinic")
    STAFF = "staff", _("staff member")
    CERTIFICATION = "certification", _("certification")
    PATIENT = "patient", _("patient record")
    EPISODE = "episode", _("episode of care")
    ENCOUNTER = "encounter", _("visit")
    NOTE = "note", _("note")
    ADDENDUM = "addendum", _("addendum")
    PAIN_MAP = "pain_map", _("pain map")
    INTAKE_LINK = "intake_link", _("intake link")
    INTAKE = "intake", _("intake questionnaire")
    RULE_SETTING = "rule_setting", _("screening rule setting")
    CONSENT = "consent", _("consent")
    PALPATION = "palpation", _("palpation finding")
    NEEDLING_ENTRY = "needling_entry", _("needles placed")
    NEEDLING_RECORD = "needling_record", _("needle count and aftercare")
    ADVERSE_EVENT = "adverse_event", _("adverse event")
    RANGE_OF_MOTION = "range_of_motion", _("range of motion")
    PRESSURE_PAIN = "pressure_pain", _("pressure pain threshold")
    ACCESS_REPORT = "access_report", _("access report")
    AUDIT_REPORT = "audit_report", _("audit report")
    SESSION = "session", _("session")
    SYNTHETIC_DATA = "synthetic_data_set", _("synthetic data set")
    MEASUREMENT = "measurement", _("outcome measurement")
    FOLLOW_UP_LINK = "follow_up_link", _("follow-up link")
    FOLLOW_UP = "follow_up", _("follow-up answers")
    ALERT = "alert", _("follow-up alert")
    PROGRESS = "progress", _("progress report")
    ANALYTICS = "analytics", _("clinic analytics")
    CLINIC_INSTRUMENT = "clinic_instrument", _("clinic questionnaire")
    API_CLIENT = "api_client", _("API client")
    UNAPPROVED_READ = "unapproved_read", _("first clinical read by an account no second admin approved")
    SIGN_IN_THROTTLE = "sign_in_throttle", _("sign-in refused for a while (too many failures)")
    APPOINTMENT = "appointment", _("appointment")
    CALENDAR = "calendar", _("calendar")
    CALENDAR_SETUP = "calendar_setup", _("calendar set-up (rooms, types, hours)")
    PUBLIC_PAGES = "public_pages", _("public pages")
    CALENDAR_FEED = "calendar_feed", _("calendar feed (iCal)")
    PATIENT_COPY = "patient_copy", _("patient's copy of the record")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AppendOnlyModel(models.Model):
    """A row of the audit log: inserted once, never saved again nor deleted (the database's
    triggers refuse it too: core.db_triggers)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


class AuditEvent(AppendOnlyModel):
    chain_key = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField(db_index=False)
    clinic_id = models.UUIDField(null=True)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True, choices=Role.choices)
    patient_id = models.UUIDField(null=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    # Not a choices field: new kinds of object come with new features, and the log's schema
    # should not need a migration for each. AuditObject gives their display names.
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Empty only on rows written before seals existed (verify.py accepts those only before a chain's first sealed row).
    seal = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("audit event")
        constraints = [models.UniqueConstraint(fields=["chain_key", "seq"], name="audit_unique_chain_seq")]
        indexes = [
            models.Index(fields=["clinic_id", "patient_id", "at"], name="audit_patient_at"),
            models.Index(fields=["clinic_id", "at"], name="audit_clinic_at"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_key}#{self.seq} {self.action} {self.object_type}"

    def get_object_type_display(self) -> str:
        try:
            return str(AuditObject(self.object_type).label)
        except ValueError:
            return self.object_type


class AuditSubject(AppendOnlyModel):
    """A patient an audit event names besides its own ``patient_id``: each patient a list showed
    (``audit_list_read``, one event a call, its detail's ``shown``). The rows index the event by
    patient for the access log; they are derived from the sealed, chained detail, and
    ``verify-audit`` checks that each event's rows are exactly the patients its detail names."""

    # The unique key below (event first) is the event's index: no separate one for the key.
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="subjects", db_index=False)
    clinic_id = models.UUIDField(null=True)
    patient_id = models.UUIDField()

    class Meta:
        verbose_name = _("patient named by an audit event")
        constraints = [models.UniqueConstraint(fields=["event", "patient_id"], name="audit_subject_unique_event_patient")]
        indexes = [models.Index(fields=["clinic_id", "patient_id"], name="audit_subject_patient")]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.patient_id}"


class AuditChainHead(models.Model):
    """The last link of one chain; appending locks this row, so links never fork."""

    chain_key = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.chain_key}@{self.seq}"

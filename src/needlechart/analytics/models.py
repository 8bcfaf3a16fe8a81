"""Reporting tables behind the clinic dashboard.

They are derived, never the record itself: each row is recomputed from the signed sessions,
adverse events and measurements whenever those change (see ``analytics.summaries``), and
``needlechart refresh-analytics`` rebuilds them all. Keeping one narrow row per session and one
per episode lets the dashboard aggregate a million sessions with plain indexed GROUP BYs: the
indexes hold every column the dashboard's queries read, so they need not visit the table rows
(bench/bench_dashboard.py measures them).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from needlechart.charting.models import Encounter
from needlechart.clinics.models import Clinic, User
from needlechart.patients.models import Episode, Patient


class MonthStart(models.Func):
    """The first day of a date's month, in SQL that both databases can store and index (Django's TruncMonth is a Python
    function on SQLite and depends on the time zone on PostgreSQL)."""

    output_field = models.DateField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(DATE_TRUNC('month', %(expressions)s::timestamp))::date", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="DATE(%(expressions)s, 'start of month')", **extra)


class SessionFact(models.Model):
    """One signed needling session, with the worst adverse event of each severity flagged."""

    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, primary_key=True, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(max_length=20)
    day = models.DateField()
    month = models.GeneratedField(expression=MonthStart("day"), output_field=models.DateField(), db_persist=True)  # the day's
    ae_mild = models.BooleanField(default=False)
    ae_significant = models.BooleanField(default=False)
    ae_serious = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("session summary")
        indexes = [  # sessions, patients and adverse events by month; the patients of a period
            models.Index(
                fields=["clinic", "month", "patient", "day", "practitioner", "condition", "ae_mild", "ae_significant", "ae_serious"],
                name="session_fact_month",
            ),
            models.Index(fields=["clinic", "patient", "day", "practitioner", "condition"], name="session_fact_patient"),
        ]

    def __str__(self) -> str:
        return f"session {self.encounter_id} {self.day}"


class EpisodeOutcome(models.Model):
    """An episode's needling sessions and pain change, from its first to its latest NPRS."""

    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, primary_key=True, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")  # of the first session
    condition = models.CharField(max_length=20)
    first_session = models.DateField(null=True)
    sessions = models.PositiveIntegerField(default=0)
    baseline_nprs = models.FloatField(null=True)
    latest_nprs = models.FloatField(null=True)
    nprs_improvement = models.FloatField(null=True)  # baseline - latest: positive is better
    responder = models.BooleanField(null=True)  # None: no follow-up measurement yet
    sessions_to_response = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("episode outcome summary")
        indexes = [
            models.Index(
                fields=["clinic", "first_session", "practitioner", "condition", "responder", "nprs_improvement", "sessions_to_response"],
                name="episode_outcome_clinic",
            )
        ]

    def __str__(self) -> str:
        return f"episode {self.episode_id}: {self.sessions} sessions"

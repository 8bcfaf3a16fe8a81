"""Measures taken at a visit were dated by the visit's booked start; date them by when they were taken.

A visit is often seen and signed before its booked time, and a patient's follow-up answer sent in
between was then ordered before the visit's own measure (a drop from 7 to 4 read as 4 then 7).
From now on ``measurement_record`` stores when the measure was entered (see
``outcomes.models.visit_measure_taken_at``); this fills ``taken_at`` of the rows already stored
from the best time there is: when the audit log says the measure was entered, else the visit's
booked start, and never later than the visit's note was signed. Follow-up answers were always
dated when they were sent and are not touched.

The rule is copied here, as it stands today, so that this migration does what it did when it was
written whatever the application's code becomes. Pure ORM (no SQL of its own): the same on SQLite
and PostgreSQL. Reverse: the booked start again, as before.

After migrating, ``needlechart refresh-analytics`` brings the analytics tables' baseline and
responder figures in line with the new order.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations
from django.utils import timezone

BATCH = 1000


def _taken_at(booked_start: dt.datetime, signed_at: dt.datetime | None, recorded_at: dt.datetime | None) -> dt.datetime:
    taken = booked_start
    if recorded_at is not None and timezone.localdate(recorded_at) <= timezone.localdate(booked_start):
        taken = recorded_at
    if signed_at is not None and signed_at < taken:
        taken = signed_at
    return taken


def _pages(rows, fields: tuple[str, ...]):
    """``rows`` (a queryset of visit measures) as lists of ``fields`` values (each led by the pk),
    BATCH at a time. Everything is read, in one pass, before the first page is handed out to be
    written: no cursor is open over rows being changed, and the read is one query, not one per page
    (paging by id re-sorted a large clinic's measures for every page: hours at a million)."""
    values = list(rows.order_by().values_list("pk", *fields).iterator(chunk_size=5000))
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _visit_measures(Measurement, **lookup):
    return Measurement.objects.filter(source="clinic", encounter__isnull=False, **lookup)


def date_by_entry(apps, schema_editor) -> None:
    Measurement = apps.get_model("outcomes", "Measurement")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    clinic_ids = list(_visit_measures(Measurement).order_by().values_list("clinic_id", flat=True).distinct())
    for clinic_id in clinic_ids:  # one clinic at a time: its entry times fit in memory
        entered: dict[str, dt.datetime] = {}
        events = AuditEvent.objects.filter(clinic_id=clinic_id, object_type="measurement", action="create")
        for object_id, at in events.values_list("object_id", "at").iterator(chunk_size=BATCH):
            if object_id not in entered or at < entered[object_id]:
                entered[object_id] = at  # the first entry, should there ever be two
        fields = ("taken_at", "encounter__starts_at", "encounter__note__signed_at")
        for page in _pages(_visit_measures(Measurement, clinic_id=clinic_id), fields):
            changed = []
            for pk, taken_at, booked_start, signed_at in page:
                taken = _taken_at(booked_start, signed_at, entered.get(str(pk)))
                if taken != taken_at:
                    changed.append(Measurement(pk=pk, taken_at=taken))
            Measurement.objects.bulk_update(changed, ["taken_at"])


def date_by_booked_start(apps, schema_editor) -> None:
    Measurement = apps.get_model("outcomes", "Measurement")
    for page in _pages(_visit_measures(Measurement), ("taken_at", "encounter__starts_at")):
        changed = [Measurement(pk=pk, taken_at=booked) for pk, taken_at, booked in page if taken_at != booked]
        Measurement.objects.bulk_update(changed, ["taken_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_initial"),
        ("audit", "0003_role_choices"),
        ("charting", "0005_pain_map_frozen_with_the_note"),
    ]

    operations = [migrations.RunPython(date_by_entry, date_by_booked_start, elidable=False)]

"""Reads for outcomes, always scoped to the user's clinic (another clinic's rows are 404)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from needlechart.charting.models import Encounter, Note
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability
from needlechart.outcomes.models import Alert, ClinicInstrument, FollowUpLink, Measurement, visit_measure_taken_at

_Row = TypeVar("_Row", bound=models.Model)


def _get(queryset: QuerySet[_Row], **lookup: object) -> _Row:
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError) as exc:  # ObjectDoesNotExist: any model's DoesNotExist
        raise Http404 from exc


def measurement_get_for_user(*, user: User, measurement_id: uuid.UUID | str) -> Measurement:
    require_capability(user, Capability.VIEW_CLINICAL)
    return _get(Measurement.objects.select_related("encounter"), pk=measurement_id, clinic_id=clinic_id_of(user))


def alert_get_for_user(*, user: User, alert_id: uuid.UUID | str) -> Alert:
    require_capability(user, Capability.VIEW_CLINICAL)
    return _get(Alert.objects.all(), pk=alert_id, clinic_id=clinic_id_of(user))


def open_alerts(*, user: User, everyone: bool = False) -> QuerySet[Alert]:
    require_capability(user, Capability.VIEW_CLINICAL)
    alerts = Alert.objects.filter(clinic_id=clinic_id_of(user), acknowledged_at__isnull=True)
    if not everyone:
        alerts = alerts.filter(practitioner=user)
    return alerts.select_related("patient", "encounter", "practitioner", "follow_up").order_by("-urgent", "-created_at")


def clinic_instrument_get_for_user(*, user: User, row_id: uuid.UUID | str) -> ClinicInstrument:
    require_capability(user, Capability.MANAGE_STAFF)
    return _get(ClinicInstrument.objects.all(), pk=row_id, clinic_id=clinic_id_of(user))


def visit_measure_time(encounter: Encounter, recorded_at: dt.datetime) -> dt.datetime:
    """When a measure entered now (``recorded_at``) for the visit was taken (see visit_measure_taken_at)."""
    signed_at = Note.objects.filter(encounter=encounter).values_list("signed_at", flat=True).first()
    return visit_measure_taken_at(booked_start=encounter.starts_at, signed_at=signed_at, recorded_at=recorded_at)


def encounter_measurements(encounter: Encounter) -> list[Measurement]:
    return list(Measurement.objects.filter(encounter=encounter, clinic_id=encounter.clinic_id).order_by("taken_at", "instrument"))


def latest_follow_up_link(encounter: Encounter) -> FollowUpLink | None:
    return FollowUpLink.objects.filter(encounter=encounter).select_related("response").order_by("-created_at").first()


def measurements_for_user(*, user: User) -> QuerySet[Measurement]:
    """The clinic's outcome measurements with their answers, retracted ones too (they stay on record)."""
    require_capability(user, Capability.VIEW_CLINICAL)
    return Measurement.objects.filter(clinic_id=clinic_id_of(user))

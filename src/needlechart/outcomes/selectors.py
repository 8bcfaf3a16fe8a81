"""Reads for outcomes, always scoped to the user's clinic (another clinic's rows are 404)."""

from __future__ import annotations

from django.http import Http404

from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.outcomes.models import Alert, ClinicInstrument, FollowUpLink, Measurement


def _get(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def measurement_get_for_user(*, user: User, measurement_id) -> Measurement:
    require_capability(user, Capability.VIEW_CLINICAL)
    return _get(Measurement.objects.select_related("encounter"), pk=measurement_id, clinic_id=user.clinic_id)


def alert_get_for_user(*, user: User, alert_id) -> Alert:
    require_capability(user, Capability.VIEW_CLINICAL)
    return _get(Alert.objects.all(), pk=alert_id, clinic_id=user.clinic_id)


def open_alerts(*, user: User, everyone: bool = False):
    require_capability(user, Capability.VIEW_CLINICAL)
    alerts = Alert.objects.filter(clinic_id=user.clinic_id, acknowledged_at__isnull=True)
    if not everyone:
        alerts = alerts.filter(practitioner=user)
    return alerts.select_related("patient", "encounter", "practitioner", "follow_up").order_by("-urgent", "-created_at")


def clinic_instrument_get_for_user(*, user: User, row_id) -> ClinicInstrument:
    require_capability(user, Capability.MANAGE_STAFF)
    return _get(ClinicInstrument.objects.all(), pk=row_id, clinic_id=user.clinic_id)


def encounter_measurements(encounter) -> list[Measurement]:
    return list(Measurement.objects.filter(encounter=encounter, clinic_id=encounter.clinic_id).order_by("taken_at", "instrument"))


def latest_follow_up_link(encounter) -> FollowUpLink | None:
    return FollowUpLink.objects.filter(encounter=encounter).select_related("response").order_by("-created_at").first()

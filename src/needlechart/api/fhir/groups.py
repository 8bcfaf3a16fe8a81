"""The Groups of /fhir/ a per-patient bulk export (``GET /fhir/Group/<id>/$export``) can name.

A Group is not stored: its id says which of the clinic's patients it holds.

- ``clinic``: every patient of the clinic;
- ``practitioner-<id>``: the patients with at least one visit booked with that staff member
  (``<id>`` is the staff member's Practitioner id in /fhir/Practitioner).

Another clinic's practitioner, or an id of neither form, is no Group (404). The patients are read
through the Patient source (api.fhir.sources), so the access layer checks the acting role first.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from needlechart.api.fhir.sources import TYPES
from needlechart.charting.models import Encounter
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of

CLINIC_GROUP = "clinic"
PRACTITIONER_GROUP = "practitioner-"


def group_patients(user: User, group_id: str) -> QuerySet[Any] | None:
    """The patients' ids of the Group ``group_id`` in the user's clinic (a subquery), or None if it is no Group."""
    patients = TYPES["Patient"].sources[0].rows(user)
    if group_id == CLINIC_GROUP:
        return patients.values("pk")
    if not group_id.startswith(PRACTITIONER_GROUP) or not group_id[len(PRACTITIONER_GROUP) :].isdigit():
        return None
    staff_id = int(group_id[len(PRACTITIONER_GROUP) :])
    if not User.objects.filter(pk=staff_id, clinic_id=clinic_id_of(user)).exists():
        return None
    visited = Encounter.objects.filter(clinic_id=clinic_id_of(user), practitioner_id=staff_id).values("patient_id")
    return patients.filter(pk__in=visited).values("pk")

"""The first page of one patient's Observations, read in SQL: the commonest clinical search
(``GET /fhir/Observation?patient=<id>``), whose three ORM queries cost more to compile than to run.

Each reader gives what its source's queryset gives for ``patient=<id>`` in primary-key order
(``sources.Source.rows`` filtered as api.fhir.search filters it): the same rows, as model
instances with the same related visit and flags, so the same builder makes the same resource.
The view uses them only for that one search shape; any other parameter, a list of patients or a
later page goes through the querysets. tests/api/test_fhir_patient_pages.py compares the two.
Tables and columns are named from the models' _meta; every value is a parameter.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.db import connection, models

from needlechart.charting.models import Encounter, Note
from needlechart.core.raw_sql import SqlNames, model_columns, model_from_row, uuid_param
from needlechart.needling.models import PressurePainThreshold, RangeOfMotion
from needlechart.outcomes.models import Measurement


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.cache
def _measurements_sql() -> str:
    m = SqlNames(Measurement)
    return (
        f"SELECT {model_columns(Measurement, 'm')} FROM {m} m"  # noqa: S608 - names from _meta
        f" WHERE m.{m.clinic} = %s AND m.{m.patient} = %s ORDER BY m.{m.pk} LIMIT %s"
    )


def measurements(clinic_id: uuid.UUID, patient_id: uuid.UUID, limit: int) -> list[Measurement]:
    """The patient's outcome measurements, as ``Measurement.objects.filter(clinic_id=..., patient_id__in=[...])``."""
    rows = _fetch(_measurements_sql(), [uuid_param(clinic_id), uuid_param(patient_id), limit])
    return [model_from_row(Measurement, row) for row in rows]


@functools.cache
def _with_visit_sql(model: type[models.Model]) -> str:
    t, e, n = SqlNames(model), SqlNames(Encounter), SqlNames(Note)
    signed = f"EXISTS (SELECT 1 FROM {n} n WHERE n.{n.encounter} = t.{t.encounter} AND n.{n.signed_at} IS NOT NULL)"  # noqa: S608
    return (
        f"SELECT {model_columns(model, 't')}, {model_columns(Encounter, 'e')}, {signed}"  # noqa: S608 - names from _meta
        f" FROM {t} t INNER JOIN {e} e ON e.{e.pk} = t.{t.encounter}"
        f" WHERE t.{t.clinic} = %s AND e.{e.patient} = %s ORDER BY t.{t.pk} LIMIT %s"
    )


def _with_visit(model: type[models.Model], clinic_id: uuid.UUID, patient_id: uuid.UUID, limit: int) -> list[Any]:
    """The patient's rows of ``model`` with their visit (``encounter``) and ``note_signed``, as the
    sources' querysets read them (select_related("encounter"), the signed-note Exists)."""
    width = len(model._meta.concrete_fields)
    found = []
    for row in _fetch(_with_visit_sql(model), [uuid_param(clinic_id), uuid_param(patient_id), limit]):
        record = model_from_row(model, row[:width])
        record.encounter = model_from_row(Encounter, row[width:-1])
        record.note_signed = bool(row[-1])
        found.append(record)
    return found


def thresholds(clinic_id: uuid.UUID, patient_id: uuid.UUID, limit: int) -> list[PressurePainThreshold]:
    return _with_visit(PressurePainThreshold, clinic_id, patient_id, limit)


def ranges(clinic_id: uuid.UUID, patient_id: uuid.UUID, limit: int) -> list[RangeOfMotion]:
    return _with_visit(RangeOfMotion, clinic_id, patient_id, limit)

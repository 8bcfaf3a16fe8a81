"""FHIR search parameters as filters on a source's rows, and the signed cursor of a page.

Parameters given twice are all applied (``date=ge2026-01-01&date=lt2026-02-01``); a value with
commas matches any of its parts. A value that cannot be read (a date that is not one, a prefix
needlechart does not take, ``_count`` out of range, a cursor this search did not give) is a 400.
A parameter the type does not know is for the view to handle (strict or lenient).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.api.fhir.outcome import FhirError
from needlechart.api.fhir.source_types import ResourceType, Source
from needlechart.api.fhir.sources import DATE_PARAMS
from needlechart.interop.terminology import terminology
from needlechart.patients.identifiers import normalise_identifier
from needlechart.patients.models import PatientIdentifier

DEFAULT_COUNT, MAX_COUNT = 20, 100
# Parameters of every search that are not filters.
CONTROL = frozenset({"_count", "_cursor", "_format"})
_SALT = "needlechart.api.fhir.cursor"
_PREFIXES = ("eq", "gt", "ge", "lt", "le")
_NOTHING = Q(pk__in=[])
MAX_ALTERNATIVES = 100  # values in one parameter's commas: more would overflow a query's parameters
# The years a date parameter may name (as the v1 API's dates): beyond them the database's range ends.
YEARS = range(1900, 2200)


def bad(name: str, value: str) -> FhirError:
    return FhirError(400, _("The search parameter %(name)s cannot take the value %(value)s.") % {"name": name, "value": value[:100]})


@dataclass(frozen=True)
class Period:
    """A date, month, year or moment as the half-open range it stands for."""

    start: dt.datetime
    end: dt.datetime


def _period(name: str, text: str) -> Period:
    zone = timezone.get_current_timezone()
    if not text[:4].isdigit() or int(text[:4]) not in YEARS:
        raise bad(name, text)
    try:
        if len(text) == 4:
            start = dt.datetime(int(text), 1, 1, tzinfo=zone)
            return Period(start, start.replace(year=start.year + 1))
        if len(text) == 7:
            start = dt.datetime.strptime(text, "%Y-%m").replace(tzinfo=zone)
            return Period(start, (start + dt.timedelta(days=32)).replace(day=1))
        if len(text) == 10:
            start = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=zone)
            return Period(start, start + dt.timedelta(days=1))
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as error:
        raise bad(name, text) from error
    if moment.tzinfo is None or moment.year not in YEARS:
        raise bad(name, text)
    return Period(moment, moment + dt.timedelta(seconds=1))


def date_filter(name: str, value: str, lookup: str, *, date_only: bool = False) -> Q:
    prefix, text = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
    if prefix not in _PREFIXES:
        raise bad(name, value)
    period = _period(name, text)
    start: Any = period.start.date() if date_only else period.start
    end: Any = period.end.date() if date_only else period.end
    if date_only and period.end - period.start < dt.timedelta(days=1):
        end = start + dt.timedelta(days=1)
    return {
        "eq": Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end}),
        "gt": Q(**{f"{lookup}__gte": end}),
        "ge": Q(**{f"{lookup}__gte": start}),
        "lt": Q(**{f"{lookup}__lt": start}),
        "le": Q(**{f"{lookup}__lt": end}),
    }[prefix]


def _any(parts: list[Q]) -> Q:
    result = _NOTHING
    for part in parts:
        result |= part
    return result


def _ids(values: list[str], prefix: str | None = None) -> list[str]:
    """The ids a list of ids or references names (``Patient/<id>`` or ``<id>``); others match nothing."""
    ids = []
    for value in values:
        kind, _slash, rest = value.rpartition("/")
        if kind and prefix and kind.rsplit("/", 1)[-1] != prefix:
            continue
        ids.append(rest)
    return ids


def _uuids(values: list[str]) -> list[uuid.UUID]:
    result = []
    for value in values:
        try:
            result.append(uuid.UUID(value))
        except ValueError:
            continue  # an id needlechart never gave: it matches nothing
    return result


def patient_ids(values: list[str]) -> list[uuid.UUID]:
    """The patients a patient= or subject= parameter's values name (``Patient/<id>`` or ``<id>``)."""
    return _uuids(_ids(values, "Patient"))


def key_of(queryset: QuerySet[Any], text: str) -> Any | None:
    """``text`` as a key of the queryset's model (a UUID, or a staff and audit row's integer); None
    when it cannot be one: an id of another form names no row of this table."""
    pk_field = queryset.model._meta.pk
    assert pk_field is not None
    try:
        return pk_field.to_python(text)
    except (ValidationError, ValueError, TypeError):
        return None


def _keys_for(queryset: QuerySet[Any], ids: list[str]) -> Q:
    """_id: the ids that can be keys of the model."""
    keys = [key for key in (key_of(queryset, value) for value in ids) if key is not None]
    return Q(pk__in=keys)


def _measures(values: list[str]) -> set[str]:
    """The instruments a code parameter names: by system|code, |code or code alone."""
    codes = terminology()
    found: set[str] = set()
    for value in values:
        system, bar, code = value.rpartition("|")
        if not bar:
            system = ""
        for measure_id, measure in codes.measures.items():
            if any(code == c and (not system or system == codes.url(s)) for s, c in measure.codes):
                found.add(measure_id)
        if not system or system == codes.url("clinic-instrument"):
            found.add(code)  # a clinic's own questionnaire, by its id
    return found


def _text(lookup: str, value: str) -> Q:
    return Q(**{f"{lookup}__istartswith": value}) | Q(**{f"{lookup}__icontains": f" {value}"})


def _identifier(value: str) -> Q:
    system, bar, text = value.rpartition("|")
    if not bar:
        rows = PatientIdentifier.objects.filter(value=text.strip())
    else:
        rows = PatientIdentifier.objects.filter(value=normalise_identifier(system, text) if system else text.strip())
        if system:
            rows = rows.filter(system=system)
    return Q(pk__in=rows.values("patient_id"))


def source_filter(
    kind: ResourceType, source: Source, queryset: QuerySet[Any], params: list[tuple[str, str]], user: Any = None
) -> QuerySet[Any]:
    """The source's rows the known ``params`` match (every parameter, any of a value's commas); ``user``:
    the reader, whose clinic a source's ``patients_narrow`` reads in."""
    for name, value in params:
        single = name in DATE_PARAMS or name in {"birthdate", "_lastUpdated"}
        alternatives = [value] if single else [v for v in value.split(",") if v]
        if not alternatives or len(alternatives) > MAX_ALTERNATIVES:
            raise bad(name, value)
        if name == "_id":
            queryset = queryset.filter(_keys_for(queryset, alternatives))
        elif name in {"patient", "subject"}:
            if source.patient is None:
                return queryset.none()
            if source.patients_narrow is not None and user is not None:
                queryset = source.patients_narrow(queryset, user, patient_ids(alternatives))
            else:
                queryset = queryset.filter(**{f"{source.patient}__in": patient_ids(alternatives)})
        elif name in DATE_PARAMS:
            if source.date is None:
                return queryset.none()
            queryset = queryset.filter(date_filter(name, value, source.date))
        elif name == "_lastUpdated":
            queryset = queryset.filter(date_filter(name, value, str(source.updated)))
        elif name == "birthdate":
            queryset = queryset.filter(date_filter(name, value, "birth_date", date_only=True))
        elif name == "code":
            measures = _measures(alternatives)
            if source.instrument:
                queryset = queryset.filter(**{f"{source.instrument}__in": sorted(measures)})
            elif source.measure not in measures:
                return queryset.none()
        elif name == "identifier":
            queryset = queryset.filter(_any([_identifier(v) for v in alternatives]))
        elif name in {"name", "family", "given"}:
            lookups = {"name": ("family_name", "given_name"), "family": ("family_name",), "given": ("given_name",)}[name]
            queryset = queryset.filter(_any([_text(lookup, v) for v in alternatives for lookup in lookups]))
        else:  # pragma: no cover - the view passes only the type's parameters
            raise bad(name, value)
    return queryset


def count_of(params: list[tuple[str, str]]) -> int:
    values = [v for k, v in params if k == "_count"]
    if not values:
        return DEFAULT_COUNT
    text = values[-1]
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise FhirError(400, _("_count must be a whole number from 1 to %(max)s.") % {"max": MAX_COUNT})
    return int(text)


def search_key(kind: ResourceType, params: list[tuple[str, str]]) -> str:
    """What a cursor is bound to: the type and the filters (not _count or the cursor)."""
    text = "&".join(f"{k}={v}" for k, v in sorted(params) if k not in CONTROL)
    return hashlib.sha256(f"{kind.name}?{text}".encode()).hexdigest()[:16]


def cursor_text(key: str, source_index: int, pk: Any) -> str:
    return signing.dumps({"q": key, "s": source_index, "k": str(pk)}, salt=_SALT, compress=True)


def cursor_position(key: str, text: str) -> tuple[int, str]:
    """The (source, key) a cursor continues after; 400 for a cursor of another search or none of ours."""
    try:
        data = signing.loads(text, salt=_SALT)
        if data["q"] != key or not isinstance(data["s"], int) or not isinstance(data["k"], str):
            raise ValueError(data)
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise FhirError(400, _("The _cursor is not one this search gave. Start the search again without it.")) from error
    return data["s"], data["k"]

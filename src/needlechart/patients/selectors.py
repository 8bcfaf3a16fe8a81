"""Reads of patients, always through the reader's clinic (missing and forbidden: 404)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from needlechart.charting.models import Addendum, Encounter
from needlechart.clinics.models import User
from needlechart.core.access import Capability, has_capability, require_capability
from needlechart.patients.models import Episode, Patient, search_key

SEARCH_LIMIT = 50
# The chart comes with the patient's newest visits; each episode's older ones are loaded this
# many at a time when asked for, so a record of many years opens as fast as a new one.
VISITS_PER_PAGE = 10
# The newest notes are shown in full on the chart; older ones as one line (open the visit to read them).
FULL_NOTES_ON_CHART = 3
_SEARCH_ORDER = ("family_key", "given_key", "birth_date")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d%m%Y")
_KEY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def patients_for_user(*, user: User) -> QuerySet[Patient]:
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    return Patient.objects.filter(clinic_id=user.clinic_id)


def patient_get_for_user(*, user: User, patient_id) -> Patient:
    try:
        return patients_for_user(user=user).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def episode_get_for_user(*, user: User, episode_id) -> Episode:
    require_capability(user, Capability.VIEW_DEMOGRAPHICS)
    try:
        return Episode.objects.select_related("patient").get(pk=episode_id, clinic_id=user.clinic_id)
    except (Episode.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest key greater than every key starting with ``prefix`` (keys use _KEY_ALPHABET)."""
    chars = list(prefix)
    while chars:
        position = _KEY_ALPHABET.index(chars[-1])
        if position + 1 < len(_KEY_ALPHABET):
            chars[-1] = _KEY_ALPHABET[position + 1]
            return "".join(chars)
        chars.pop()
    return None


def _prefix_q(field_name: str, prefix: str) -> Q:
    q = Q(**{f"{field_name}__gte": prefix})
    upper = _prefix_upper_bound(prefix)
    return q & Q(**{f"{field_name}__lt": upper}) if upper else q


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


@dataclass
class SearchQuery:
    """What the search box was understood to contain."""

    text: str
    birth_date: dt.date | None = None
    identifier: str | None = None
    name_keys: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.birth_date or self.identifier or self.name_keys)


def parse_search(text: str) -> SearchQuery:
    text = " ".join(text.split())[:100]
    query = SearchQuery(text=text)
    compact = text.replace(" ", "")
    if date := _parse_date(text):
        query.birth_date = date
    elif re.fullmatch(r"[0-9A-Za-z\-]{5,}", compact) and sum(c.isdigit() for c in compact) >= 4:
        query.identifier = compact
    else:
        query.name_keys = [k for k in (search_key(t) for t in text.split()) if k][:4]
    return query


def patient_search(*, user: User, text: str) -> tuple[SearchQuery, list[Patient]]:
    """Find patients by name prefix(es), date of birth, or an exact identifier."""
    query = parse_search(text)
    if query.is_empty:
        return query, []
    qs = patients_for_user(user=user)
    if query.birth_date:
        qs = qs.filter(birth_date=query.birth_date)
    elif query.identifier:
        qs = qs.filter(identifiers__value=query.identifier, identifiers__clinic_id=user.clinic_id)
    else:
        return query, _name_search(qs, query.name_keys)
    return query, list(qs.order_by(*_SEARCH_ORDER)[:SEARCH_LIMIT])


def _name_search(qs: QuerySet[Patient], keys: list[str]) -> list[Patient]:
    """Patients with every key at the start of their family or a given name.

    The first key is looked up as two index ranges, family names and given names, joined by
    UNION. With a single OR instead, PostgreSQL may walk the whole family-name index in order
    and filter (about 70 ms at 100,000 patients for a prefix late in the alphabet, not 1 ms).
    """
    first, *rest = keys
    for key in rest:
        qs = qs.filter(_prefix_q("family_key", key) | _prefix_q("given_key", key))
    arms = [qs.filter(_prefix_q(name, first)) for name in ("family_key", "given_key")]
    if connection.features.supports_slicing_ordering_in_compound:  # each arm can stop after one page
        arms = [arm.order_by(*_SEARCH_ORDER)[:SEARCH_LIMIT] for arm in arms]
    return list(arms[0].union(arms[1]).order_by(*_SEARCH_ORDER)[:SEARCH_LIMIT])


@dataclass
class EpisodeTimeline:
    episode: Episode  # annotated with visit_count
    encounters: list[Encounter] = field(default_factory=list)

    @property
    def older(self) -> int:
        """The episode's visits not on the chart: older than the patient's newest VISITS_PER_PAGE."""
        return self.episode.visit_count - len(self.encounters)


_VISIT_COLUMNS = ("episode_id", "starts_at", "status", "reason", "practitioner_id")
_USER_COLUMNS = ("username", "first_name", "last_name")
_NOTE_COLUMNS = ("subjective", "objective", "assessment", "plan", "digest", "signed_at", "author_id", "signed_by_id")


def _timeline_visits(user: User, encounters: QuerySet[Encounter]) -> QuerySet[Encounter]:
    """Visits as the timeline shows them, newest first: who saw the patient and, for clinicians, the note.

    Only the columns the timeline shows are read: a note comes without its canonical text
    (about 1 kB) and its visit with the number of addenda, so that addenda are read only when shown.
    """
    visits = encounters.filter(clinic_id=user.clinic_id).select_related("practitioner")
    columns = [*_VISIT_COLUMNS, *(f"practitioner__{name}" for name in _USER_COLUMNS)]
    if has_capability(user, Capability.VIEW_CLINICAL):
        addenda = Addendum.objects.filter(note_id=OuterRef("note__id")).order_by().values("note_id").annotate(n=Count("*")).values("n")
        visits = visits.select_related("note", "note__author", "note__signed_by").annotate(addenda_count=Subquery(addenda))
        columns += [f"note__{name}" for name in _NOTE_COLUMNS]
        columns += [f"note__{person}__{name}" for person in ("author", "signed_by") for name in _USER_COLUMNS]
    return visits.only(*columns).order_by("-starts_at", "-id")


def patient_chart(*, user: User, patient: Patient) -> list[EpisodeTimeline]:
    """Episodes, newest first, each with its visits among the patient's newest VISITS_PER_PAGE.

    A fixed number of queries whatever the size of the record; older visits come from
    ``episode_visits`` when asked for.
    """
    episodes = patient.episodes.annotate(visit_count=Count("encounters")).order_by("-started_on", "-created_at")
    timelines = {e.pk: EpisodeTimeline(episode=e) for e in episodes}
    visits = list(_timeline_visits(user, Encounter.objects.filter(patient=patient))[:VISITS_PER_PAGE])
    clinical = has_capability(user, Capability.VIEW_CLINICAL)  # only clinicians' visits carry their note
    full = [v for v in visits if clinical and hasattr(v, "note")][:FULL_NOTES_ON_CHART]
    for visit in visits:
        visit.show_full_note = visit in full
        timelines[visit.episode_id].encounters.append(visit)
    addenda: dict[uuid.UUID, list[Addendum]] = {}
    if any(v.addenda_count for v in full):  # addenda are rare: no query without them
        for addendum in Addendum.objects.filter(note__in=[v.note for v in full]).select_related("author").order_by("created_at"):
            addenda.setdefault(addendum.note_id, []).append(addendum)
    for visit in full:
        visit.note.addenda_list = addenda.get(visit.note.pk, [])
    return list(timelines.values())


def episode_visits(*, user: User, episode: Episode, before: uuid.UUID | None) -> tuple[list[Encounter], bool]:
    """A page of the episode's visits older than ``before`` (one of them), newest first, and
    whether there are older ones still. Their notes are shown as one line each."""
    visits = _timeline_visits(user, Encounter.objects.filter(episode=episode))
    if before is not None:
        cursor = Subquery(Encounter.objects.filter(pk=before, episode=episode).values("starts_at"))
        visits = visits.filter(Q(starts_at__lt=cursor) | Q(starts_at=cursor, pk__lt=before))
    page = list(visits[: VISITS_PER_PAGE + 1])
    for visit in page:
        visit.show_full_note = False
    return page[:VISITS_PER_PAGE], len(page) > VISITS_PER_PAGE

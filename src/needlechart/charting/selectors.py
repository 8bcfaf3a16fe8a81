"""Reads of encounters and notes, within the reader's clinic and role."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from needlechart.charting.models import Addendum, Encounter, Note
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, require_capability


def encounter_get_for_user(*, user: User, encounter_id: uuid.UUID | str) -> Encounter:
    require_capability(user, Capability.VIEW_DAY_LIST)
    try:
        return Encounter.objects.select_related("patient", "episode", "practitioner").get(pk=encounter_id, clinic_id=clinic_id_of(user))
    except (Encounter.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def encounter_for_writing(*, user: User, encounter_id: uuid.UUID | str) -> Encounter:
    """The visit as ``encounter_get_for_user`` finds it (in the reader's clinic, else 404), without
    the patient, episode and practitioner a page draws: for a form's post, whose service reads
    what it needs of the visit again, under lock."""
    require_capability(user, Capability.VIEW_DAY_LIST)
    try:
        return Encounter.objects.get(pk=encounter_id, clinic_id=clinic_id_of(user))
    except (Encounter.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def note_for_encounter(*, user: User, encounter: Encounter) -> Note | None:
    require_capability(user, Capability.VIEW_CLINICAL)
    note = Note.objects.select_related("author", "signed_by").filter(encounter=encounter, clinic_id=clinic_id_of(user)).first()
    if note is not None:
        note.addenda_list = list(note.addenda.select_related("author", "signed_by").order_by("created_at"))
    return note


def note_get_for_user(*, user: User, note_id: uuid.UUID | str) -> Note:
    require_capability(user, Capability.VIEW_CLINICAL)
    try:
        return Note.objects.select_related("encounter", "author").get(pk=note_id, clinic_id=clinic_id_of(user))
    except (Note.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def addendum_get_for_user(*, user: User, addendum_id: uuid.UUID | str) -> Addendum:
    require_capability(user, Capability.VIEW_CLINICAL)
    try:
        return Addendum.objects.select_related("note").get(pk=addendum_id, clinic_id=clinic_id_of(user))
    except (Addendum.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def day_list(*, user: User, day: dt.date, only_own: bool = False) -> dict[User, list[Encounter]]:
    """The day's encounters grouped by practitioner, the reader's own first (or only)."""
    require_capability(user, Capability.VIEW_DAY_LIST)
    start, end = day_bounds(day)
    qs: QuerySet[Encounter] = Encounter.objects.filter(clinic_id=clinic_id_of(user), starts_at__gte=start, starts_at__lt=end)
    if only_own:
        qs = qs.filter(practitioner=user)
    qs = qs.select_related("patient", "practitioner").order_by("starts_at")
    grouped: dict[User, list[Encounter]] = defaultdict(list)
    for encounter in qs:
        grouped[encounter.practitioner].append(encounter)
    ordered = sorted(grouped.items(), key=lambda item: (item[0].pk != user.pk, item[0].last_name, item[0].first_name))
    return dict(ordered)


def encounters_for_user(*, user: User) -> QuerySet[Encounter]:
    """The clinic's visits, for a reader of clinical records (the API's clinical reads)."""
    require_capability(user, Capability.VIEW_CLINICAL)
    return Encounter.objects.filter(clinic_id=clinic_id_of(user))


def _signed_or_written_by(user: User) -> Q:
    """Signed, or a draft of ``user``'s own (an unsaved reader, such as an API client, has none)."""
    signed = Q(signed_at__isnull=False)
    return signed | Q(author_id=user.pk) if user.pk is not None else signed


def readable_notes(*, user: User) -> QuerySet[Note]:
    """The clinic's notes ``user`` may read: signed ones, and their own drafts (nobody else's),
    each with the addenda they may read in ``addenda_list``, oldest first."""
    require_capability(user, Capability.VIEW_CLINICAL)
    rule = _signed_or_written_by(user)
    addenda = Addendum.objects.filter(rule).order_by("created_at", "pk")
    return Note.objects.filter(rule, clinic_id=clinic_id_of(user)).prefetch_related(Prefetch("addenda", addenda, to_attr="addenda_list"))  # type: ignore[no-redef]  # the model declares it


def notes_changed_since(notes: QuerySet[Note], since: dt.datetime) -> QuerySet[Note]:
    """The notes changed at or after ``since``: saved or signed then, or given a signed addendum."""
    amended = Addendum.objects.filter(note_id=OuterRef("pk"), signed_at__gte=since)
    return notes.filter(Q(updated_at__gte=since) | Exists(amended))

"""The canonical content of signed notes and addenda.

The canonical form names everything a reader relies on: who, whom, when, what was
written. It is stored verbatim at signing together with its SHA-256 digest; verifying
recomputes it from the rows and compares both, so an edit anywhere is detected.

The apps above charting add their part of a visit (needling's facts, judgements and signing
gates) through ``register_signing_contributor``; see ``SigningContributor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured

from needlechart.charting.models import Addendum, Encounter, Note, PainMap
from needlechart.core.canonical import canonical_json

# --- what the apps above charting contribute to a signed note ------------------------------

State = TypeVar("State")

# The key under which ``note_content`` puts the judgements of every contributor.
JUDGEMENTS_KEY = "judgements"
# Keys of the note's canonical form that charting writes itself; no contributor may take them.
_NOTE_KEYS = frozenset(
    {"type", "note", "clinic", "patient", "encounter", "author", "signed_by", "signed_at", "pain_map", JUDGEMENTS_KEY}
    | {"subjective", "objective", "assessment", "plan"}
)


@dataclass(frozen=True)
class SigningContributor(Generic[State]):
    """One app's part in signing a visit's note, as functions of a state it reads once per signing.

    Why a registry: signing a visit's note freezes more than charting's own rows, namely the
    needling done at the visit (facts, verified again later) and what the system concluded
    about it then (judgements, frozen as they were), and needling's gates can refuse the
    signature. needling sits above charting (its rows point at charting's Encounter), so
    charting may not import it. Instead such an app registers a contributor from its
    ``AppConfig.ready()`` (needling: ``needlechart.needling.signing.SIGNING``) and charting
    calls whatever is registered, in the order of registration.

    - ``key``: its facts go under this key of the note's canonical form, and ``note_signed``
      is sent with ``key=recorded(state)``.
    - ``read``: the state of the visit, from the database (read once: gates, facts and
      judgements of one signing all see the same rows).
    - ``facts``: what was recorded, from the rows; verification recomputes and compares it.
    - ``judgements``: what the system concluded at signing; merged with the other
      contributors' under ``judgements`` (so their keys must differ), never recomputed.
    - ``problems``: why the note cannot be signed yet (empty: it can).
    - ``recorded``: whether the visit recorded anything of this app's.
    - ``omit_when_empty``: leave the key out of the canonical form when the facts are empty, so
      that a contributor added later (homecare) leaves the notes signed before it, and the visits
      without its records, byte for byte what they were.
    - ``joined``: the encounter's single-row relations ``read`` uses (``select_related`` paths
      from Encounter: "needling_record", "practitioner__practitioner_profile"). Signing reads them
      in the statement that locks the visit (``signing_relations``), and ``read`` takes them from
      there (``joined_row``) instead of reading each again.
    """

    key: str
    read: Callable[[Encounter], State]
    facts: Callable[[State], dict[str, Any]]
    judgements: Callable[[State], dict[str, Any]]
    problems: Callable[[State], list[str]]
    recorded: Callable[[State], bool]
    omit_when_empty: bool = False
    joined: tuple[str, ...] = ()


# Each contributor's states of one visit, by its key (``signing_states``).
SigningStates = Mapping[str, Any]

_CONTRIBUTORS: dict[str, SigningContributor[Any]] = {}


def register_signing_contributor(contributor: SigningContributor[Any]) -> None:
    """Add an app's part to every note's signing; call it from ``AppConfig.ready()``.

    Registering the same contributor again (``ready()`` may run twice) changes nothing; another
    one under a key already taken, or under a key of charting's own, is refused.
    """
    if contributor.key in _NOTE_KEYS:
        raise ImproperlyConfigured(f"Signing contributor key {contributor.key!r} is one of the note's own keys.")
    registered = _CONTRIBUTORS.setdefault(contributor.key, contributor)
    if registered != contributor:
        raise ImproperlyConfigured(f"Another signing contributor is already registered under {contributor.key!r}.")


# What the note's own canonical form reads of the encounter, besides its columns.
_NOTE_JOINED = ("practitioner", "episode", "pain_map")


def signing_relations() -> list[str]:
    """The encounter's single-row relations a signing reads (charting's and every contributor's
    ``joined``), as ``select_related`` paths from Encounter, each once, in a stable order."""
    return list(dict.fromkeys([*_NOTE_JOINED, *(path for contributor in _CONTRIBUTORS.values() for path in contributor.joined)]))


_Row = TypeVar("_Row")

# The encounter whose signing states are being read from a read that joined signing_relations().
_joined_encounter: ContextVar[Encounter | None] = ContextVar("joined_encounter", default=None)


def joined_row(encounter: Encounter, relation: str, read: Callable[[], _Row | None]) -> _Row | None:
    """The encounter's row of the single-row relation ``relation`` (None: it has none): while
    ``signing_states(encounter, joined=True)`` reads, the one the read of that very encounter
    joined (``select_related``); otherwise, or for a relation not joined, ``read()``. (An
    encounter's relation cache alone says nothing: saving a row of a one-to-one relation fills
    it, and it then goes stale when the row is saved again by another instance.)"""
    if _joined_encounter.get() is encounter and relation in signing_relations():
        field = Encounter._meta.get_field(relation)
        if field.is_cached(encounter):  # type: ignore[union-attr]  # a relation's field caches
            return cast("_Row | None", field.get_cached_value(encounter))  # type: ignore[union-attr]
    return read()


def signing_states(encounter: Encounter, *, joined: bool = False) -> dict[str, Any]:
    """Every contributor's state of the visit, read from the database; ``joined``: ``encounter``
    was read, in this transaction, with ``select_related(*signing_relations())``, and the
    contributors take those rows from it."""
    token = _joined_encounter.set(encounter if joined else None)
    try:
        return {key: contributor.read(encounter) for key, contributor in _CONTRIBUTORS.items()}
    finally:
        _joined_encounter.reset(token)


def signing_problems(states: SigningStates) -> list[str]:
    """Every contributor's reasons the note cannot be signed yet."""
    return [problem for key, contributor in _CONTRIBUTORS.items() for problem in contributor.problems(states[key])]


def signing_recorded(states: SigningStates) -> dict[str, bool]:
    """For ``note_signed``: whether the visit recorded anything of each contributor's (``needling=True``...)."""
    return {key: contributor.recorded(states[key]) for key, contributor in _CONTRIBUTORS.items()}


def _judgements(states: SigningStates) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, contributor in _CONTRIBUTORS.items():
        judgements = contributor.judgements(states[key])
        if taken := merged.keys() & judgements.keys():
            raise ImproperlyConfigured(f"Signing contributor {key!r} repeats judgements of another: {sorted(taken)}")
        merged |= judgements
    return merged


# --- the canonical forms -------------------------------------------------------------------


def _person(user) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "name": user.display_name}


_PERSON_KEYS = frozenset({"id", "username", "name"})


def _names_as_recorded(current: Any, stored: Any) -> Any:
    """``current`` with each person's name and username as ``stored`` recorded them, wherever the
    same person (the same id) stands in the same place: a signature binds people by their ids, and
    a name corrected later must not break it."""
    if isinstance(current, dict) and isinstance(stored, dict):
        if current.keys() == _PERSON_KEYS and stored.keys() == _PERSON_KEYS and current["id"] == stored["id"]:
            return dict(stored)
        return {key: _names_as_recorded(value, stored.get(key)) for key, value in current.items()}
    if isinstance(current, list) and isinstance(stored, list) and len(current) == len(stored):
        return [_names_as_recorded(c, s) for c, s in zip(current, stored, strict=True)]
    return current


def note_rows_match(note: Note, states: SigningStates | None = None) -> bool:
    """Whether a signed note's stored form says what its visit's rows say now (in the form it was
    signed in, people's names as recorded then, the judgements of the moment not recomputed)."""
    stored = json.loads(note.canonical)
    stored.pop(JUDGEMENTS_KEY, None)
    form = stored.get("type")
    if form not in NOTE_FORMS:
        return False
    current = note_content(note, states, form=form)
    return canonical_json(_names_as_recorded(current, stored)) == canonical_json(stored)


def addendum_rows_match(addendum: Addendum) -> bool:
    """As ``note_rows_match``, for a signed addendum."""
    stored = json.loads(addendum.canonical)
    return canonical_json(_names_as_recorded(addendum_content(addendum), stored)) == canonical_json(stored)


def _signed_at(record: Note | Addendum) -> str:
    """When the record was signed: a canonical form is built only for a signed record, or for one
    being signed (``charting.services`` sets its time first)."""
    if record.signed_at is None:
        raise ValueError(f"{type(record).__name__} {record.pk} is not signed: it has no canonical form")
    return record.signed_at.isoformat()


# The forms a note has been signed in, oldest first; a note is signed in the newest and verified in
# its own. /2 binds the visit as well: its patient, length and reason (a visit moved to another
# patient no longer verifies).
NOTE_FORMS = ("needlechart.note/1", "needlechart.note/2")
NOTE_FORM = NOTE_FORMS[-1]


def _encounter(encounter: Encounter, form: str) -> dict[str, Any]:
    bound: dict[str, Any] = {
        "id": str(encounter.pk),
        "episode": str(encounter.episode_id),
        "starts_at": encounter.starts_at.isoformat(),
        "practitioner": _person(encounter.practitioner),
    }
    if form != NOTE_FORMS[0]:
        bound |= {"patient": str(encounter.patient_id), "duration_minutes": encounter.duration_minutes, "reason": encounter.reason}
    return bound


def note_content(note: Note, states: SigningStates | None = None, form: str = NOTE_FORM) -> dict[str, Any]:
    """The recorded facts of the visit in ``form`` (one of ``NOTE_FORMS``); ``states``
    (``signing_states``) saves reading the contributors' rows again."""
    if form not in NOTE_FORMS:
        raise ValueError(f"unknown note form {form!r}")
    encounter = note.encounter
    if states is None:
        states = signing_states(encounter)
    return {
        "type": form,
        "note": str(note.pk),
        "clinic": str(note.clinic_id),
        "patient": str(note.patient_id),
        "encounter": _encounter(encounter, form),
        "author": _person(note.author),
        "signed_by": _person(note.signed_by),
        "signed_at": _signed_at(note),
        "subjective": note.subjective,
        "objective": note.objective,
        "assessment": note.assessment,
        "plan": note.plan,
        "pain_map": _pain_marks(encounter),
        **_contributed_facts(states),
    }


def _contributed_facts(states: SigningStates) -> dict[str, Any]:
    """Each contributor's facts under its key (none for an empty part whose contributor says so)."""
    contributed = {}
    for key, contributor in _CONTRIBUTORS.items():
        facts = contributor.facts(states[key])
        if facts or not contributor.omit_when_empty:
            contributed[key] = facts
    return contributed


def note_content_at_signing(note: Note, states: SigningStates) -> dict[str, Any]:
    """The facts plus what the system concluded at the moment of signing."""
    return {**note_content(note, states), JUDGEMENTS_KEY: _judgements(states)}


def _pain_marks(encounter) -> dict[str, Any]:
    try:
        return dict(sorted(encounter.pain_map.marks.items()))
    except PainMap.DoesNotExist:
        return {}


def addendum_content(addendum: Addendum) -> dict[str, Any]:
    return {
        "type": "needlechart.addendum/1",
        "addendum": str(addendum.pk),
        "clinic": str(addendum.clinic_id),
        "note": str(addendum.note_id),
        "note_digest": addendum.note.digest,
        "author": _person(addendum.author),
        "signed_by": _person(addendum.signed_by),
        "signed_at": _signed_at(addendum),
        "created_at": addendum.created_at.isoformat(),
        "reason": addendum.reason,
        "text": addendum.text,
    }

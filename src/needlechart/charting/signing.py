"""The canonical content of signed notes and addenda.

The canonical form names everything a reader relies on: who, whom, when, what was
written. It is stored verbatim at signing together with its SHA-256 digest; verifying
recomputes it from the rows and compares both, so an edit anywhere is detected.

The apps above charting add their part of a visit (needling's facts, judgements and signing
gates) through ``register_signing_contributor``; see ``SigningContributor``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

from needlechart.charting.models import Addendum, Encounter, Note, PainMap

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
    """

    key: str
    read: Callable[[Encounter], State]
    facts: Callable[[State], dict[str, Any]]
    judgements: Callable[[State], dict[str, Any]]
    problems: Callable[[State], list[str]]
    recorded: Callable[[State], bool]
    omit_when_empty: bool = False


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


def signing_states(encounter: Encounter) -> dict[str, Any]:
    """Every contributor's state of the visit, read from the database."""
    return {key: contributor.read(encounter) for key, contributor in _CONTRIBUTORS.items()}


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


def _signed_at(record: Note | Addendum) -> str:
    """When the record was signed: a canonical form is built only for a signed record, or for one
    being signed (``charting.services`` sets its time first)."""
    if record.signed_at is None:
        raise ValueError(f"{type(record).__name__} {record.pk} is not signed: it has no canonical form")
    return record.signed_at.isoformat()


def note_content(note: Note, states: SigningStates | None = None) -> dict[str, Any]:
    """The recorded facts of the visit; ``states`` (``signing_states``) saves reading the contributors' rows again."""
    encounter = note.encounter
    if states is None:
        states = signing_states(encounter)
    return {
        "type": "needlechart.note/1",
        "note": str(note.pk),
        "clinic": str(note.clinic_id),
        "patient": str(note.patient_id),
        "encounter": {
            "id": str(encounter.pk),
            "episode": str(encounter.episode_id),
            "starts_at": encounter.starts_at.isoformat(),
            "practitioner": _person(encounter.practitioner),
        },
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

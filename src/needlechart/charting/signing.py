"""The canonical content of signed notes and addenda.

The canonical form names everything a reader relies on: who, whom, when, what was
written. It is stored verbatim at signing together with its SHA-256 digest; verifying
recomputes it from the rows and compares both, so an edit anywhere is detected.
"""

from __future__ import annotations

from typing import Any

from needlechart.charting.models import Addendum, Note, PainMap
from needlechart.needling.session import SessionState, session_facts, session_judgements, session_state


def _person(user) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "name": user.display_name}


def note_content(note: Note, state: SessionState | None = None) -> dict[str, Any]:
    """The recorded facts of the visit; ``state`` saves reading the needling rows again."""
    encounter = note.encounter
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
        "signed_at": note.signed_at.isoformat(),
        "subjective": note.subjective,
        "objective": note.objective,
        "assessment": note.assessment,
        "plan": note.plan,
        "pain_map": _pain_marks(encounter),
        "needling": session_facts(state or session_state(encounter)),
    }


JUDGEMENTS_KEY = "judgements"


def note_content_at_signing(note: Note, state: SessionState) -> dict[str, Any]:
    """The facts plus what the system concluded at the moment of signing."""
    return {**note_content(note, state), JUDGEMENTS_KEY: session_judgements(state)}


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
        "signed_at": addendum.signed_at.isoformat(),
        "created_at": addendum.created_at.isoformat(),
        "reason": addendum.reason,
        "text": addendum.text,
    }

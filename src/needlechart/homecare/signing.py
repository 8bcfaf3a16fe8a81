"""homecare's part in signing a visit's note: the programme prescribed, frozen with the note.

charting.signing holds the registry (charting is below homecare and may not import it);
``HomecareConfig.ready()`` registers ``SIGNING``. A visit without a programme adds nothing to the
note's canonical form (``omit_when_empty``), so notes signed before homecare existed verify as
they did.
"""

from __future__ import annotations

from typing import Any

from needlechart.charting.models import Encounter
from needlechart.charting.signing import SigningContributor
from needlechart.homecare.catalog import DOSAGE_KEYS, library
from needlechart.homecare.selectors import ProgrammeState, programme_state


def programme_facts(state: ProgrammeState) -> dict[str, Any]:
    """What was prescribed, from the rows (empty when nothing was); verification recomputes it."""
    programme = state.programme
    if programme is None or not (state.items or programme.note.strip()):
        return {}
    return {
        "author": programme.author_id,
        "note": programme.note,
        "items": [
            {"item": row.item_id, "side": row.side, "note": row.note, **{key: getattr(row, key) for key in DOSAGE_KEYS}}
            for row in state.items
        ],
    }


def programme_judgements(state: ProgrammeState) -> dict[str, Any]:
    """The library's source of each item as it stood at signing (not recomputed: the library may change)."""
    if not state.items:
        return {}
    items = library().items
    return {
        "home_programme_sources": {
            row.item_id: {"source": items[row.item_id].source, "unverified": library().unverified(items[row.item_id])}
            for row in state.items
            if row.item_id in items
        }
    }


def _read(encounter: Encounter) -> ProgrammeState:
    return programme_state(encounter)


def _no_problems(state: ProgrammeState) -> list[str]:
    return []


def _recorded(state: ProgrammeState) -> bool:
    return bool(state.items)


SIGNING: SigningContributor[ProgrammeState] = SigningContributor(
    key="home_programme",  # the canonical form's "home_programme" facts; note_signed's home_programme=bool
    read=_read,
    facts=programme_facts,
    judgements=programme_judgements,
    problems=_no_problems,
    recorded=_recorded,
    omit_when_empty=True,
    joined=("home_programme",),  # programme_state's header row, read with the visit
)

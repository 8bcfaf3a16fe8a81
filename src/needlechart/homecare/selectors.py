"""Reads of the home programme: a visit's programme, and the programme as a patient reads it.

A visit reaches these only after its encounter was fetched for the reader (staff: through
``charting.selectors.encounter_get_for_user``, scoped by clinic; the patient: through their
aftercare or follow-up link), so the encounter is the scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from needlechart.charting.models import Encounter
from needlechart.charting.signing import joined_row
from needlechart.homecare.catalog import DOSAGE_KEYS, Item, library
from needlechart.homecare.models import HomeProgramme, ProgrammeItem, ProgrammeSide


@dataclass
class ProgrammeState:
    """A visit's programme as stored: its header (None: nothing prescribed) and its items in order."""

    encounter: Encounter
    programme: HomeProgramme | None
    items: list[ProgrammeItem] = field(default_factory=list)


def programme_state(encounter: Encounter) -> ProgrammeState:
    """The visit's programme, taken from ``encounter`` when the read of it joined it (signing:
    ``homecare.signing.SIGNING.joined``); either way only one of the visit's own clinic."""
    programme = joined_row(
        encounter, "home_programme", HomeProgramme.objects.filter(encounter=encounter, clinic_id=encounter.clinic_id).first
    )
    if programme is not None and programme.clinic_id != encounter.clinic_id:
        programme = None
    items = (
        list(ProgrammeItem.objects.filter(programme=programme).order_by("position", "item_id")) if programme else []
    )  # no query without one
    return ProgrammeState(encounter, programme, items)


def has_programme(encounter_id: uuid.UUID) -> bool:
    """Whether the visit's programme has at least one item (the follow-up then asks how often it was done)."""
    return ProgrammeItem.objects.filter(encounter_id=encounter_id).exists()


def dosage_phrases(values: dict[str, int | None]) -> list[str]:
    """The dosage in words, in the active language: ['Hold 30 seconds', '3 repetitions', '2 times a day', ...]."""
    words = {
        "hold_seconds": lambda n: ngettext("Hold %(n)s second", "Hold %(n)s seconds", n),
        "minutes": lambda n: ngettext("%(n)s minute", "%(n)s minutes", n),
        "repetitions": lambda n: ngettext("%(n)s repetition", "%(n)s repetitions", n),
        "sets": lambda n: ngettext("%(n)s set", "%(n)s sets", n),
        "times_per_day": lambda n: ngettext("%(n)s time a day", "%(n)s times a day", n),
        "days_per_week": lambda n: ngettext("%(n)s day a week", "%(n)s days a week", n),
    }
    return [words[key](value) % {"n": value} for key in DOSAGE_KEYS if (value := values.get(key))]


def side_text(side: str) -> str:
    return str(ProgrammeSide(side).label) if side in ProgrammeSide.values else ""


def kind_names() -> dict[str, str]:
    """The library's kinds in words, in the active language."""
    return {
        "stretch": _("Stretch"),
        "exercise": _("Exercise"),
        "ball": _("Massage ball"),
        "roller": _("Foam roller"),
        "massage": _("Self-massage"),
        "heat": _("Heat"),
        "cold": _("Cold"),
        "posture": _("Posture and habits"),
        "aid": _("Braces and aids"),
    }


@dataclass(frozen=True)
class ShownItem:
    """One item of a programme as a page shows it, in one language."""

    row: ProgrammeItem
    item: Item
    title: str
    kind: str
    instructions: str
    when: str
    cautions: str
    side: str
    dosage: list[str]
    note: str
    drawing: str | None
    unverified: bool


def shown_items(state: ProgrammeState, language: str) -> list[ShownItem]:
    """The programme's items with the library's texts (an item no longer in the library is left out)."""
    items, kinds = library().items, kind_names()
    shown = []
    for row in state.items:
        item = items.get(row.item_id)
        if item is None:
            continue
        shown.append(
            ShownItem(
                row=row,
                item=item,
                title=item.title.get(language),
                kind=kinds[item.kind],
                instructions=item.instructions.get(language),
                when=item.when.get(language) if item.when else "",
                cautions=item.cautions.get(language),
                side=side_text(row.side),
                dosage=dosage_phrases({key: getattr(row, key) for key in DOSAGE_KEYS}),
                note=row.note,
                drawing=item.drawing,
                unverified=library().unverified(item),
            )
        )
    return shown


@dataclass(frozen=True)
class PatientProgramme:
    """The programme as the patient gets it with the aftercare: the word from the practitioner and the items."""

    note: str
    items: list[ShownItem]


def patient_programme(encounter: Encounter, language: str) -> PatientProgramme | None:
    """None when the visit has no programme with items."""
    state = programme_state(encounter)
    items = shown_items(state, language)
    if state.programme is None or not items:
        return None
    return PatientProgramme(state.programme.note, items)

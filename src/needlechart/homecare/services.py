"""Writes of the home programme. Each is atomic and audited; each is refused once the visit's note
is signed (the programme is signed with it), and each is the prescriber's own: the practitioner who
wrote the programme, or, before there is one, the visit's practitioner (who writes and signs its note)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter, Note
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.core.signed import SignedRecordImmutable
from needlechart.homecare.catalog import DOSAGE_KEYS, DOSAGE_RANGES, Item, library
from needlechart.homecare.models import HomeProgramme, ProgrammeItem, ProgrammeSide
from needlechart.homecare.suggest import suggest
from needlechart.needling.models import NeedlingEntry

AUDIT_OBJECT = "home_programme"
MAX_ITEMS = 20
MAX_NOTE = 1000
MAX_ITEM_NOTE = 300


def _audit(actor: User, programme: HomeProgramme, action: str = AuditAction.UPDATE, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=AUDIT_OBJECT,
        object_id=programme.pk,
        patient_id=programme.encounter.patient_id,
        detail=detail or None,
    )


def _programme_for_writing(actor: User, encounter: Encounter) -> HomeProgramme:
    """The visit's programme, locked, created for the actor if there is none yet; refusals as exceptions."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    note = Note.objects.filter(encounter=encounter).only("signed_at", "author_id").first()
    if note is not None and note.signed_at is not None:
        raise SignedRecordImmutable(_("The note of this visit is signed, and the home programme with it: it can no longer change."))
    programme = HomeProgramme.objects.select_for_update().filter(encounter=encounter).first()
    if programme is None:
        if actor.pk != encounter.practitioner_id:  # as the note and the needling: the visit's own practitioner
            raise PermissionDenied(_("Only the practitioner of this visit prescribes its home programme."))
        programme = HomeProgramme.objects.create(clinic_id=encounter.clinic_id, encounter=encounter, author=actor)
        _audit(actor, programme, AuditAction.CREATE)
    elif programme.author_id != actor.pk:
        raise PermissionDenied(_("Only the practitioner who prescribed this home programme can change it."))
    else:
        programme.encounter = encounter  # already read: spares the audit rows a query
    return programme


def _item(item_id: str) -> Item:
    item = library().items.get(item_id)
    if item is None:
        raise ValidationError(_("Choose an exercise or advice from the library."))
    return item


def _side(item: Item, side: str) -> str:
    if not item.sided:
        if side:
            raise ValidationError(_("This item is not done on one side."))
        return ""
    if side not in ProgrammeSide.values:
        raise ValidationError(_("Choose the right side, the left side or both."))
    return side


def clean_dosage(values: Mapping[str, Any]) -> dict[str, int | None]:
    """The six dosage values (None: not part of this item), each a whole number in its range."""
    dosage: dict[str, int | None] = {}
    for key in DOSAGE_KEYS:
        value = values.get(key)
        if value in (None, ""):
            dosage[key] = None
            continue
        low, high = DOSAGE_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(_("Each dosage must be a whole number within its range (for example 1 to 7 days a week)."))
        dosage[key] = value
    return dosage


def _next_position(programme: HomeProgramme) -> int:
    last = programme.items.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _add(programme: HomeProgramme, item: Item, side: str, dosage: Mapping[str, int | None]) -> ProgrammeItem:
    if programme.items.filter(item_id=item.id).exists():
        raise ValidationError(_("This item is already in the programme: change its dosage instead."))
    if programme.items.count() >= MAX_ITEMS:
        raise ValidationError(_("A home programme holds at most %(n)s items.") % {"n": MAX_ITEMS})
    return ProgrammeItem.objects.create(
        clinic_id=programme.clinic_id,
        encounter_id=programme.encounter_id,
        programme=programme,
        item_id=item.id,
        side=side,
        position=_next_position(programme),
        **dosage,
    )


@transaction.atomic
def programme_item_add(*, actor: User, encounter: Encounter, item_id: str, side: str = "") -> ProgrammeItem:
    """Add a library item with its usual dosage (a sided item on ``side``: r, l or b)."""
    item = _item(item_id)
    side = _side(item, side or ProgrammeSide.BOTH) if item.sided else ""  # the add form offers a side for every item
    programme = _programme_for_writing(actor, encounter)
    row = _add(programme, item, side, {key: item.dosage.get(key) for key in DOSAGE_KEYS})
    _audit(actor, programme, added=item.id, side=side)
    return row


@transaction.atomic
def programme_suggest(*, actor: User, encounter: Encounter) -> int:
    """Fill the programme from the muscles needled at the visit; returns how many items were added."""
    needled = list(NeedlingEntry.objects.filter(encounter=encounter).order_by("position").values_list("muscle_id", "side"))
    if not needled:
        raise ValidationError(_("No muscles have been needled at this visit yet: add items from the library instead."))
    programme = _programme_for_writing(actor, encounter)
    present = set(programme.items.values_list("item_id", flat=True))
    suggestions = suggest(needled, exclude=present)[: max(0, MAX_ITEMS - len(present))]
    for suggestion in suggestions:
        _add(programme, suggestion.item, suggestion.side, {key: suggestion.item.dosage.get(key) for key in DOSAGE_KEYS})
    _audit(actor, programme, suggested=[s.item.id for s in suggestions])
    return len(suggestions)


def _row_for_writing(actor: User, row: ProgrammeItem) -> tuple[HomeProgramme, ProgrammeItem]:
    programme = _programme_for_writing(actor, row.encounter)
    locked = ProgrammeItem.objects.select_for_update().filter(pk=row.pk, programme=programme).first()
    if locked is None:
        raise ValidationError(_("This item is no longer in the programme."))
    return programme, locked


@transaction.atomic
def programme_item_update(*, actor: User, row: ProgrammeItem, side: str, dosage: Mapping[str, Any], note: str = "") -> ProgrammeItem:
    """Change an item's side, dosage and note for the patient."""
    programme, row = _row_for_writing(actor, row)
    item = _item(row.item_id)
    note = note.strip()
    if len(note) > MAX_ITEM_NOTE:
        raise ValidationError(_("The note for the patient is at most %(n)s characters.") % {"n": MAX_ITEM_NOTE})
    row.side = _side(item, side)
    for key, value in clean_dosage(dosage).items():
        setattr(row, key, value)
    row.note = note
    row.save()
    _audit(actor, programme, changed=row.item_id)
    return row


@transaction.atomic
def programme_item_remove(*, actor: User, row: ProgrammeItem) -> None:
    programme, row = _row_for_writing(actor, row)
    item_id = row.item_id
    row.delete()
    _audit(actor, programme, removed=item_id)


@transaction.atomic
def programme_note_save(*, actor: User, encounter: Encounter, note: str) -> HomeProgramme:
    """The practitioner's word for the patient, shown above the programme."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(_("The word for the patient is at most %(n)s characters.") % {"n": MAX_NOTE})
    programme = _programme_for_writing(actor, encounter)
    programme.note = note
    programme.save(update_fields=["note", "updated_at"])
    _audit(actor, programme, note=True)
    return programme

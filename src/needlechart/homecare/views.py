"""The home programme panel of the visit page: suggest from the muscles needled, add, adjust, remove.

Every form posts to its own endpoint and gets the whole panel back (HTMX); without JavaScript the
same endpoints redirect back to the visit page, or answer a refusal as text with its status
(400 bad input, 403 not the prescriber, 409 signed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST

from needlechart.charting.models import Encounter, Note
from needlechart.charting.selectors import encounter_get_for_user
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.core.signed import SignedRecordImmutable
from needlechart.homecare import services
from needlechart.homecare.catalog import DOSAGE_KEYS, DOSAGE_RANGES
from needlechart.homecare.forms import AddItemForm, ItemForm, ProgrammeNoteForm, library_choices
from needlechart.homecare.models import ProgrammeItem
from needlechart.homecare.selectors import ProgrammeState, programme_state, shown_items
from needlechart.knowledge.catalog import catalog
from needlechart.needling.models import NeedlingEntry


def _language() -> str:
    return get_language() or "en"


def programme_context(
    encounter: Encounter,
    user: User,
    *,
    error: str = "",
    opened: bool = False,
    state: ProgrammeState | None = None,
    note: Note | None | Literal[False] = False,
    needled: list[str] | None = None,
) -> dict[str, Any]:
    """The panel's context, under the one key ``homecare`` of the visit page's context.

    The visit page passes what it has read already (the programme's signing state, the note, the
    muscles needled), so the panel adds no query of its own there; the panel's own posts read them.
    """
    language = _language()
    if state is None:
        state = programme_state(encounter)
    if note is False:
        note = Note.objects.filter(encounter=encounter).only("signed_at", "author_id").first()
    signed = bool(note and note.signed_at)
    prescriber = state.programme.author_id if state.programme else encounter.practitioner_id
    editable = has_capability(user, Capability.WRITE_CLINICAL) and not signed and prescriber == user.pk
    muscles = catalog().muscles
    if needled is None:
        needled = list(NeedlingEntry.objects.filter(encounter=encounter).order_by("position").values_list("muscle_id", flat=True))
    needled = list(dict.fromkeys(needled))
    items = shown_items(state, language)
    return {
        "encounter": encounter,
        "programme": state.programme,
        "items": items,
        "signed": signed,
        "editable": editable,
        "error": error,
        "open": opened or bool(items) or bool(error),
        "needled": [muscles[m].name.get(language) for m in needled if m in muscles],
        "library": library_choices(language),
        "dosage_fields": [(key, ItemForm.base_fields[key].label, *DOSAGE_RANGES[key]) for key in DOSAGE_KEYS],
        "side_choices": ItemForm.base_fields["side"].choices,  # type: ignore[attr-defined]
    }


def _respond(request: StaffRequest, encounter: Encounter, *, error: str = "", status: int = 200) -> HttpResponse:
    if not request.htmx:
        if status != 200:
            return HttpResponse(error, status=status, content_type="text/plain; charset=utf-8")
        return redirect("encounter_detail", encounter_id=encounter.pk)
    context = {"homecare": programme_context(encounter, request.user, error=error, opened=True)}
    return render(request, "homecare/_programme.html", context, status=status)


def _form_error(form: BaseForm) -> str:
    return " ".join(
        f"{form.fields[k].label if k in form.fields else ''}: {' '.join(map(str, v))}".strip(": ") for k, v in form.errors.items()
    )


def _run(request: StaffRequest, encounter: Encounter, write: Callable[[], object]) -> HttpResponse:
    """Call the service; its refusals become the panel with the reason and a 4xx."""
    try:
        write()
    except ValidationError as error:
        return _respond(request, encounter, error=" ".join(error.messages), status=400)
    except PermissionDenied as error:
        return _respond(request, encounter, error=str(error) or gettext("You may not change this home programme."), status=403)
    except SignedRecordImmutable as error:
        return _respond(request, encounter, error=str(error), status=409)
    return _respond(request, encounter)


def _row(request: StaffRequest, row_id: uuid.UUID) -> tuple[ProgrammeItem, Encounter]:
    row = get_object_or_404(ProgrammeItem, pk=row_id, clinic_id=clinic_id_of(request.user))
    return row, encounter_get_for_user(user=request.user, encounter_id=row.encounter_id)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def programme_suggest(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    return _run(request, encounter, lambda: services.programme_suggest(actor=request.user, encounter=encounter))


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def programme_add(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = AddItemForm(request.POST, language=_language())
    if not form.is_valid():
        return _respond(request, encounter, error=_form_error(form), status=400)
    data = form.cleaned_data
    return _run(request, encounter, lambda: services.programme_item_add(actor=request.user, encounter=encounter, **data))


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def programme_item_update(request: StaffRequest, row_id: uuid.UUID) -> HttpResponse:
    row, encounter = _row(request, row_id)
    form = ItemForm(request.POST)
    if not form.is_valid():
        return _respond(request, encounter, error=_form_error(form), status=400)
    data = form.cleaned_data
    dosage = {key: data[key] for key in DOSAGE_KEYS}
    return _run(
        request,
        encounter,
        lambda: services.programme_item_update(actor=request.user, row=row, side=data["side"], dosage=dosage, note=data["note"]),
    )


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def programme_item_remove(request: StaffRequest, row_id: uuid.UUID) -> HttpResponse:
    row, encounter = _row(request, row_id)
    return _run(request, encounter, lambda: services.programme_item_remove(actor=request.user, row=row))


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def programme_note(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = ProgrammeNoteForm(request.POST)
    if not form.is_valid():
        return _respond(request, encounter, error=_form_error(form), status=400)
    note = form.cleaned_data["note"]
    return _run(request, encounter, lambda: services.programme_note_save(actor=request.user, encounter=encounter, note=note))

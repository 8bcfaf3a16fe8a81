"""The pain map on the encounter page: mark regions, see suggestions update live (HTMX)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from needlechart.charting import selectors
from needlechart.charting.models import PainMap, PainQuality
from needlechart.charting.pain_maps import pain_map_mark, pain_map_reading
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.knowledge import bodymap
from needlechart.knowledge.catalog import GROUPS, catalog

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from needlechart.knowledge.atlas_records import Muscle


def _region_choices(language: str) -> list[tuple[StrOrPromise, list[tuple[str, str]]]]:
    by_group: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUPS}
    for region in catalog().regions.values():
        by_group[region.group].append((region.id, region.label(language)))
    return [(bodymap.GROUP_LABELS[group], sorted(items, key=lambda item: item[1])) for group, items in by_group.items()]


@dataclass(frozen=True, slots=True)
class SuggestionRow:
    """A suggested muscle as the panel writes it: its words and numbers as plain text (the template
    escapes them). A record rather than a dict: Jinja2 reads ``s.name`` by getattr first, and on a
    dict that fails with an exception before the key is looked up (about 1 µs each, eight a row)."""

    muscle: Muscle
    name: str
    side: str
    score: float
    match: str  # the meter's value
    score_text: str  # the score as the language writes a number
    explained: str  # the regions the muscle explains, joined
    unexplained: str


@functools.lru_cache(maxsize=8)
def _language_words(language: str | None) -> tuple[str, dict[Any, str]]:
    """The decimal separator (scores are written as numbers, no thousands) and the pain qualities'
    labels in ``language``, the active language (get_language()): the same for every pain map drawn in it."""
    return str(get_format("DECIMAL_SEPARATOR")), {value: str(label) for value, label in PainQuality.choices}


def pain_map_context(pain_map: PainMap | None, *, editable: bool, error: str = "") -> dict:
    """What charting/_pain_map.html's panel draws of ``pain_map``: the body map's views, the marks,
    the suggested muscles; with ``editable``, the brush's choices and ``error``."""
    decimal_separator, qualities = _language_words(get_language())
    language = get_language() or "en"
    regions = catalog().regions
    reading = pain_map_reading(pain_map)
    titles = {r: f"{m['intensity']}/10 {qualities.get(m['quality'], '')}" for r, m in reading.marks.items()}
    marks = sorted(
        ((regions[r], m["intensity"], qualities.get(m["quality"], "")) for r, m in reading.marks.items() if r in regions),
        key=lambda item: -item[1],
    )
    return {
        "pain_views": bodymap.draw(
            classes=bodymap.pain_classes(reading.marks), titles=titles, interactive=editable, over_outline=not editable
        ),
        "marks": [(region.id, region.label(language), level, quality) for region, level, quality in marks],
        # Each row's words and numbers as plain text, written once here rather than through a chain of
        # filters per row (the panel's rows cost it two thirds of its drawing: bench/README.md); the
        # template still escapes them.
        "suggestions": [
            SuggestionRow(
                muscle=s.muscle,
                name=s.muscle.name.get(language),
                side=s.side,
                score=s.score,
                match=f"{s.score:.3f}",
                score_text=f"{s.score:.2f}".replace(".", decimal_separator),
                explained=", ".join(regions[r].label(language) for r in s.explained),
                unexplained=", ".join(regions[r].label(language) for r in s.unexplained),
            )
            for s in reading.suggestions
        ],
        "paraspinals": reading.paraspinals,
        "editable": editable,
        "region_choices": _region_choices(language) if editable else [],
        "qualities": PainQuality.choices,
        "pain_error": error,
    }


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def pain_map_update(request: StaffRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    error, status = "", 200
    try:
        intensity = int(request.POST.get("intensity", ""))
        pain_map_mark(
            actor=request.user,
            encounter=encounter,
            region=request.POST.get("region", ""),
            intensity=intensity,
            quality=request.POST.get("quality", PainQuality.ACHING),
        )
    except ValueError:
        error, status = _("Intensity is from 0 to 10."), 400
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 400
    if not request.htmx:
        return redirect("encounter_detail", encounter_id=encounter.pk) if status == 200 else HttpResponse(error, status=status)
    pain_map = PainMap.objects.filter(encounter=encounter).first()
    pain = {
        "encounter": encounter,
        **pain_map_context(pain_map, editable=True, error=error),
        "brush_intensity": request.POST.get("intensity", "5")[:2],
        "brush_quality": request.POST.get("quality", ""),
    }
    return render(request, "charting/_pain_map.html", {"pain_fragment": pain}, status=status)

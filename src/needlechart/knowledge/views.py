"""The muscle atlas: browse and search, and one muscle's page with its pattern drawn."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from needlechart.clinics.http import StaffRequest
from needlechart.core.access import staff_view
from needlechart.knowledge import bodymap, selectors
from needlechart.knowledge.catalog import catalog


@staff_view()
def atlas(request: StaffRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:100]
    muscles = selectors.muscle_search(text)
    template = "knowledge/_atlas_results.html" if request.htmx and request.htmx.target == "atlas-results" else "knowledge/atlas.html"
    return render(request, template, {"muscles": muscles, "q": text, "language": get_language()})


@staff_view()
def muscle_detail(request: StaffRequest, muscle_id: str) -> HttpResponse:
    muscle = selectors.muscle_get(muscle_id)
    cat = catalog()
    side = "r"
    classes = bodymap.pattern_classes(
        lies_in=cat.regions_on_side(muscle.lies_in, side),
        essential=cat.regions_on_side(muscle.essential, side) + cat.regions_on_side(muscle.contralateral, side, opposite=True),
        spillover=cat.regions_on_side(muscle.spillover, side),
    )
    context = {
        "muscle": muscle,
        "language": get_language(),
        "views": bodymap.draw(classes=classes),
        "structures": [cat.structures[s] for s in muscle.structures_at_risk],
        "sources": {key: cat.sources[value] for key, value in muscle.sources.items()},
        "guidance_sources": [cat.sources[g.source] for g in muscle.depth_guidance],
    }
    return render(request, "knowledge/muscle.html", context)


@staff_view()
def bodymap_outline(request: StaffRequest, view: str) -> HttpResponse:
    """A body map view's plain regions (see bodymap.draw), cached by the browser: its URL changes with them."""
    if view not in bodymap.VIEWS:
        raise Http404
    response = HttpResponse(bodymap.outline_svg(view), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response

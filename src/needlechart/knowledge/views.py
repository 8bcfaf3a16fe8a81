"""The muscle atlas: browse and search, and one muscle's page with its pattern drawn."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.http import StaffRequest
from needlechart.core.access import staff_view
from needlechart.knowledge import bodymap, selectors
from needlechart.knowledge.atlas_records import Catalog, Muscle, ReferralPattern
from needlechart.knowledge.catalog import catalog

# What each kind of source is called where it is cited (peer-reviewed papers carry no label).
SOURCE_KIND_LABELS = {
    "preprint": _("preprint, not peer reviewed"),
    "editorial": _("editors' text, not published"),
    "course": _("course material, not peer reviewed"),
    "textbook": _("textbook"),
    "guideline": _("guideline"),
    "website": _("website"),
    "standard": _("standard"),
}
# The fact groups of a muscle, as the sources list names them.
FACT_LABELS = {
    "names": _("Names"),
    "lies_in": _("Where it lies"),
    "referral": _("Referral pattern"),
    "innervation": _("Innervation"),
    "risks": _("Structures at risk"),
    "needling": _("Needling"),
    "prevalence": _("How common"),
}
PREVALENCE_LABELS = {"high": _("common"), "moderate": _("fairly common"), "low": _("less common")}


def _cited(cat: Catalog, source_id: str) -> dict:
    source = cat.sources[source_id]
    return {"source": source, "kind": SOURCE_KIND_LABELS.get(cat.source_kind(source_id), ""), "unverified": source.unverified}


def _pattern_views(cat: Catalog, muscle: Muscle, pattern: ReferralPattern, side: str = "r") -> list[bodymap.DrawnView]:
    classes = bodymap.pattern_classes(
        lies_in=cat.regions_on_side(muscle.lies_in, side),
        essential=cat.regions_on_side(pattern.essential, side) + cat.regions_on_side(pattern.contralateral, side, opposite=True),
        spillover=cat.regions_on_side(pattern.spillover, side),
    )
    return bodymap.draw(classes=classes)


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
    context = {
        "muscle": muscle,
        "language": get_language(),
        # one map per referral pattern (gluteus minimus has two), each with its own weight
        "patterns": [
            {"pattern": p, "views": _pattern_views(cat, muscle, p), "prevalence": PREVALENCE_LABELS[p.prevalence]} for p in muscle.patterns
        ],
        "risks": [{"structure": cat.structures[r.structure], "unverified": r.unverified, **_cited(cat, r.source)} for r in muscle.risks],
        "sources": [
            {"fact": FACT_LABELS[key], "fact_unverified": muscle.is_unverified(key), **_cited(cat, value)}
            for key, value in muscle.sources.items()
        ],
        "guidance": [{"guidance": g, **_cited(cat, g.source), "unverified": g.unverified} for g in muscle.depth_guidance],
        "non_compressible": {**_cited(cat, muscle.non_compressible.source), "unverified": muscle.non_compressible.unverified}
        if muscle.non_compressible
        else None,
        "not_needled": {**_cited(cat, muscle.not_needled_reason.source), "unverified": muscle.not_needled_reason.unverified}
        if muscle.not_needled_reason
        else None,
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

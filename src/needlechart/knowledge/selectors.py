"""Reads of the muscle atlas (reference data: no patient data, no clinic scope)."""

from __future__ import annotations

from django.http import Http404

from needlechart.core.text import search_key
from needlechart.knowledge.atlas_records import Muscle
from needlechart.knowledge.catalog import catalog


def muscle_search(text: str) -> list[Muscle]:
    """Muscles whose English, Norwegian or Latin name contains every word typed."""
    words = [search_key(w) for w in text.split() if search_key(w)]
    muscles = sorted(catalog().muscles.values(), key=lambda m: m.name.en)
    if not words:
        return muscles
    return [m for m in muscles if all(any(w in search_key(n) for n in (m.name.en, m.name.nb, m.latin, m.id)) for w in words)]


def muscle_get(muscle_id: str) -> Muscle:
    try:
        return catalog().muscles[muscle_id]
    except KeyError as exc:
        raise Http404 from exc

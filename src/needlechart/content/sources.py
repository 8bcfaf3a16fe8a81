"""Sources files: the citations that facts point to by id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from needlechart.content.checks import check_keys, unique_id
from needlechart.content.errors import ContentError, wrong_types_named
from needlechart.content.files import read_entries
from needlechart.content.records import Source

SOURCE_KEYS = ("id", "citation", "url", "unverified")


def load_sources(directory: Path, files: Iterable[str], known: Mapping[str, Source] | None = None) -> dict[str, Source]:
    """``known`` plus the sources in ``files`` of ``directory``; an id is unique across all of them.

    Each entry is ``{id, citation, url (optional), unverified (optional, default false)}``.
    """
    known = known or {}
    sources = dict(known)
    for file in files:
        for raw in read_entries(directory, file):
            with wrong_types_named(file, raw):
                if isinstance(raw, Mapping) and raw.get("id") in known:
                    raise ContentError(file, str(raw["id"]), "duplicate id (already a source of the catalogue this one extends)")
                source_id = unique_id(file, raw, sources)
                check_keys(file, source_id, raw, SOURCE_KEYS, "a source")
                citation, url = raw.get("citation"), raw.get("url")
                if not isinstance(citation, str) or not citation.strip():
                    raise ContentError(file, source_id, "needs a citation")
                if url is not None and not isinstance(url, str):
                    raise ContentError(file, source_id, "url must be a text or null")
                sources[source_id] = Source(source_id, citation.strip(), url, bool(raw.get("unverified", False)))
    return sources

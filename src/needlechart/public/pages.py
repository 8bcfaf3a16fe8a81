"""The pages every clinic's public site has, in each of its languages.

A page's address is ``/c/<clinic>/<language>/<slug>/`` (the home page: ``/c/<clinic>/<language>/``),
each language with slugs of its own, so the Norwegian pages read as Norwegian in search results.
The words of each page are content (``data/``); which pages exist and where they live is code.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "nb")


@dataclass(frozen=True)
class Page:
    id: str
    slugs: dict[str, str]  # language -> the path below /c/<clinic>/<language>/ ("" for the home page)

    def path(self, language: str) -> str:
        slug = self.slugs[language]
        return f"{slug}/" if slug else ""


PAGES = (
    Page("home", {"en": "", "nb": ""}),
    Page("ims", {"en": "ims-and-dry-needling", "nb": "ims-og-torrnaling"}),
    Page("session", {"en": "a-treatment", "nb": "en-behandling"}),
    Page("suitability", {"en": "who-it-suits", "nb": "hvem-det-passer-for"}),
    Page("conditions", {"en": "conditions-we-treat", "nb": "plager-vi-behandler"}),
    Page("before_after", {"en": "before-and-after", "nb": "for-og-etter"}),
    Page("practitioners", {"en": "practitioners", "nb": "behandlere"}),
)
PAGE_IDS = tuple(page.id for page in PAGES)

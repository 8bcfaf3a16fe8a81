"""The two records every content file uses: a text in both languages and a cited source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A text written in English and Norwegian Bokmål."""

    en: str
    nb: str

    def get(self, language: str) -> str:
        """The text in ``language`` (a language code such as ``nb`` or ``en-gb``); English unless Norwegian."""
        return self.nb if language.startswith("nb") else self.en


@dataclass(frozen=True)
class Source:
    """A citation that facts point to by id; ``unverified`` marks material not peer reviewed or not checked."""

    id: str
    citation: str
    url: str | None
    unverified: bool

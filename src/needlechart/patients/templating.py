"""What the patient pages' templates draw from (registered by web.templating: GLOBALS, FILTERS).

Data only, no markup: the templates (patients/_results.html, patients/_header.html, and the chart's
timeline, pages/_timeline.html) draw it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.text import Truncator

from needlechart.core.formatting import date, local_isoformat, url
from needlechart.patients.identifiers import NATIONAL_ID_SYSTEMS
from needlechart.patients.selectors import FoundPatient


@dataclass(frozen=True, slots=True)
class SearchRow:
    """A search result as its row shows it: the chart's link and the date of birth written out."""

    url: str
    family_name: str
    given_name: str
    born: str
    phone: str


def patient_search_rows(patients: Iterable[FoundPatient]) -> list[SearchRow]:
    """The search results' rows (up to 50)."""
    return [
        SearchRow(url("patient_chart", p.pk), p.family_name, p.given_name, date(p.birth_date, "SHORT_DATE_FORMAT"), p.phone)
        for p in patients
    ]


def truncatechars(text: str, length: int = 140) -> str:
    """As Django's truncatechars filter; most notes' first lines are shorter and need no counting."""
    text = unicodedata.normalize("NFC", text or "")
    return text if len(text) <= length else Truncator(text).chars(length)


# The patient header names these identifiers (a fødselsnummer, a D-number) "National identity number", any other by its system.
GLOBALS = {"patient_search_rows": patient_search_rows, "NATIONAL_ID_SYSTEMS": NATIONAL_ID_SYSTEMS}
FILTERS = {"local_isoformat": local_isoformat, "truncatechars": truncatechars}

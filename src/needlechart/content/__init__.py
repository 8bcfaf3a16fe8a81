"""Sourced clinical content: what every loader of needlechart's YAML data shares.

The atlas (``knowledge.catalog``), the treatment catalogue (``knowledge.treatment``) and the
outcome instruments (``outcomes.instrument_loading``) are all lists of facts, each with a
source, with texts in English and Norwegian, validated as they load. This package holds the
pieces they have in common: the ``Text`` and ``Source`` records, the one error
(``ContentError``, worded ``"<file>: entry '<id>': <message>"``), reading YAML and the shared
checks. It imports nothing from Django and nothing else from needlechart, so the loaders can
be used, and tested, without either.
"""

from needlechart.content.checks import (
    ID_DESCRIBED,
    ID_PATTERN,
    bilingual,
    check_keys,
    one_of,
    require_mapping,
    require_number,
    require_source,
    shown,
    unique_id,
)
from needlechart.content.errors import ContentError, wrong_types_named
from needlechart.content.files import parse_text, read_entries, read_mapping
from needlechart.content.records import Source, Text
from needlechart.content.sources import SOURCE_KEYS, load_sources

__all__ = [
    "ID_DESCRIBED",
    "ID_PATTERN",
    "SOURCE_KEYS",
    "ContentError",
    "Source",
    "Text",
    "bilingual",
    "check_keys",
    "load_sources",
    "one_of",
    "parse_text",
    "read_entries",
    "read_mapping",
    "require_mapping",
    "require_number",
    "require_source",
    "shown",
    "unique_id",
    "wrong_types_named",
]

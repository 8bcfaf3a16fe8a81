"""needlechart's FHIR terminology: the identifier systems, code systems, units and required value sets
its resources use (``data/terminology.yaml``) and how each measure is coded (``data/observations.yaml``).

Loaded once and validated as it loads, as the clinical content is: an unknown source, a duplicate
code, a LOINC or SNOMED CT code with a wrong check digit, a unit that is not UCUM, a measure coded
with a code the file does not hold, or a shipped outcome instrument whose LOINC code disagrees with
its Observation's, stops the load with a ``ContentError`` naming the file and the entry.

A code is *unverified* when it, or its system, rests on a source marked unverified: one not
checked against the code system's own publication. ``unverified_codes()`` lists them (the
architecture notes show the list), and they are never presented as checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from needlechart.content import ContentError, Source, check_keys, load_sources, one_of, read_entries, require_source, unique_id
from needlechart.content.errors import wrong_types_named
from needlechart.interop.catalogues import CATALOGUES, catalogue_codes
from needlechart.interop.ucum import is_ucum
from needlechart.outcomes.instrument_loading import loinc_check_digit, shipped_instruments

DATA_DIR = Path(__file__).resolve().parent / "data"
TERMINOLOGY_FILE, MEASURES_FILE, SOURCES_FILE = "terminology.yaml", "observations.yaml", "sources_fhir.yaml"
KINDS = ("identifier", "listed", "catalogue", "units", "open", "required")
IDENTIFIER_FORMATS = ("fnr", "d-number", "digits", "orgnr", "uuid")
CODE_FORMATS = ("loinc", "snomed")
_KEYS = {
    "identifier": ("id", "kind", "url", "name", "format", "source"),
    "listed": ("id", "kind", "url", "name", "format", "source", "codes"),
    "catalogue": ("id", "kind", "url", "name", "catalogue", "source"),
    "units": ("id", "kind", "url", "name", "source", "codes"),
    "open": ("id", "kind", "url", "name", "source"),
    "required": ("id", "kind", "url", "paths", "source", "codes"),
}
_URI = re.compile(r"(urn:(oid|iso-astm|ietf):\S+|https?://[^\s/]+\S*)")
_PATH = re.compile(r"[A-Z][A-Za-z]+(\.[a-z][A-Za-z]*)+")
_LOINC = re.compile(r"(\d{1,7})-(\d)")
_SNOMED = re.compile(r"[1-9]\d{5,17}")


@dataclass(frozen=True)
class Code:
    code: str
    display: str
    source: str
    unverified: bool


@dataclass(frozen=True)
class System:
    """An identifier system, code system or value set, by its id in terminology.yaml."""

    id: str
    kind: str
    url: str
    name: str
    source: str
    unverified: bool
    format: str = ""
    catalogue: str = ""
    listed: Mapping[str, Code] = field(default_factory=dict)
    paths: tuple[str, ...] = ()

    def codes(self) -> Mapping[str, str]:
        """Every code of the system, code -> display (a catalogue's from the data it names)."""
        if self.kind == "catalogue":
            return catalogue_codes(self.catalogue)
        return {code: c.display for code, c in self.listed.items()}

    def knows(self, code: str) -> bool:
        return self.kind == "open" or code in self.codes()


@dataclass(frozen=True)
class Measure:
    """How one measure (an instrument, ppt, rom) is coded as an Observation."""

    id: str
    category: str
    codes: tuple[tuple[str, str], ...]  # (system id, code), the first names the measure best
    unit: str
    component: tuple[str, str] | None


@dataclass(frozen=True)
class Terminology:
    sources: Mapping[str, Source]
    systems: Mapping[str, System]
    measures: Mapping[str, Measure]
    by_url: Mapping[str, System] = field(init=False)
    required: Mapping[str, System] = field(init=False)  # element path -> its required value set

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_url", {s.url: s for s in self.systems.values() if s.kind != "required"})
        object.__setattr__(self, "required", {path: s for s in self.systems.values() for path in s.paths})

    def url(self, system_id: str) -> str:
        return self.systems[system_id].url

    def coding(self, system_id: str, code: str) -> dict[str, str]:
        """A FHIR Coding of a code the terminology holds, with its display (KeyError for one it does not)."""
        system = self.systems[system_id]
        display = system.codes()[code] if system.kind != "open" else ""
        return {"system": system.url, "code": code, "display": display} if display else {"system": system.url, "code": code}

    def unverified_codes(self) -> list[tuple[str, str, str]]:
        """(system id, code or "" for the system itself, source) of everything not checked against a primary source."""
        found: list[tuple[str, str, str]] = []
        for system in self.systems.values():
            if system.unverified:
                found.append((system.id, "", system.source))
            found.extend((system.id, c.code, c.source) for c in system.listed.values() if c.unverified and not system.unverified)
        return found


def loinc_valid(code: str) -> bool:
    match = _LOINC.fullmatch(code)
    return match is not None and loinc_check_digit(match.group(1)) == int(match.group(2))


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]]
for _row in range(2, 8):
    _VERHOEFF_P.append([_VERHOEFF_P[1][_VERHOEFF_P[_row - 1][i]] for i in range(10)])


def snomed_valid(code: str) -> bool:
    """A SNOMED CT concept id: 6 to 18 digits whose last is a Verhoeff check digit."""
    if not _SNOMED.fullmatch(code):
        return False
    check = 0
    for position, digit in enumerate(reversed(code)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def _codes(file: str, entry: str, raw: Any, system_source: str, sources: Mapping[str, Source], code_format: str) -> dict[str, Code]:
    if not isinstance(raw, list) or not raw:
        raise ContentError(file, entry, "codes must be a non-empty list")
    codes: dict[str, Code] = {}
    for item in raw:
        check_keys(file, entry, item, ("code", "display", "source"), "a code")
        code = item.get("code")
        if not isinstance(code, str) or not code.strip() or code != code.strip():
            raise ContentError(file, entry, f"a code must be a non-empty text without surrounding spaces (got {code!r})")
        if code in codes:
            raise ContentError(file, entry, f"duplicate code {code}")
        if code_format == "loinc" and not loinc_valid(code):
            raise ContentError(file, entry, f"{code} is not a LOINC code (wrong form or check digit)")
        if code_format == "snomed" and not snomed_valid(code):
            raise ContentError(file, entry, f"{code} is not a SNOMED CT concept id (wrong form or check digit)")
        source = require_source(file, entry, item.get("source", system_source), sources, registry=SOURCES_FILE)
        display = item.get("display", "")
        if not isinstance(display, str):
            raise ContentError(file, entry, f"the display of {code} must be a text")
        codes[code] = Code(code, display, source, sources[source].unverified)
    return codes


def _system(file: str, raw: Any, seen: Mapping[str, System], sources: Mapping[str, Source]) -> System:
    system_id = unique_id(file, raw, seen)
    kind = one_of(file, system_id, raw.get("kind"), "kind", KINDS)
    check_keys(file, system_id, raw, _KEYS[kind], f"a system of kind {kind}")
    url = raw.get("url")
    if not isinstance(url, str) or not _URI.fullmatch(url):
        raise ContentError(file, system_id, f"url must be an absolute URI (got {url!r})")
    if any(s.url == url for s in seen.values()):
        raise ContentError(file, system_id, f"url {url} is already another system's")
    source = require_source(file, system_id, raw.get("source"), sources, registry=SOURCES_FILE)
    formats = IDENTIFIER_FORMATS if kind == "identifier" else CODE_FORMATS
    code_format = one_of(file, system_id, raw["format"], "format", formats) if "format" in raw else ""
    if kind == "identifier" and not code_format:
        raise ContentError(file, system_id, f"an identifier system needs a format: one of {', '.join(IDENTIFIER_FORMATS)}")
    catalogue = one_of(file, system_id, raw.get("catalogue"), "catalogue", tuple(CATALOGUES)) if kind == "catalogue" else ""
    listed = _codes(file, system_id, raw.get("codes"), source, sources, code_format) if kind in ("listed", "units", "required") else {}
    if kind == "units":
        for code in listed:
            if not is_ucum(code):
                raise ContentError(file, system_id, f"{code} is not a UCUM unit")
    paths: tuple[str, ...] = ()
    if kind == "required":
        paths = tuple(raw.get("paths") or ())
        if not paths or not all(isinstance(p, str) and _PATH.fullmatch(p) for p in paths):
            raise ContentError(file, system_id, "paths must list element paths such as Observation.status")
        taken = [p for s in seen.values() for p in s.paths if p in paths]
        if taken:
            raise ContentError(file, system_id, f"{taken[0]} already has a required value set")
    name = raw.get("name", system_id)
    return System(system_id, kind, url, str(name), source, sources[source].unverified, code_format, catalogue, listed, paths)


def _coded(file: str, entry: str, value: Any, systems: Mapping[str, System], what: str) -> tuple[str, str]:
    """A "system id|code" reference to a code the terminology holds."""
    system_id, _bar, code = value.partition("|") if isinstance(value, str) else ("", "", "")
    system = systems.get(system_id)
    if system is None or system.kind in ("identifier", "required", "units") or not code:
        raise ContentError(file, entry, f"{what} must be 'system id|code' of a code system in {TERMINOLOGY_FILE} (got {value!r})")
    if not system.knows(code):
        raise ContentError(file, entry, f"{what}: {code} is not a code of {system_id}")
    return system_id, code


def _measure(file: str, raw: Any, seen: Mapping[str, Measure], systems: Mapping[str, System]) -> Measure:
    measure_id = unique_id(file, raw, seen)
    check_keys(file, measure_id, raw, ("id", "category", "codes", "unit", "component"), "a measure")
    category = one_of(file, measure_id, raw.get("category"), "category", tuple(systems["observation-category"].listed))
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes:
        raise ContentError(file, measure_id, "codes must list at least one 'system id|code'")
    coded = tuple(_coded(file, measure_id, c, systems, "a code") for c in codes)
    unit = one_of(file, measure_id, raw.get("unit"), "unit", tuple(systems["ucum"].listed))
    component = _coded(file, measure_id, raw["component"], systems, "component") if "component" in raw else None
    return Measure(measure_id, category, coded, unit, component)


def _check_instruments(measures: Mapping[str, Measure]) -> None:
    """Every shipped instrument is coded, and with the LOINC code its definition gives."""
    for instrument in shipped_instruments().values():
        measure = measures.get(instrument.id)
        if measure is None:
            raise ContentError(MEASURES_FILE, instrument.id, "a shipped outcome instrument has no entry")
        loinc = [code for system, code in measure.codes if system == "loinc"]
        if loinc != ([instrument.loinc] if instrument.loinc else []):
            raise ContentError(MEASURES_FILE, instrument.id, f"LOINC {loinc} disagrees with the instrument's own ({instrument.loinc})")


def load_terminology(directory: Path = DATA_DIR) -> Terminology:
    sources = load_sources(directory, (SOURCES_FILE,))
    systems: dict[str, System] = {}
    for raw in read_entries(directory, TERMINOLOGY_FILE):
        with wrong_types_named(TERMINOLOGY_FILE, raw):
            system = _system(TERMINOLOGY_FILE, raw, systems, sources)
            systems[system.id] = system
    for needed in ("observation-category", "ucum"):
        if needed not in systems:
            raise ContentError(TERMINOLOGY_FILE, needed, "is missing: measures are coded with it")
    measures: dict[str, Measure] = {}
    for raw in read_entries(directory, MEASURES_FILE):
        with wrong_types_named(MEASURES_FILE, raw):
            measure = _measure(MEASURES_FILE, raw, measures, systems)
            measures[measure.id] = measure
    _check_instruments(measures)
    return Terminology(sources, systems, measures)


@functools.cache
def terminology() -> Terminology:
    """The shipped terminology, loaded and checked once per process."""
    return load_terminology()

"""The default texts of a clinic's public pages, loaded once and validated as they load.

``data/pages.yaml`` gives each page's blocks and the source of every fact in them, and turns the
screening rules into patient words (``suitability``); ``data/text.<language>.yaml`` holds the
words, one file per language. The load stops with a ``ContentError`` naming file and entry on a
page without its blocks, a fact without a known source, an id without its words in a language (or
words for an id nothing uses), a screening rule that no item covers or one covered twice, and an
item whose rules differ in severity. Format: docs/public-pages.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from needlechart.content import ContentError, Source, check_keys, read_mapping, require_source, shown, wrong_types_named
from needlechart.content import load_sources as load_source_files
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.outcomes.instrument_loading import outcome_sources
from needlechart.public.pages import LANGUAGES, PAGE_IDS

DATA_DIR = Path(__file__).resolve().parent / "data"
STRUCTURE_FILE = "pages.yaml"
SOURCES_FILE = "sources_public.yaml"
SOURCES_REGISTRY = "the knowledge, treatment, outcome or public sources files"
TEXT_ID = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")
PAGE_KEYS = ("title", "nav", "description")
DESCRIPTION_LIMIT = 160  # what search engines show of a description
CLINIC = "{clinic}"  # stands for the clinic's name in a page's title and description


def text_file(language: str) -> str:
    return f"text.{language}.yaml"


@dataclass(frozen=True)
class Block:
    """A heading, a paragraph or a bulleted list (``items``: paragraphs) of a page's default text."""

    kind: str  # heading | text | list
    id: str = ""
    source: str | None = None  # None: the paragraph states no clinical fact (or the block is no paragraph)
    unverified: bool = False
    items: tuple[Block, ...] = ()


@dataclass(frozen=True)
class SuitabilityItem:
    """Screening rules of one shipped severity in patient words (the words' id: ``suitability.<id>``)."""

    id: str
    rules: tuple[str, ...]
    source: str
    unverified: bool
    everyone: bool  # the rules apply to every patient: places that are never needled


@dataclass(frozen=True)
class PublicTexts:
    pages: dict[str, tuple[Block, ...]]
    suitability: tuple[SuitabilityItem, ...]
    words: dict[str, dict[str, str]]  # language -> text id -> words
    sources: dict[str, Source]

    def text(self, language: str, text_id: str) -> str:
        return self.words[language][text_id]

    def page_text(self, language: str, page: str, key: str, clinic: str) -> str:
        """A page's title, menu name or description, with the clinic's name in place of ``{clinic}``."""
        return self.words[language][f"page.{page}.{key}"].replace(CLINIC, clinic)


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sources = load_source_files(directory, (SOURCES_FILE,), outcome_sources())
        self.ids: list[str] = []

    def text_id(self, entry: str, value: Any) -> str:
        if not isinstance(value, str) or not TEXT_ID.fullmatch(value):
            raise ContentError(STRUCTURE_FILE, entry, f"a text id is dotted lower-case words, e.g. ims.what (got {shown(value)})")
        if value in self.ids:
            raise ContentError(STRUCTURE_FILE, value, "duplicate id")
        self.ids.append(value)
        return value

    def block(self, page: str, raw: Any, *, in_list: bool = False) -> Block:
        if not isinstance(raw, Mapping):
            raise ContentError(STRUCTURE_FILE, page, f"a block is a mapping (got {shown(raw)})")
        kinds = [kind for kind in ("heading", "text", "list") if kind in raw]
        if len(kinds) != 1 or (in_list and kinds != ["text"]):
            wanted = "a text block" if in_list else "one of heading, text or list"
            raise ContentError(STRUCTURE_FILE, page, f"a block is {wanted} (got {shown(dict(raw))})")
        kind = kinds[0]
        if kind == "heading":
            check_keys(STRUCTURE_FILE, page, raw, ("heading",), "a heading")
            return Block("heading", self.text_id(page, raw["heading"]))
        if kind == "list":
            check_keys(STRUCTURE_FILE, page, raw, ("list",), "a list")
            if not isinstance(raw["list"], list) or not raw["list"]:
                raise ContentError(STRUCTURE_FILE, page, "a list needs its items")
            return Block("list", items=tuple(self.block(page, item, in_list=True) for item in raw["list"]))
        check_keys(STRUCTURE_FILE, page, raw, ("text", "source", "fact", "unverified"), "a text block")
        text_id = self.text_id(page, raw["text"])
        if raw.get("unverified", True) is not True:
            raise ContentError(STRUCTURE_FILE, text_id, "'unverified' takes only the value true")
        if "fact" in raw:
            if raw["fact"] is not False or "source" in raw or "unverified" in raw:
                raise ContentError(STRUCTURE_FILE, text_id, "'fact: false' (no clinical fact) stands without a source")
            return Block("text", text_id)
        source = require_source(STRUCTURE_FILE, text_id, raw.get("source"), self.sources, registry=SOURCES_REGISTRY)
        return Block("text", text_id, source, bool(raw.get("unverified")) or self.sources[source].unverified)

    def pages(self, raw: Any) -> dict[str, tuple[Block, ...]]:
        if not isinstance(raw, Mapping) or set(raw) != set(PAGE_IDS):
            have = sorted(raw) if isinstance(raw, Mapping) else []
            raise ContentError(STRUCTURE_FILE, "pages", f"needs exactly the pages {', '.join(PAGE_IDS)} (got {', '.join(have) or 'none'})")
        pages = {}
        for page in PAGE_IDS:
            if not isinstance(raw[page], list) or not raw[page]:
                raise ContentError(STRUCTURE_FILE, page, "a page needs a list of blocks")
            pages[page] = tuple(self.block(page, block) for block in raw[page])
        return pages

    def suitability(self, raw: Any) -> tuple[SuitabilityItem, ...]:
        rules = treatment_catalog().rules
        if not isinstance(raw, list):
            raise ContentError(STRUCTURE_FILE, "suitability", "must be a list of items")
        items: list[SuitabilityItem] = []
        covered: dict[str, str] = {}
        for entry in raw:
            with wrong_types_named(STRUCTURE_FILE, entry):
                check_keys(STRUCTURE_FILE, str(entry.get("id")), entry, ("id", "rules", "source", "unverified"), "a suitability item")
                item_id = self.text_id("suitability", f"suitability.{entry['id']}").removeprefix("suitability.")
                names = entry["rules"]
                if not isinstance(names, list) or not names:
                    raise ContentError(STRUCTURE_FILE, item_id, "needs the rules it puts in plain words")
                for name in names:
                    if name not in rules:
                        raise ContentError(STRUCTURE_FILE, item_id, f"names rule '{name}', which is not in screening_rules.yaml")
                    if name in covered:
                        raise ContentError(STRUCTURE_FILE, item_id, f"rule '{name}' is already covered by '{covered[name]}'")
                    covered[name] = item_id
                if len({rules[name].severity for name in names}) != 1:
                    raise ContentError(STRUCTURE_FILE, item_id, "its rules have different severities: one item, one severity")
                everyone = {rules[name].when == {"always": True} for name in names}
                if len(everyone) != 1:
                    raise ContentError(STRUCTURE_FILE, item_id, "mixes rules for every patient with rules that depend on the answers")
                source = require_source(STRUCTURE_FILE, item_id, entry.get("source"), self.sources, registry=SOURCES_REGISTRY)
                if entry.get("unverified", True) is not True:
                    raise ContentError(STRUCTURE_FILE, item_id, "'unverified' takes only the value true")
                unverified = bool(entry.get("unverified")) or self.sources[source].unverified
                items.append(SuitabilityItem(item_id, tuple(names), source, unverified, everyone.pop()))
        missing = [name for name in rules if name not in covered]
        if missing:
            raise ContentError(STRUCTURE_FILE, "suitability", f"no item puts these screening rules in plain words: {', '.join(missing)}")
        return tuple(items)

    def words(self, language: str) -> dict[str, str]:
        file = text_file(language)
        raw = read_mapping(self.directory, file)
        wanted = [f"page.{page}.{key}" for page in PAGE_IDS for key in PAGE_KEYS] + self.ids
        missing = [text_id for text_id in wanted if text_id not in raw]
        if missing:
            raise ContentError(file, missing[0], f"has no words in this language ({len(missing)} id(s) missing: {', '.join(missing[:5])})")
        unknown = sorted(str(key) for key in raw if key not in wanted)
        if unknown:
            raise ContentError(file, unknown[0], f"is not an id of {STRUCTURE_FILE} (misspelt?): {', '.join(unknown[:5])}")
        words = {}
        for text_id in wanted:
            value = raw[text_id]
            if not isinstance(value, str) or not value.strip():
                raise ContentError(file, text_id, "needs non-empty words")
            rest = value.replace(CLINIC, "") if text_id.startswith("page.") else value
            if "{" in rest or "}" in rest:
                raise ContentError(file, text_id, f"holds a brace: only a page's title and description may name {CLINIC}")
            if text_id.endswith(".description") and len(value) > DESCRIPTION_LIMIT:
                raise ContentError(file, text_id, f"a description holds at most {DESCRIPTION_LIMIT} characters (has {len(value)})")
            words[text_id] = value.strip()
        return words


def load_public_texts(directory: Path = DATA_DIR) -> PublicTexts:
    loader = _Loader(directory)
    structure = read_mapping(directory, STRUCTURE_FILE)
    check_keys(STRUCTURE_FILE, "-", structure, ("pages", "suitability"), "the file")
    pages = loader.pages(structure.get("pages"))
    suitability = loader.suitability(structure.get("suitability"))
    words = {language: loader.words(language) for language in LANGUAGES}
    return PublicTexts(pages, suitability, words, loader.sources)


@functools.cache
def public_texts() -> PublicTexts:
    return load_public_texts()

"""The Norwegian texts use the terms of docs/glossary.md (issue 13).

Every msgstr of the Bokmål catalogue and every ``nb`` text of the data files (all of a ``*.nb.yaml``
file) is checked against the glossary's YAML block: no text may contain a variant the glossary
lists under ``avoid``, and each preferred term must be in use somewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import needlechart
from tests.core.test_translations import PO_FILE, parse_po

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"
PACKAGE = Path(needlechart.__file__).resolve().parent
DATA_DIRS = [PACKAGE / app / "data" for app in ("knowledge", "homecare", "outcomes", "public")]


@dataclass(frozen=True)
class Term:
    en: str
    nb: str
    avoid: tuple[str, ...]
    allowed: frozenset[str]

    def avoided(self, text: str) -> list[str]:
        """The avoided variants found in ``text`` (the words as written)."""
        found: dict[tuple[int, int], str] = {}
        for variant in self.avoid:
            for match in variant_pattern(variant).finditer(text):
                if match.group(0).lower() not in self.allowed:
                    found[match.span()] = match.group(0)
        return [found[span] for span in sorted(found)]


def variant_pattern(variant: str) -> re.Pattern[str]:
    """A whole word or phrase, case-insensitive; a ``*`` at either end stands for any letters."""
    core = variant.strip("*")
    body = r"\s+".join(re.escape(word) for word in core.split())
    prefix = r"\w*" if variant.startswith("*") else ""
    suffix = r"\w*" if variant.endswith("*") else ""
    return re.compile(rf"(?<!\w){prefix}{body}{suffix}(?!\w)", re.IGNORECASE)


def preferred_pattern(term: str) -> re.Pattern[str]:
    """The preferred term as a whole word or phrase; inflected endings (-en, -et, -ene) allowed."""
    body = r"\s+".join(re.escape(word) for word in term.split())
    return re.compile(rf"(?<!\w){body}\w*(?!\w)", re.IGNORECASE)


def load_glossary(path: Path = GLOSSARY) -> list[Term]:
    blocks = re.findall(r"^```yaml\n(.*?)^```", path.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"{path.name} must hold exactly one ```yaml block"
    raw = yaml.safe_load(blocks[0])["terms"]
    terms = []
    for entry in raw:
        assert {"en", "nb"} <= set(entry), f"a glossary entry needs en and nb: {entry}"
        assert set(entry) <= {"en", "nb", "avoid", "except", "note"}, f"unknown keys in {entry}"
        terms.append(
            Term(
                str(entry["en"]),
                str(entry["nb"]),
                tuple(str(v) for v in entry.get("avoid") or ()),
                frozenset(str(w).lower() for w in entry.get("except") or ()),
            )
        )
    return terms


TERMS = load_glossary()


def _nb_strings(node: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "nb":
                values = value if isinstance(value, list) else [value]
                for i, text in enumerate(values):
                    yield (f"{path}.nb" + (f"[{i}]" if isinstance(value, list) else "")), str(text)
            else:
                label = node.get("id", "") if isinstance(node.get("id"), str) else ""
                yield from _nb_strings(value, f"{path}/{label}.{key}" if label else f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nb_strings(value, f"{path}[{i}]")


def norwegian_texts() -> list[tuple[str, str]]:
    """(where, text) for every msgstr of the catalogue and every nb text of the data files."""
    texts = []
    for entry in parse_po(PO_FILE):
        if entry.msgid and not entry.obsolete:
            for form, text in entry.msgstr.items():
                texts.append((f"django.po:{entry.line} {entry.msgid!r}[{form}]", text))
    for directory in DATA_DIRS:
        for file in sorted(directory.glob("*.yaml")):
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
            if file.name.endswith(".nb.yaml"):  # one language's words by id (public/data/text.nb.yaml)
                texts.extend((f"{file.name}:{key}", str(text)) for key, text in data.items())
            else:
                texts.extend((f"{file.name}:{where}", text) for where, text in _nb_strings(data, ""))
    return texts


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    found = norwegian_texts()
    assert len(found) > 2000, "the catalogue and the data files should hold well over 2000 Norwegian texts"
    return found


@pytest.mark.parametrize("term", TERMS, ids=[t.en for t in TERMS])
def test_no_text_uses_an_avoided_variant(term, texts):
    offending = [f"{where}: {', '.join(term.avoided(text))} in {text!r}" for where, text in texts if term.avoided(text)]
    assert not offending, f"use {term.nb!r} for {term.en!r} (docs/glossary.md):\n" + "\n".join(offending)


@pytest.mark.parametrize("term", TERMS, ids=[t.en for t in TERMS])
def test_the_preferred_term_is_in_use(term, texts):
    pattern = preferred_pattern(term.nb)
    assert any(pattern.search(text) for _, text in texts), f"{term.nb!r} ({term.en}) is in the glossary but in no text"


def test_no_preferred_term_is_avoided_by_another_entry():
    clashes = [(t.nb, other.en) for t in TERMS for other in TERMS if other.avoided(t.nb)]
    assert not clashes, f"preferred terms listed as variants to avoid: {clashes}"


def test_each_concept_and_term_is_listed_once():
    assert len({t.en for t in TERMS}) == len(TERMS)
    assert len({t.nb.lower() for t in TERMS}) == len(TERMS)


@pytest.mark.parametrize(
    ("variant", "sample"),
    [(v, v.replace("*", "") if not v.endswith("*") else v.rstrip("*") + "ene") for t in TERMS for v in t.avoid],
)
def test_every_variant_is_caught_when_reintroduced(variant, sample):
    """Each avoid entry is enforceable: the variant, put back into a sentence, is found."""
    term = next(t for t in TERMS if variant in t.avoid)
    sample = sample.lstrip("*")
    if sample.lower() in term.allowed:
        pytest.skip("an allowed word")
    assert term.avoided(f"Her står {sample}, midt i en setning.")


@pytest.mark.parametrize(
    ("text", "concept", "flagged"),
    [
        ("Oppdater egenerklæringen før neste time.", "intake form (the health questions before needling)", ["egenerklæringen"]),
        ("Oppdater helseskjemaet før neste time.", "intake form (the health questions before needling)", []),
        ("Lagre etterbehandlingsrådene.", "aftercare advice (sheet, page, e-mail, checklist)", ["etterbehandlingsrådene"]),
        ("Stopp hvis smerten sprer seg ned i BENET.", "leg", ["BENET"]),
        ("Stopp hvis smerten sprer seg ned i beinet.", "leg", []),
        ("Nål ned mot ribben, med ribbene under.", "bone (on its own; named bones with -bein)", []),
        ("Nål mot lårbenet og tarmbenet.", "bone (on its own; named bones with -bein)", ["lårbenet", "tarmbenet"]),
        ("Tøying av skalenusmusklene", "scalene muscles", ["skalenusmusklene"]),
        ("Ryggleie i firerstilling.", "figure-four position", ["firerstilling"]),
        ("Ikke respons  ennå", "responder / not yet a responder", ["Ikke respons  ennå"]),
        ("Har ikke respondert ennå", "responder / not yet a responder", []),
        ("Økt infeksjonsrisiko; en hard treningsøkt.", "session (one treatment)", []),
        ("Gjenta forrige økt.", "session (one treatment)", []),
        ("Gjenta forrige økten.", "session (one treatment)", ["økten"]),
    ],
)
def test_the_check_finds_what_it_should(text, concept, flagged):
    term = next(t for t in TERMS if t.en == concept)
    assert term.avoided(text) == flagged


def test_a_glossary_without_its_block_is_refused(tmp_path):
    broken = tmp_path / "glossary.md"
    broken.write_text("# Glossary\n\nNo terms here.\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="exactly one"):
        load_glossary(broken)

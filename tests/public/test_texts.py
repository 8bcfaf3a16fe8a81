"""The public pages' content files: checked as they load, so a page never shows a fact without its
source, a text missing in one language, or a screening rule without its patient words."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from needlechart.content import ContentError
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.public.pages import LANGUAGES, PAGE_IDS
from needlechart.public.texts import DATA_DIR, load_public_texts, public_texts


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def _edit(directory: Path, name: str, change) -> None:
    path = directory / name
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _fails(directory: Path, file: str, entry: str, words: str) -> None:
    with pytest.raises(ContentError) as error:
        load_public_texts(directory)
    assert (error.value.file, error.value.entry) == (file, entry)
    assert words in error.value.message


def test_the_shipped_texts_cover_every_page_and_every_screening_rule_once():
    texts = public_texts()
    assert set(texts.pages) == set(PAGE_IDS)
    covered = [rule for item in texts.suitability for rule in item.rules]
    assert sorted(covered) == sorted(treatment_catalog().rules)
    for language in LANGUAGES:
        assert all(texts.words[language].values())
    assert texts.words["en"].keys() == texts.words["nb"].keys()


def test_every_fact_names_a_known_source_and_unverified_sources_mark_their_facts():
    texts = public_texts()
    facts = [part for blocks in texts.pages.values() for block in blocks for part in (block, *block.items) if part.source]
    assert len(facts) > 20
    assert all(fact.unverified == texts.sources[fact.source].unverified for fact in facts)
    assert any(fact.unverified for fact in facts) and any(not fact.unverified for fact in facts)


def test_a_fact_without_a_source_is_refused(data):
    _edit(data, "pages.yaml", lambda c: c["pages"]["ims"][1].pop("source"))
    _fails(data, "pages.yaml", "ims.what", "every fact needs a source")


def test_a_source_that_is_not_on_record_is_refused(data):
    _edit(data, "pages.yaml", lambda c: c["pages"]["ims"][1].update(source="someones-blog"))
    _fails(data, "pages.yaml", "ims.what", "'someones-blog' is not in")


def test_a_paragraph_marked_as_no_fact_takes_no_source(data):
    _edit(data, "pages.yaml", lambda c: c["pages"]["home"][0].update(source="gunn-1989"))
    _fails(data, "pages.yaml", "home.welcome", "stands without a source")


def test_a_text_missing_in_norwegian_is_refused(data):
    _edit(data, "text.nb.yaml", lambda c: c.pop("session.count"))
    _fails(data, "text.nb.yaml", "session.count", "has no words in this language")


def test_words_for_an_id_nothing_uses_are_refused(data):
    _edit(data, "text.en.yaml", lambda c: c.update({"session.cuont": "A typo."}))
    _fails(data, "text.en.yaml", "session.cuont", "misspelt")


def test_a_screening_rule_without_patient_words_is_refused(data):
    _edit(data, "pages.yaml", lambda c: next(i for i in c["suitability"] if i["id"] == "unwell_today")["rules"].remove("intoxicated"))
    _fails(data, "pages.yaml", "suitability", "intoxicated")


def test_a_rule_in_two_items_is_refused(data):
    _edit(data, "pages.yaml", lambda c: next(i for i in c["suitability"] if i["id"] == "latex")["rules"].append("needle_phobia"))
    _fails(data, "pages.yaml", "latex", "already covered by 'needle_fear'")


def test_an_item_mixing_severities_is_refused(data):
    def mix(content):
        items = content["suitability"]
        items.remove(next(i for i in items if i["id"] == "nervous"))
        next(i for i in items if i["id"] == "needle_fear")["rules"].append("needle_anxiety")

    _edit(data, "pages.yaml", mix)
    _fails(data, "pages.yaml", "needle_fear", "different severities")


def test_an_item_naming_a_rule_that_does_not_exist_is_refused(data):
    _edit(data, "pages.yaml", lambda c: c["suitability"][0]["rules"].append("no_such_rule"))
    _fails(data, "pages.yaml", "needle_fear", "'no_such_rule', which is not in screening_rules.yaml")


def test_a_page_missing_from_the_structure_is_refused(data):
    _edit(data, "pages.yaml", lambda c: c["pages"].pop("conditions"))
    _fails(data, "pages.yaml", "pages", "needs exactly the pages")


def test_a_description_longer_than_search_engines_show_is_refused(data):
    _edit(data, "text.en.yaml", lambda c: c.update({"page.ims.description": "x" * 161}))
    _fails(data, "text.en.yaml", "page.ims.description", "at most 160 characters")


def test_a_brace_outside_a_pages_title_and_description_is_refused(data):
    _edit(data, "text.nb.yaml", lambda c: c.update({"ims.what": "Hos {clinic} bruker vi nåler."}))
    _fails(data, "text.nb.yaml", "ims.what", "holds a brace")

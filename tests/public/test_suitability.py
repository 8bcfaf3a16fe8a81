""" "Who it suits and who it does not" follows the clinic's own screening rules, in patient words."""

from __future__ import annotations

import pytest

from needlechart.knowledge.treatment import treatment_catalog
from needlechart.public import selectors
from needlechart.public.texts import public_texts
from needlechart.screening import services as screening
from tests.public.conftest import page_url

FEAR = "suitability.needle_fear"
THINNERS = "suitability.blood_thinners"


def _sections(client, language="en"):
    """The page's lists, by section heading id: the patient words each holds."""
    body = client.get(page_url("suitability", language)).content.decode()
    words = public_texts().words[language]
    found = {}
    for section in body.split('<section class="severity ')[1:]:
        kind = section.split(" ", 1)[0].strip('"')
        found[kind] = {text_id for text_id, text in words.items() if text_id.startswith("suitability.") and text in section}
    return found


def test_the_page_lists_the_shipped_rules_by_severity_in_patient_words(client, public_profile):
    sections = _sections(client)
    assert FEAR in sections["absolute"] and THINNERS in sections["relative"]
    assert "suitability.nervous" in sections["precaution"] and "suitability.never_sites" in sections["everyone"]
    shown = set().union(*sections.values())
    assert shown == {f"suitability.{item.id}" for item in public_texts().suitability}
    body = client.get(page_url("suitability", "en")).content.decode()
    assert not [rule.id for rule in treatment_catalog().rules.values() if rule.message.en in body]  # the staff's wording stays theirs


def test_a_rule_the_clinic_switches_off_leaves_the_page(client, public_profile, clinic_admin):
    screening.rule_setting_set(actor=clinic_admin, rule_id="needle_phobia", severity=None)
    assert FEAR not in set().union(*_sections(client).values())
    assert public_texts().text("nb", FEAR) not in client.get(page_url("suitability", "nb")).content.decode()


def test_a_rule_the_clinic_makes_absolute_moves_to_the_not_used_list(client, public_profile, clinic_admin):
    screening.rule_setting_set(actor=clinic_admin, rule_id="anticoagulants", severity="absolute")
    sections = _sections(client)
    assert THINNERS in sections["absolute"] and THINNERS not in sections["relative"]


def test_an_item_shows_under_the_highest_severity_its_rules_have_here(public_profile, clinic, clinic_admin):
    lymph = next(item for item in public_texts().suitability if item.id == "lymph_nodes")
    for rule_id in lymph.rules[1:]:
        screening.rule_setting_set(actor=clinic_admin, rule_id=rule_id, severity=None)
    assert lymph in selectors.suitability(clinic.pk).relative  # one of its rules still counts
    screening.rule_setting_set(actor=clinic_admin, rule_id=lymph.rules[0], severity="precaution")
    assert lymph in selectors.suitability(clinic.pk).precaution
    screening.rule_setting_set(actor=clinic_admin, rule_id=lymph.rules[0], severity=None)
    assert lymph not in selectors.suitability(clinic.pk).items


def test_another_clinics_settings_change_nothing_here(client, public_profile, other_admin):
    screening.rule_setting_set(actor=other_admin, rule_id="needle_phobia", severity=None)
    assert FEAR in _sections(client)["absolute"]


@pytest.mark.parametrize("language", ["en", "nb"])
def test_items_resting_on_an_unverified_source_are_labelled(client, public_profile, language):
    body = client.get(page_url("suitability", language)).content.decode()
    item = next(item for item in public_texts().suitability if item.id == "trunk_surgery")
    assert item.unverified
    assert f'{public_texts().text(language, "suitability.trunk_surgery")} <span class="unverified">' in body
    verified = public_texts().text(language, FEAR)
    assert f"{verified}</li>" in body

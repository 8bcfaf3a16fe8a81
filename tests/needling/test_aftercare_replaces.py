"""Automatic safety-netting replaces the default advice it would contradict (issue 13): for a
patient on blood thinners, "press firmly for 5 minutes" stands in for "press gently for a minute
or two", in the data, in the assembly, when the aftercare is saved, and at signing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse

from needlechart.charting import services as charting
from needlechart.content import ContentError
from needlechart.knowledge.catalog import DATA_DIR
from needlechart.knowledge.treatment import load_treatment_catalog, treatment_catalog
from needlechart.needling import services
from needlechart.needling.checks import aftercare_advice
from needlechart.needling.session import session_state
from needlechart.screening import services as screening
from tests.screening.test_second_edition_rules import WELL

DEFAULTS = [a.id for a in treatment_catalog().advice.values() if a.default]
NETS = treatment_catalog().safety_nets


def test_the_blood_thinner_advice_declares_the_default_it_replaces():
    assert NETS["blood_thinner_bleeding"].replaces == ("bruising_normal",)
    gentle = treatment_catalog().advice["bruising_normal"]
    assert gentle.default and "gently" in gentle.text.en and "firmly for 5 minutes" in NETS["blood_thinner_bleeding"].text.en


def test_the_assembly_drops_replaced_advice_only_when_the_replacing_item_is_added():
    with_thinners = [a.id for a in aftercare_advice(DEFAULTS, [NETS["blood_thinner_bleeding"], NETS["infection_signs"]])]
    without = [a.id for a in aftercare_advice(DEFAULTS, [NETS["infection_signs"]])]
    assert "bruising_normal" not in with_thinners and "bruising_normal" in without
    assert set(without) - set(with_thinners) == {"bruising_normal"}


def test_the_loader_refuses_a_replacement_of_advice_that_does_not_exist(tmp_path: Path):
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    path = directory / "aftercare.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(n for n in content["safety_netting"] if n["id"] == "blood_thinner_bleeding")["replaces"] = ["press_harder"]
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError, match="^aftercare.yaml: entry 'blood_thinner_bleeding': replaces names advice"):
        load_treatment_catalog(directory)


def _on_warfarin(patient, practitioner) -> None:
    screening.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers={**WELL, "medications": ["warfarin"]})


def _needled(practitioner, encounter) -> None:
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id="gluteus_medius", side="l", **services.default_entry("gluteus_medius")
    )


def test_saving_the_defaults_for_a_patient_on_blood_thinners_keeps_only_the_firm_pressure_advice(practitioner, patient, encounter):
    _on_warfarin(patient, practitioner)
    _needled(practitioner, encounter)
    record = services.needling_record_update(actor=practitioner, encounter=encounter, advice_ids=DEFAULTS)
    assert "bruising_normal" not in record.advice_ids and "soreness_24_48" in record.advice_ids
    state = session_state(encounter)
    assert "blood_thinner_bleeding" in {n.id for n in state.safety_nets}
    assert "bruising_normal" not in {a.id for a in state.aftercare_advice}


def test_a_well_patient_keeps_the_gentle_pressure_advice(practitioner, patient, encounter):
    screening.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers=WELL)
    _needled(practitioner, encounter)
    record = services.needling_record_update(actor=practitioner, encounter=encounter, advice_ids=DEFAULTS)
    assert "bruising_normal" in record.advice_ids
    assert "blood_thinner_bleeding" not in {n.id for n in session_state(encounter).safety_nets}


def test_the_aftercare_page_never_says_both(client_for, practitioner, patient, encounter):
    _on_warfarin(patient, practitioner)
    _needled(practitioner, encounter)
    services.needling_record_update(actor=practitioner, encounter=encounter, advice_ids=DEFAULTS)
    page = client_for(practitioner).get(reverse("aftercare_page", args=[encounter.pk])).content.decode()
    assert 'lang="nb"' in page  # the patient's language
    assert "Trykk godt i 5 minutter" in page
    assert "Trykk forsiktig på et sted som blør" not in page


def test_blood_thinners_found_after_the_aftercare_was_saved_refuse_signing_until_it_is_saved_again(practitioner, patient, encounter):
    screening.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers=WELL)
    _needled(practitioner, encounter)
    services.needling_record_update(actor=practitioner, encounter=encounter, advice_ids=DEFAULTS)
    _on_warfarin(patient, practitioner)  # a new intake: now on blood thinners
    problem = "contradicts the safety-netting"
    assert any(problem in p for p in session_state(encounter).signing_problems())
    note = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective="Hip pain")
    with pytest.raises(ValidationError, match=problem):
        charting.note_sign(actor=practitioner, note=note)
    services.needling_record_update(actor=practitioner, encounter=encounter, advice_ids=DEFAULTS)
    assert not any(problem in p for p in session_state(encounter).signing_problems())

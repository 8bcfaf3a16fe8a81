"""Site-scoped blocks and the electrical-stimulation re-check of the second edition (issue 13):
each blocks or warns on exactly the planned muscles it concerns, and a well patient passes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from needlechart.charting import services as charting
from needlechart.charting.models import Note
from needlechart.knowledge.catalog import catalog
from needlechart.needling import services
from needlechart.needling.checks import Planned, safety_warnings
from needlechart.needling.session import session_state
from needlechart.screening import services as screening
from needlechart.screening.rules import evaluate
from tests.screening.test_second_edition_rules import WELL, well_patient

M = catalog().muscles
AXILLARY = ("subscapularis", "latissimus_dorsi", "serratus_anterior", "pectoralis_minor", "subclavius")


def levels(answers: dict[str, Any], muscle_id: str, side: str, *, estim: bool = False) -> set[str]:
    """The levels of the warnings the screening adds for this muscle and side (or the whole
    session): the anatomy's own warnings (pleura, nerves) are left out."""
    planned = [Planned(M[muscle_id], side, estim=estim)]
    anatomy = safety_warnings(planned, None)
    warnings = [w for w in safety_warnings(planned, evaluate(answers)) if w not in anatomy]
    return {w.level for w in warnings if w.muscle_id in (muscle_id, "") and w.side in (side, "")}


def blocked(answers: dict[str, Any], muscle_id: str, side: str, *, estim: bool = False) -> bool:
    return "block" in levels(answers, muscle_id, side, estim=estim)


@pytest.mark.parametrize("muscle_id", AXILLARY)
def test_arm_lymphoedema_blocks_the_muscles_reached_through_the_armpit_and_chest_wall(muscle_id):
    assert muscle_id in M
    left_arm = well_patient(medical_conditions=["lymphoedema"], lymphoedema_limbs=["left_arm"])
    assert blocked(left_arm, muscle_id, "l")
    assert not blocked(left_arm, muscle_id, "r")
    assert not blocked(well_patient(), muscle_id, "l")


def test_arm_lymphoedema_still_leaves_the_other_side_and_the_rest_of_the_body():
    right_arm = well_patient(medical_conditions=["lymphoedema"], lymphoedema_limbs=["right_arm"])
    assert blocked(right_arm, "biceps_brachii", "r") and blocked(right_arm, "serratus_anterior", "r")
    assert not blocked(right_arm, "biceps_brachii", "l") and not blocked(right_arm, "gluteus_medius", "r")


@pytest.mark.parametrize("muscle_id", AXILLARY)
def test_a_limb_at_risk_warns_but_does_not_block_the_axillary_muscles(muscle_id):
    at_risk = well_patient(lymph_nodes_treated=["left_armpit"])
    assert levels(at_risk, muscle_id, "l") >= {"warn"} and not blocked(at_risk, muscle_id, "l")
    assert "warn" not in levels(at_risk, muscle_id, "r")


@pytest.mark.parametrize("muscle_id", ["rectus_abdominis_lower", "lumbar_multifidus", "sacral_multifidus", "gluteus_maximus", "piriformis"])
def test_pregnancy_blocks_the_abdomen_low_back_sacrum_and_buttock(muscle_id):
    pregnant = well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="third")
    assert blocked(pregnant, muscle_id, "r") and blocked(pregnant, muscle_id, "l")
    assert not blocked(well_patient(sex_at_birth="female", pregnant="no"), muscle_id, "r")


def test_pregnancy_leaves_the_neck_and_arms_and_the_first_trimester_adds_the_groin():
    later = well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="second")
    early = well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="first")
    assert not blocked(later, "upper_trapezius", "r") and not blocked(early, "extensor_carpi_radialis", "r")
    assert not blocked(later, "pectineus", "r") and blocked(early, "pectineus", "r")


def test_the_estim_recheck_blocks_stimulation_with_a_pacemaker_and_not_manual_needling():
    pacemaker = well_patient(implants=["pacemaker"])
    assert blocked(pacemaker, "gluteus_medius", "r", estim=True)
    assert not blocked(pacemaker, "gluteus_medius", "r", estim=False)
    assert not blocked(well_patient(), "gluteus_medius", "r", estim=True)
    assert levels(well_patient(), "gluteus_medius", "r", estim=True) <= {"info"}


def test_estim_in_pregnancy_or_near_an_implant_warns():
    pregnant = well_patient(sex_at_birth="female", pregnant="yes", pregnancy_trimester="second")
    assert "warn" in levels(pregnant, "upper_trapezius", "r", estim=True)
    assert "warn" not in levels(pregnant, "upper_trapezius", "r", estim=False)
    hip = well_patient(implants=["joint_replacement"], implant_details="Right hip 2019", implant_areas=["right_hip"])
    assert "warn" in levels(hip, "gluteus_medius", "r", estim=True)
    assert "warn" not in levels(hip, "gluteus_medius", "l", estim=True)  # another area
    assert "warn" not in levels(hip, "gluteus_medius", "r", estim=False)  # no current


@pytest.mark.parametrize(
    ("changes", "inside", "outside"),
    [
        ({"skin_at_site": ["skin_infection"], "skin_infection_areas": ["left_arm"]}, ("biceps_brachii", "l"), ("biceps_brachii", "r")),
        ({"skin_at_site": ["skin_condition"], "skin_condition_areas": ["upper_back_right"]}, ("rhomboids", "r"), ("rhomboids", "l")),
        ({"skin_at_site": ["wound"], "wound_areas": ["abdomen"]}, ("rectus_abdominis_upper", "r"), ("gluteus_maximus", "r")),
        ({"skin_at_site": ["varicose_veins"], "varicose_vein_areas": ["left_lower_leg"]}, ("gastrocnemius", "l"), ("gastrocnemius", "r")),
        (
            {"medical_conditions": ["lymphoedema"], "lymphoedema_limbs": ["elsewhere"], "lymphoedema_areas": ["chest_left"]},
            ("pectoralis_major", "l"),
            ("pectoralis_major", "r"),
        ),
        (
            {"recent_surgery": "yes", "surgery_details": "Lung", "surgery_when": "within_6_weeks", "surgery_areas": ["chest_right"]},
            ("pectoralis_major", "r"),
            ("pectoralis_major", "l"),
        ),
    ],
)
def test_skin_wound_vein_lymphoedema_and_surgery_blocks_stay_at_their_site(changes, inside, outside):
    answers = well_patient(**changes)
    assert blocked(answers, *inside)
    assert not blocked(answers, *outside)
    assert not blocked(well_patient(), *inside)


def test_surgery_elsewhere_or_later_warns_at_the_operated_area_only():
    knee = well_patient(recent_surgery="yes", surgery_details="New knee", surgery_when="within_6_weeks", surgery_areas=["left_thigh_knee"])
    assert levels(knee, "vastus_medialis", "l") >= {"warn"} and not blocked(knee, "vastus_medialis", "l")
    assert "warn" not in levels(knee, "vastus_medialis", "r")


def test_a_site_rule_without_its_area_blocks_every_muscle_and_says_why():
    warnings = safety_warnings([Planned(M["biceps_brachii"], "r")], evaluate({"skin_at_site": ["wound"]}))
    block = next(w for w in warnings if w.level == "block")
    assert "Where was not recorded" in block.message


def _screen(patient, practitioner, **changes: Any) -> None:
    screening.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers={**WELL, **changes})


def _entry(practitioner, encounter, muscle_id: str, side: str, **changes: Any) -> None:
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id=muscle_id, side=side, **{**services.default_entry(muscle_id), **changes}
    )


ESTIM = {"estim": True, "estim_frequency_hz": 2, "estim_pulse_width_us": 250, "estim_intensity_ma": "2.0", "estim_minutes": 10}


def test_recording_estim_for_a_patient_with_a_pacemaker_refuses_signing(practitioner, patient, encounter):
    _screen(patient, practitioner, implants=["pacemaker"])
    _entry(practitioner, encounter, "gluteus_medius", "l")
    assert not any(w.level == "block" for w in session_state(encounter).warnings)
    entry = encounter.needling_entries.get()
    services.needling_entry_save(
        actor=practitioner,
        encounter=encounter,
        entry=entry,
        muscle_id="gluteus_medius",
        side="l",
        **{**services.default_entry("gluteus_medius"), **ESTIM},
    )
    state = session_state(encounter)
    assert any(w.level == "block" and w.muscle_id == "gluteus_medius" for w in state.warnings)
    assert any("pacemaker" in p for p in state.signing_problems())
    services.needling_record_update(actor=practitioner, encounter=encounter, needles_out=1)
    services.consent_record(
        actor=practitioner,
        encounter=encounter,
        method="verbal",
        witness_name="Jon Vik",
        risks_explained=["soreness", "bruising_bleeding", "fainting"],
    )
    note = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective="Hip pain")
    with pytest.raises(ValidationError, match="pacemaker"):
        charting.note_sign(actor=practitioner, note=note)
    assert not Note.objects.filter(encounter=encounter, signed_at__isnull=False).exists()


def test_a_well_patient_with_estim_has_no_block(practitioner, patient, encounter):
    _screen(patient, practitioner)
    _entry(practitioner, encounter, "gluteus_medius", "l", **ESTIM)
    state = session_state(encounter)
    assert not any(w.level == "block" for w in state.warnings)
    assert "electrode_skin" in {n.id for n in state.safety_nets}

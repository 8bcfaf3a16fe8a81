"""Non-compressible sites per muscle, and the blood-thinner warning that uses them.

The warning for patients on blood thinners (and with a bleeding disorder) fires at deep sites where
bleeding cannot be stopped by pressure. It used to fire for any muscle usually needled with 40 mm or
more, or listing any non-compressible structure: 74 of 92 muscles, most of them sites a thumb can
press. Now each muscle that needs it says why in its own data, with a source."""

from __future__ import annotations

import pytest

from needlechart.knowledge.catalog import catalog
from needlechart.needling.checks import Planned, is_deep, safety_warnings
from needlechart.screening.rules import evaluate

M = catalog().muscles
FIRING = sorted(m.id for m in M.values() if is_deep(m))


def _rule_message() -> str:
    suitability = evaluate({"medications": ["warfarin"]})
    return next(f for f in suitability.findings if f.rule.id == "anticoagulants").rule.session_message.en


def test_the_blood_thinner_warning_fires_for_fewer_than_25_muscles():
    print(f"\nblood-thinner warning fires for {len(FIRING)} of {len(M)} muscles: {', '.join(FIRING)}")
    assert 0 < len(FIRING) < 25
    # the sites the anatomy names: the infratemporal fossa, behind the clavicle, the retroperitoneum,
    # the deep gluteal region, the chest wall between the ribs
    assert {"lateral_pterygoid", "scalenes", "iliacus", "psoas_major", "piriformis", "intercostals"} <= set(FIRING)
    # sites pressure can reach are not among them, however long the needle
    assert not {"first_dorsal_interosseous", "vastus_lateralis", "upper_trapezius", "gastrocnemius"} & set(FIRING)
    assert not is_deep(M["vastus_lateralis"], length_mm=75)


@pytest.mark.parametrize("muscle_id", FIRING)
def test_each_muscle_it_fires_for_has_a_sourced_reason_shown_in_the_warning(muscle_id):
    muscle = M[muscle_id]
    reason = muscle.non_compressible
    assert reason and reason.text.en.strip() and reason.text.nb.strip() and reason.source in catalog().sources
    warnings = safety_warnings([Planned(muscle, "l")], evaluate({"medications": ["warfarin"]}))
    message = next(w for w in warnings if w.message.startswith(_rule_message()))
    assert reason.text.en in message.message and message.muscle_id == muscle_id
    if reason.unverified:
        assert message.unverified


def test_the_warning_carries_the_unverified_flag_of_the_reason():
    suitability = evaluate({"medications": ["warfarin"]})
    rule_unverified = next(f for f in suitability.findings if f.rule.id == "anticoagulants").rule.unverified
    flagged = next(w for w in safety_warnings([Planned(M["pectoralis_minor"], "r")], suitability) if w.message.startswith(_rule_message()))
    checked = next(w for w in safety_warnings([Planned(M["piriformis"], "r")], suitability) if w.message.startswith(_rule_message()))
    assert flagged.unverified
    assert checked.unverified == rule_unverified


def test_the_risk_and_thorax_warnings_carry_the_unverified_flag_of_their_facts():
    rhomboids = safety_warnings([Planned(M["rhomboids"], "r")], None)  # depth figures from a preprint among them
    assert any(w.unverified and "pneumothorax" in w.message for w in rhomboids)
    scalenes = safety_warnings([Planned(M["scalenes"], "r")], None)  # brachial plexus etc. from course material
    assert any(w.unverified and "take care of" in w.message for w in scalenes)
    hand = [w for w in safety_warnings([Planned(M["first_dorsal_interosseous"], "r")], None) if "take care of" in w.message]
    assert hand and not any(w.unverified for w in hand)  # the radial artery, from Standring


def test_planning_levator_ani_warns_that_physiotherapists_do_not_needle_it():
    warnings = safety_warnings([Planned(M["levator_ani"], "r")], None)
    assert any(w.level == "warn" and "not needled by physiotherapists" in w.message for w in warnings)
    assert not any("not needled by physiotherapists" in w.message for w in safety_warnings([Planned(M["piriformis"], "r")], None))

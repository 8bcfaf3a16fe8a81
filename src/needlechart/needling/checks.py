"""Safety logic of a needling visit, as pure functions: trigger-point classification, risk
warnings while planning, the needle count, and the gates that must pass before signing.

Sources are in the data files: Delphi 2018 (trigger-point criteria), the muscles' risk and
depth facts (knowledge/data/muscles.yaml), the suitability rules
(knowledge/data/screening_rules.yaml), CCAOM (count needles in and out) and the AHPCSA
thorax guideline (not both sides of the thorax in one session).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from needlechart.knowledge.atlas_records import Muscle
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import Advice, ConsentVersion, Match, SafetyNet, treatment_catalog
from needlechart.screening.rules import Finding, Suitability


def classify_trigger_point(*, taut_band: bool, tender_spot: bool, referred_pain: bool, recognised: bool) -> str:
    """'active', 'latent' or 'none': a trigger point needs two of the essential three
    (taut band, hypersensitive spot, referred pain); it is active when the patient
    recognises the pain as theirs (Delphi consensus 2018)."""
    if sum((taut_band, tender_spot, referred_pain)) < 2:
        return "none"
    return "active" if recognised else "latent"


@dataclass(frozen=True)
class Planned:
    muscle: Muscle
    side: str
    depth_mm: int = 0
    length_mm: int = 0
    estim: bool = False  # the entry records electrical stimulation


def is_deep(muscle: Muscle, *, length_mm: int = 0) -> bool:
    """A deep, non-compressible site: one where bleeding cannot be stopped by pressure, as the muscle's
    own data says and why (``non_compressible`` in muscles.yaml, with a source). Neither the needle's
    length nor a vessel merely listed among the structures at risk makes a site non-compressible, so the
    blood-thinner and bleeding-disorder warnings fire where they matter (``length_mm`` is not used)."""
    return muscle.non_compressible is not None


def muscle_groups(muscle: Muscle) -> set[str]:
    cat = catalog()
    return {cat.base_regions[base][0].group for base in muscle.lies_in}


def matches(match: Match, planned: Planned) -> bool:
    """Whether a planned muscle and side is one the match concerns (``areas_from`` is resolved
    into sites by the rules engine before it gets here, so it matches nothing by itself)."""
    if match.side and match.side != planned.side:
        return False
    if match.estim and not planned.estim:
        return False
    if match.kind == "thorax":
        return planned.muscle.thorax
    if match.kind == "deep":
        return is_deep(planned.muscle, length_mm=planned.length_mm)
    if match.kind in ("site", "groups_any"):
        muscle = planned.muscle
        return (
            bool(muscle_groups(muscle) & set(match.values)) or bool(set(muscle.lies_in) & set(match.regions)) or muscle.id in match.muscles
        )
    if match.kind == "structures_any":
        return bool(set(planned.muscle.structures_at_risk) & set(match.values))
    if match.kind == "estim":
        return planned.estim
    return match.kind == "any_needling"


@dataclass(frozen=True)
class SafetyWarning:
    level: str  # "block", "warn" or "info"
    message: str
    muscle_id: str = ""
    side: str = ""
    unverified: bool = False  # rests on a fact not checked against a primary source: labelled where shown


def _name(muscle: Muscle) -> str:
    return muscle.name.get(get_language() or "en")


def safety_warnings(planned: Sequence[Planned], suitability: Suitability | None) -> list[SafetyWarning]:
    """Everything the practitioner should see while planning and documenting the needling."""
    language = get_language() or "en"
    warnings: list[SafetyWarning] = []
    structures = catalog().structures
    for item in planned:
        muscle = item.muscle
        side = _("right") if item.side == "r" else _("left")
        if muscle.thorax:
            text = _("%(muscle)s (%(side)s) lies over the thorax: needling can reach the pleura (pneumothorax).") % {
                "muscle": _name(muscle),
                "side": side,
            }
            guidance = " ".join(g.text.get(language) for g in muscle.depth_guidance)
            unverified = muscle.is_unverified("risks") or any(g.unverified for g in muscle.depth_guidance)
            warnings.append(SafetyWarning("warn", f"{text} {guidance}".strip(), muscle.id, item.side, unverified))
            limit = max(muscle.needle_length_mm)
            if item.length_mm > limit:
                warnings.append(
                    SafetyWarning(
                        "warn",
                        _("A %(used)s mm needle is longer than the %(limit)s mm usually used for %(muscle)s over the thorax.")
                        % {"used": item.length_mm, "limit": limit, "muscle": _name(muscle)},
                        muscle.id,
                        item.side,
                    )
                )
        if muscle.not_needled_reason:
            reason = muscle.not_needled_reason
            text = _("%(muscle)s (%(side)s) is not needled by physiotherapists.") % {"muscle": _name(muscle), "side": side}
            warnings.append(SafetyWarning("warn", f"{text} {reason.text.get(language)}", muscle.id, item.side, reason.unverified))
        risks = [r for r in muscle.risks if r.structure != "pleura_lung"]
        at_risk = [structures[r.structure].name.get(language) for r in risks]
        if at_risk:
            warnings.append(
                SafetyWarning(
                    "info",
                    _("%(muscle)s (%(side)s): take care of %(structures)s.")
                    % {"muscle": _name(muscle), "side": side, "structures": ", ".join(at_risk)},
                    muscle.id,
                    item.side,
                    any(r.unverified for r in risks),
                )
            )
    thorax_sides = {item.side for item in planned if item.muscle.thorax}
    if thorax_sides == {"l", "r"}:
        both = _("Both sides of the thorax are planned in one session. Guidelines advise against it (pneumothorax on both sides).")
        warnings.append(SafetyWarning("warn", both))
    for finding in suitability.findings if suitability else ():
        warnings += _finding_warnings(finding, planned, language)
    order = {"block": 0, "warn": 1, "info": 2}
    return sorted(warnings, key=lambda w: order[w.level])


def _finding_warnings(finding: Finding, planned: Sequence[Planned], language: str) -> list[SafetyWarning]:
    """A finding's warnings: once for the session when it has no site, else per matching muscle."""
    rule = finding.rule
    unknown = _("Where was not recorded: ask the patient and update the intake.")
    if finding.site_unknown:
        match = rule.session_match
        if finding.severity == "absolute":
            return [SafetyWarning("block", f"{rule.message.get(language)} {unknown}", unverified=rule.unverified)]
        if planned and (match is None or not match.estim or any(p.estim for p in planned)):
            text = rule.session_message.get(language) if rule.session_message else rule.message.get(language)
            return [SafetyWarning(finding.level, f"{text} {unknown}", unverified=rule.unverified)]
        return []
    if not finding.sites:
        return [SafetyWarning("block", rule.message.get(language), unverified=rule.unverified)] if finding.severity == "absolute" else []
    text = rule.session_message.get(language) if rule.session_message else rule.message.get(language)
    return [_site_warning(finding, text, item, language) for item in planned if any(matches(site, item) for site in finding.sites)]


def _site_warning(finding: Finding, text: str, item: Planned, language: str) -> SafetyWarning:
    """A finding's warning for one planned muscle; at a non-compressible site (blood thinners, a
    bleeding disorder) it says why bleeding there cannot be stopped by pressure, from the muscle's data."""
    unverified = finding.rule.unverified
    reason = item.muscle.non_compressible
    if reason and any(site.kind == "deep" and matches(site, item) for site in finding.sites):
        text = f"{text} {_name(item.muscle)}: {reason.text.get(language)}"
        unverified = unverified or reason.unverified
    return SafetyWarning(finding.level, text, item.muscle.id, item.side, unverified)


def reconciliation_problem(*, needles_in: int, needles_out: int | None, search: str, outcome: str) -> str | None:
    """None when the count is settled: in equals out, or a mismatch has a search and an outcome."""
    if needles_in == 0:
        return None
    if needles_out is None:
        return _("Count the needles out before signing (%(n)s went in).") % {"n": needles_in}
    if needles_out == needles_in:
        return None
    if not search.strip() or not outcome:
        return _("%(into)s needles went in but %(out)s came out: document the search and its outcome before signing.") % {
            "into": needles_in,
            "out": needles_out,
        }
    return None


class RecordedConsent(Protocol):
    """What the consent gate reads of a recorded consent (a ``needling.models.Consent``)."""

    @property
    def risks_explained(self) -> Sequence[str]: ...


def consent_problem(consent: RecordedConsent | None, planned: Sequence[Planned], version: ConsentVersion) -> str | None:
    if consent is None:
        return _("Record the patient's consent before signing a needling session.")
    language = get_language() or "en"
    required = [r for r in version.risks if r.always or (r.when_planned and any(matches(r.when_planned, p) for p in planned))]
    missing = [r.text.get(language).split(".")[0] for r in required if r.id not in consent.risks_explained]
    if missing:
        return _("The consent does not record these risks as explained: %(risks)s.") % {"risks": "; ".join(missing)}
    return None


def safety_nets_for(planned: Sequence[Planned], *, estim: bool, anticoagulants: bool) -> list[SafetyNet]:
    """The safety-netting advice the system adds itself, from what was done."""
    facts = {"estim": estim, "anticoagulants": anticoagulants, "any_needling": bool(planned)}
    return [
        net
        for net in treatment_catalog().safety_nets.values()
        if (facts[net.trigger.kind] if net.trigger.kind in facts else any(matches(net.trigger, p) for p in planned))
    ]


def replaced_advice(nets: Sequence[SafetyNet]) -> set[str]:
    """Advice ids that the automatic safety-netting stands in for (they would contradict it)."""
    return {advice_id for net in nets for advice_id in net.replaces}


def aftercare_advice(chosen: Sequence[str], nets: Sequence[SafetyNet]) -> list[Advice]:
    """The advice the patient is given: the practitioner's choice in the catalogue's order, less
    whatever the safety-netting added for this visit replaces (aftercare.yaml, ``replaces``)."""
    replaced = replaced_advice(nets)
    return [a for a in treatment_catalog().advice.values() if a.id in chosen and a.id not in replaced]

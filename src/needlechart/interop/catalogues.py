"""The codes of needlechart's own code systems: the ids of its own data, with English displays.

A code system of kind ``catalogue`` in terminology.yaml names one of these; its codes are whatever
the catalogue holds now (a muscle added to the atlas is a new code of the muscle code system).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable

from django.db import models
from django.utils import translation

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.clinics.models import CertificationKind, Discipline
from needlechart.core.access import Role
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.models import ConsentMethod, Technique
from needlechart.outcomes.instrument_loading import shipped_instruments
from needlechart.patients.models import ConditionCategory


def _choices(choices: type[models.TextChoices]) -> dict[str, str]:
    with translation.override("en"):
        return {str(value): str(label) for value, label in choices.choices}


def _muscles() -> dict[str, str]:
    return {m.id: m.name.en for m in catalog().muscles.values()}


def _uberon() -> dict[str, str]:
    """The UBERON ids the atlas gives exactly one muscle, without a display (needlechart holds no UBERON labels).

    Where several atlas muscles share an id (the three parts of trapezius, the two heads of
    sternocleidomastoid) it names the whole muscle, a broader concept than each of them: a coding of
    it beside the part's own code would say the two mean the same, so those parts go without one."""
    counts = Counter(m.uberon for m in catalog().muscles.values() if m.uberon)
    return {uberon: "" for uberon, count in counts.items() if count == 1}


def _movements() -> dict[str, str]:
    return {
        f"{joint.id}.{movement.id}": f"{joint.name.en}: {movement.name.en}"
        for joint in treatment_catalog().joints.values()
        for movement in joint.movements
    }


def _consent_risks() -> dict[str, str]:
    """Each risk by the first sentence of its consent text (its name: "Broken or retained needle.")."""
    return {risk.id: risk.text.en.split(". ", 1)[0] for version in treatment_catalog().consent_versions for risk in version.risks}


CATALOGUES: dict[str, Callable[[], dict[str, str]]] = {
    "muscles": _muscles,
    "uberon": _uberon,
    "movements": _movements,
    "adverse_event_types": lambda: {t.id: t.name.en for t in treatment_catalog().adverse_event_types.values()},
    "consent_risks": _consent_risks,
    "consent_methods": lambda: _choices(ConsentMethod),
    "instruments": lambda: {i.id: i.name.en for i in shipped_instruments().values()},
    "needling_techniques": lambda: _choices(Technique),
    "condition_categories": lambda: _choices(ConditionCategory),
    "staff_roles": lambda: _choices(Role),
    "disciplines": lambda: _choices(Discipline),
    "certification_kinds": lambda: _choices(CertificationKind),
    "audit_actions": lambda: _choices(AuditAction),
    "audit_objects": lambda: _choices(AuditObject),
}


@functools.cache
def catalogue_codes(name: str) -> dict[str, str]:
    """The codes of the catalogue ``name`` (a key of ``CATALOGUES``), code -> English display."""
    return CATALOGUES[name]()

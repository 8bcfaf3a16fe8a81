"""Consent: the patient's informed consent to the visit's needling.

The consent text given is the policy (``.../consent/needling/<version>``, the treatment
catalogue's consent version); how it was given (written on screen, or verbal with a witness), the
witness and each risk explained (New Zealand HDC 15HDC00947: record which risks were explained)
are extensions, the risks coded with the catalogue's risk ids.
"""

from __future__ import annotations

from typing import Any

from needlechart.charting.models import Encounter
from needlechart.interop.elements import CONSENT_METHOD, CONSENT_RISKS, CONSENT_VERSION, CONSENT_WITNESS, concept, instant, ref
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished
from needlechart.needling.models import Consent


def consent_resource(consent: Consent, *, encounter: Encounter, validate: bool = True) -> dict[str, Any]:
    codes = terminology()
    extensions: list[dict[str, Any]] = [{"url": CONSENT_METHOD, "valueCoding": codes.coding("consent-method", consent.method)}]
    if consent.witness_name:
        extensions.append({"url": CONSENT_WITNESS, "valueString": consent.witness_name})
    risks = codes.systems["consent-risk"].codes()
    for risk in consent.risks_explained:  # a risk no longer in the catalogue keeps its id as text
        value = {"valueCoding": codes.coding("consent-risk", risk)} if risk in risks else {"valueString": risk}
        extensions.append({"url": CONSENT_RISKS, **value})
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(consent.pk),
        "extension": extensions,
        "status": "active",
        "scope": concept("consent-scope", "treatment"),
        "category": [concept("loinc", "59284-0")],
        "patient": ref("Patient", encounter.patient_id),
        "dateTime": instant(consent.recorded_at),
        "performer": [ref("Patient", encounter.patient_id)],
        "organization": [ref("Organization", consent.clinic_id)],
        "policy": [{"uri": f"{CONSENT_VERSION}{consent.version}"}],
        "provision": {
            "type": "permit",
            "code": [concept("procedure", "dry-needling"), concept("procedure", "intramuscular-stimulation")],
            "data": [{"meaning": "related", "reference": ref("Encounter", encounter.pk)}],
        },
    }
    return finished(resource, validate)

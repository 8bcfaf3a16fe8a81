"""The clinic as structured data for search engines: a schema.org MedicalClinic with its
practitioners, written into the home and practitioners pages as JSON-LD.

Only what the pages show goes in: the clinic's public contact details and opening hours, and each
listed practitioner's name, profession and the needling certification valid today, in the page's
language.
"""

from __future__ import annotations

from typing import Any

from needlechart.clinics.models import CertificationKind
from needlechart.public.models import PublicProfile
from needlechart.public.selectors import ListedPractitioner

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def clinic_data(
    profile: PublicProfile, *, name: str, home_url: str, photo_url: str | None, practitioners: list[ListedPractitioner]
) -> dict[str, Any]:
    address = {"@type": "PostalAddress", "streetAddress": profile.street_address, "postalCode": profile.postal_code}
    address |= {"addressLocality": profile.city} if profile.city else {}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "@id": f"{home_url}#clinic",
        "name": name,
        "url": home_url,
        "address": {key: value for key, value in address.items() if value},
        "availableService": [{"@type": "MedicalTherapy", "name": str(therapy)} for therapy in CertificationKind.labels],
        "openingHoursSpecification": [
            {"@type": "OpeningHoursSpecification", "dayOfWeek": f"https://schema.org/{DAYS[hours['day']]}", **_times(hours)}
            for hours in profile.opening_hours
        ],
        "employee": [_person(practitioner) for practitioner in practitioners],
    }
    data |= {"telephone": profile.phone} if profile.phone else {}
    data |= {"email": profile.email} if profile.email else {}
    data |= {"image": photo_url} if photo_url else {}
    return data


def _times(hours: dict[str, Any]) -> dict[str, str]:
    return {"opens": hours["opens"], "closes": hours["closes"]}


def _person(practitioner: ListedPractitioner) -> dict[str, Any]:
    person: dict[str, Any] = {"@type": "Person", "name": practitioner.name}
    if practitioner.discipline:
        person["jobTitle"] = practitioner.discipline
    certification = practitioner.certification
    if certification is not None:
        credential = {
            "@type": "EducationalOccupationalCredential",
            "credentialCategory": "certificate",
            "name": str(certification.get_kind_display()),
            "recognizedBy": {"@type": "Organization", "name": certification.issuer},
        }
        if certification.expires_on:
            credential["expires"] = certification.expires_on.isoformat()
        person["hasCredential"] = credential
    return person

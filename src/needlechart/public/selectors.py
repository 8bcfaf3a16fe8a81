"""Reads for a clinic's public pages: anyone may read them, so they read nothing a stranger may not see.

They read the clinic's public profile and texts, its practitioners' names, disciplines and needling
certifications, and its screening rule settings: never a patient table, and of the staff only
those a patient may know of.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.http import Http404

from needlechart.clinics.models import Certification, PractitionerProfile, User
from needlechart.clinics.selectors import needling_authorisation
from needlechart.core.access import CLINICAL_CAPABILITIES, ROLE_CAPABILITIES, Approval
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.public.models import PublicProfile, PublicText
from needlechart.public.plain_text import PlainBlock, plain_blocks
from needlechart.public.texts import SuitabilityItem, public_texts
from needlechart.screening.rules import SEVERITY_ORDER
from needlechart.screening.selectors import rule_adjustments

# The roles that treat patients: the directory lists their members and no one else.
CLINICAL_ROLES = tuple(role for role, capabilities in ROLE_CAPABILITIES.items() if capabilities & CLINICAL_CAPABILITIES)


def published_profile(slug: str) -> PublicProfile:
    """The published public profile at ``slug``, with its clinic; 404 for any other."""
    try:
        return PublicProfile.objects.select_related("clinic").get(slug=slug, published=True)
    except PublicProfile.DoesNotExist as exc:
        raise Http404 from exc


def published_profiles_changed() -> list[tuple[PublicProfile, dt.datetime]]:
    """Every published profile, with when its settings or one of its texts last changed (one query)."""
    latest_text = PublicText.objects.filter(clinic_id=OuterRef("clinic_id")).order_by("-changed_at").values("changed_at")[:1]
    profiles = PublicProfile.objects.filter(published=True).annotate(text_changed=Subquery(latest_text)).order_by("slug")
    return [(profile, max(profile.updated_at, profile.text_changed or profile.updated_at)) for profile in profiles]


def profile_of_clinic(clinic_id: uuid.UUID) -> PublicProfile | None:
    return PublicProfile.objects.filter(clinic_id=clinic_id).first()


def clinic_text(clinic_id: uuid.UUID, page: str, language: str) -> str | None:
    return PublicText.objects.filter(clinic_id=clinic_id, page=page, language=language).values_list("text", flat=True).first()


def clinic_texts(clinic_id: uuid.UUID) -> dict[tuple[str, str], str]:
    """Every text the clinic wrote, by (page, language)."""
    rows = PublicText.objects.filter(clinic_id=clinic_id).values_list("page", "language", "text")
    return {(page, language): text for page, language, text in rows}


def clinic_blocks(clinic_id: uuid.UUID, page: str, language: str) -> tuple[PlainBlock, ...] | None:
    """The clinic's own text for a page, in blocks; None where it uses the default text."""
    text = clinic_text(clinic_id, page, language)
    return plain_blocks(text) if text else None


@dataclass(frozen=True)
class ListedPractitioner:
    """What a patient may know of a practitioner: a name, a profession, and the needling certification
    valid today (its kind and until when), or whether one is on record at all."""

    staff_id: int
    name: str
    title: str
    discipline: str  # the discipline's label in the active language ("" without a profile)
    certification: Certification | None  # valid today
    has_certifications: bool

    @property
    def certified(self) -> bool:
        return self.certification is not None


def directory(clinic_id: uuid.UUID, *, on: dt.date) -> list[ListedPractitioner]:
    """The clinic's active, approved practitioners (clinical roles) with a name, in two queries.

    An account waiting for a second admin's approval is left out (it may not treat anyone yet); one
    approved in a clinic with a single admin is listed, as its role is in force. A name is required:
    without one, a page would show the login name.
    """
    members = (
        User.objects.filter(clinic_id=clinic_id, is_active=True, role__in=CLINICAL_ROLES)
        .exclude(approval=Approval.PENDING)
        .exclude(first_name="", last_name="")
        .select_related("practitioner_profile")
        .prefetch_related("practitioner_profile__certifications")
        .order_by("last_name", "first_name", "pk")
    )
    listed = []
    for member in members:
        try:
            profile: PractitionerProfile | None = member.practitioner_profile
        except PractitionerProfile.DoesNotExist:
            profile = None
        authorisation = needling_authorisation(practitioner=member, on=on)
        listed.append(
            ListedPractitioner(
                staff_id=member.pk,
                name=f"{member.first_name} {member.last_name}".strip(),
                title=profile.title if profile else "",
                discipline=str(profile.get_discipline_display()) if profile else "",
                certification=authorisation.certification if authorisation.certified else None,
                has_certifications=bool(profile and profile.certifications.all()),
            )
        )
    return listed


@dataclass(frozen=True)
class Suitability:
    """The clinic's screening rules in patient words, by the severity the clinic gives them."""

    absolute: tuple[SuitabilityItem, ...]
    relative: tuple[SuitabilityItem, ...]
    precaution: tuple[SuitabilityItem, ...]
    everyone: tuple[SuitabilityItem, ...]  # places never needled, whoever the patient is

    @property
    def items(self) -> tuple[SuitabilityItem, ...]:
        return self.absolute + self.relative + self.precaution + self.everyone


def suitability(clinic_id: uuid.UUID) -> Suitability:
    """Each item under the highest severity the clinic gives any of its rules; an item whose rules
    the clinic switched off is left out."""
    rules = treatment_catalog().rules
    adjustments = rule_adjustments(clinic_id)
    by_severity: dict[str, list[SuitabilityItem]] = {severity: [] for severity in SEVERITY_ORDER}
    everyone = []
    for item in public_texts().suitability:
        severities = [adjustments.get(name, rules[name].severity) for name in item.rules]
        kept = [severity for severity in severities if severity]
        if not kept:
            continue
        if item.everyone:
            everyone.append(item)
        else:
            by_severity[min(kept, key=SEVERITY_ORDER.__getitem__)].append(item)
    return Suitability(tuple(by_severity["absolute"]), tuple(by_severity["relative"]), tuple(by_severity["precaution"]), tuple(everyone))

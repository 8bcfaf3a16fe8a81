"""What an API client may do: its scopes, and the capabilities of core.access each one needs.

A client acts within its clinic with exactly the scopes it was given. Whoever creates it can give
only the scopes whose capabilities their own role holds (``grantable_scopes``): a clinic admin,
who may not read clinical notes in the pages, cannot mint a token that reads them through the
API either. Which scopes a role can grant therefore follows ``core.access.ROLE_CAPABILITIES``
and changes with it, not with a list kept here.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from needlechart.clinics.models import User
from needlechart.core.access import Capability, has_capability


class Scope(models.TextChoices):
    DEMOGRAPHICS_READ = "demographics:read", _("Read demographics")
    CLINICAL_READ = "clinical:read", _("Read clinical records")
    DEMOGRAPHICS_WRITE = "demographics:write", _("Write demographics")
    APPOINTMENTS_WRITE = "appointments:write", _("Book appointments")
    EXPORT = "export", _("Export the clinic's records")


# Reading a clinical record, or exporting all of them, includes the demographics that say whose it is.
SCOPE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Scope.DEMOGRAPHICS_READ: frozenset({Capability.VIEW_DEMOGRAPHICS}),
    Scope.CLINICAL_READ: frozenset({Capability.VIEW_DEMOGRAPHICS, Capability.VIEW_CLINICAL}),
    Scope.DEMOGRAPHICS_WRITE: frozenset({Capability.VIEW_DEMOGRAPHICS, Capability.EDIT_DEMOGRAPHICS}),
    Scope.APPOINTMENTS_WRITE: frozenset({Capability.VIEW_DEMOGRAPHICS, Capability.BOOK_ENCOUNTERS}),
    Scope.EXPORT: frozenset({Capability.VIEW_DEMOGRAPHICS, Capability.VIEW_CLINICAL}),
}

SCOPE_HELP: dict[str, Promise] = {
    Scope.DEMOGRAPHICS_READ: _("Search and read patients, their episodes of care, and the clinic's staff and certifications."),
    Scope.CLINICAL_READ: _("Read visits, signed notes, needling and measurements."),
    Scope.DEMOGRAPHICS_WRITE: _("Register patients and change their demographics."),
    Scope.APPOINTMENTS_WRITE: _("Book and move visits."),
    Scope.EXPORT: _("Export the clinic's whole record."),
}


def may_manage_clients(user: User) -> bool:
    """API clients are managed by those who manage the clinic's staff: a client is a kind of account."""
    return has_capability(user, Capability.MANAGE_STAFF)


def role_allows(user: User, scope: str) -> bool:
    """Whether ``user``'s role holds every capability ``scope`` needs (what a staff member may let a
    system do on their behalf through OAuth 2 authorization code: api.authorize)."""
    return scope in SCOPE_CAPABILITIES and all(has_capability(user, capability) for capability in SCOPE_CAPABILITIES[scope])


def may_grant(user: User, scope: str) -> bool:
    """Whether ``user`` may give a client ``scope``: they manage clients and their role holds every
    capability the scope needs."""
    return may_manage_clients(user) and role_allows(user, scope)


def grantable_scopes(user: User) -> list[Scope]:
    return [scope for scope in Scope if may_grant(user, scope)]

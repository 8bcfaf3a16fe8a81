"""E-mails to a clinic's contact address about what one of its admins did alone.

Separation of duties has no second admin to rely on in a clinic with one (clinics.accounts), and
the second admin is itself made by an admin: so the contact address, which the system's operator
sets and the clinic's admins do not (``Clinic.email``), hears of both. Sent once the change is
committed; without a contact address the audit report is the only place they show.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from needlechart.clinics.models import Clinic, User


def _send(*, clinic: Clinic, subject: str, body: str) -> None:
    if not clinic.email:
        return
    address = clinic.email
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))


def _when() -> str:
    return date_format(timezone.localtime(), "DATETIME_FORMAT")


def _language_of(admin: User | None) -> str:
    return admin.preferred_language if admin is not None else settings.LANGUAGE_CODE


def first_unapproved_read(*, account: User, granted_by: User | None) -> None:
    """``account``, whose clinical role no second admin approved, opened a patient's record for the first time."""
    if account.clinic is None:
        return
    with translation.override(_language_of(granted_by)):
        values = {
            "name": account.display_name,
            "username": account.username,
            "admin": granted_by.display_name if granted_by else "—",
            "when": _when(),
            "clinic": account.clinic.name,
        }
        subject = _("needlechart: a clinical account no second admin approved opened a patient's record")
        body = (
            _(
                "%(name)s (%(username)s) opened a patient's record at %(clinic)s for the first time, at %(when)s.\n\n"
                "The account's clinical role was given by %(admin)s alone: the clinic had no second admin to approve it. "
                "The audit report lists this read. If the account is not known to you, ask the clinic to deactivate it."
            )
            % values
        )
    _send(clinic=account.clinic, subject=subject, body=body)


def admin_granted(*, account: User, granted_by: User) -> None:
    """``granted_by`` made ``account`` a clinic admin: admins approve one another's clinical accounts."""
    if account.clinic is None:
        return
    with translation.override(_language_of(granted_by)):
        values = {"name": account.display_name, "username": account.username, "admin": granted_by.display_name, "when": _when()}
        subject = _("needlechart: a new clinic admin")
        body = (
            _(
                "%(admin)s made %(name)s (%(username)s) a clinic admin at %(when)s.\n\n"
                "A clinic admin approves the clinical accounts another admin creates. "
                "If this is not known to you, check the audit report's list of accounts created or changed."
            )
            % values
        )
    _send(clinic=account.clinic, subject=subject, body=body)

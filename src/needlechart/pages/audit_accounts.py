"""The audit report's list of staff accounts created or changed in the period: who, what changed
(each field before and after), by whom; and each first read of a patient's record by an account no
second admin approved (clinics.accounts), flagged."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from needlechart.audit import selectors
from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.clinics.accounts import AccountEvent
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Approval, Role

EVENTS = {
    AccountEvent.CREATED: gettext_lazy("account created"),
    AccountEvent.ROLE_CHANGED: gettext_lazy("role changed"),
    AccountEvent.APPROVED: gettext_lazy("approved by a second admin"),
    AccountEvent.DEACTIVATED: gettext_lazy("deactivated"),
    AccountEvent.ACTIVATED: gettext_lazy("activated again"),
    AccountEvent.PASSWORD_SET: gettext_lazy("password set by an admin"),
    AccountEvent.PASSWORD_CHANGED: gettext_lazy("password changed by its owner"),
}
FIELDS = {"role": gettext_lazy("Role"), "approval": gettext_lazy("Approval"), "is_active": gettext_lazy("Active")}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AccountRow:
    at: dt.datetime
    account: str
    account_id: int | None
    event: str
    changes: list[Change]
    by: str
    flagged: bool  # a first read by an account no second admin approved
    patient_id: uuid.UUID | None


def _value(field: str, value: object) -> str:
    if value is None:
        return "—"
    if field == "is_active":
        return _("yes") if value else _("no")
    choices = {"role": Role, "approval": Approval}.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _person(people: dict[int, User], pk: int | None, fallback: str) -> str:
    person = people.get(pk) if pk is not None else None
    return f"{person.display_name} ({person.username})" if person else (fallback or "—")


def account_rows(*, user: User, start: dt.datetime, end: dt.datetime) -> list[AccountRow]:
    events: list[AuditEvent] = list(selectors.account_changes(user=user, start=start, end=end))
    ids = {int(e.object_id) for e in events if e.object_id.isdigit()} | {e.actor_id for e in events if e.actor_id}
    people = {p.pk: p for p in User.objects.filter(pk__in=ids, clinic_id=clinic_id_of(user))}
    rows = []
    for e in events:
        account_id = int(e.object_id) if e.object_id.isdigit() else None
        flagged = e.object_type == AuditObject.UNAPPROVED_READ
        event = str(AuditObject.UNAPPROVED_READ.label) if flagged else str(EVENTS.get(e.detail.get("account"), e.detail.get("account", "")))
        changes = [
            Change(str(FIELDS.get(field, field)), _value(field, pair[0]), _value(field, pair[1]))
            for field, pair in (e.detail.get("changes") or {}).items()
            if isinstance(pair, list) and len(pair) == 2
        ]
        by = _person(people, e.actor_id, e.actor_username)
        rows.append(AccountRow(e.at, _person(people, account_id, ""), account_id, event, changes, by, flagged, e.patient_id))
    return rows

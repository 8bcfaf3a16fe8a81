"""A signed visit's needling rows cannot be replaced through the database either (SQLite's INSERT OR
REPLACE, PostgreSQL's INSERT ... ON CONFLICT DO UPDATE)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.needling import models
from tests.charting.test_tamper_guards import REFUSED, _db_id, _replace


@pytest.mark.parametrize("model", [models.Consent, models.NeedlingEntry, models.NeedlingRecord])
def test_a_signed_visits_needling_rows_cannot_be_replaced(ready_session, practitioner, front_desk, model):
    """Replaced by a row of another, unsigned visit (which the guard against inserting into a signed
    visit lets through): the replace would delete the signed visit's row."""
    note = charting.note_save_draft(actor=practitioner, encounter=ready_session, subjective="Neck pain 6/10")
    charting.note_sign(actor=practitioner, note=note)
    other = charting.encounter_create(actor=front_desk, episode=ready_session.episode, practitioner=practitioner, starts_at=timezone.now())
    row = model.objects.filter(encounter=ready_session).first()
    assert row is not None
    with pytest.raises(REFUSED):
        _replace(model._meta.db_table, row.pk, encounter_id=f"'{_db_id(other.pk)}'")
    assert model.objects.get(pk=row.pk).encounter_id == ready_session.pk


def test_a_draft_visits_needling_rows_may_be_replaced(ready_session):
    row = models.NeedlingEntry.objects.filter(encounter=ready_session).first()
    _replace(models.NeedlingEntry._meta.db_table, row.pk)
    assert models.NeedlingEntry.objects.filter(pk=row.pk).exists()

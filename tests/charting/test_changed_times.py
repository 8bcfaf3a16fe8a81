"""An encounter keeps the time of its last change, which "changed since" reads (API, FHIR _since)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.charting.models import Encounter, EncounterStatus


def _a_month_old(encounter: Encounter) -> None:
    Encounter.objects.filter(pk=encounter.pk).update(updated_at=timezone.now() - dt.timedelta(days=30))


def test_a_status_change_moves_the_encounters_change_time(front_desk, encounter):
    assert Encounter.objects.get(pk=encounter.pk).updated_at is not None
    _a_month_old(encounter)
    before = timezone.now()
    charting.encounter_set_status(actor=front_desk, encounter=Encounter.objects.get(pk=encounter.pk), status=EncounterStatus.ARRIVED)
    assert Encounter.objects.get(pk=encounter.pk).updated_at >= before


def test_signing_the_note_finishes_the_visit_and_moves_its_change_time(practitioner, draft_note):
    _a_month_old(draft_note.encounter)
    before = timezone.now()
    charting.note_sign(actor=practitioner, note=draft_note)
    signed = Encounter.objects.get(pk=draft_note.encounter_id)
    assert signed.status == EncounterStatus.FINISHED and signed.updated_at >= before

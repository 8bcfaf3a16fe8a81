"""A colleague reads a draft visit but adds nothing to it, and a refused save writes nothing
(issue 14: needles and consent added to a colleague's draft; a 403 note save that still wrote the count)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from needlechart.needling import services
from needlechart.needling.models import NeedlingEntry, NeedlingRecord


def test_a_colleague_cannot_add_needles_or_record_consent_on_a_draft_visit(ready_session, second_practitioner):
    entries = NeedlingEntry.objects.filter(encounter=ready_session).count()
    with pytest.raises(PermissionDenied):
        services.needling_entry_save(
            actor=second_practitioner,
            encounter=ready_session,
            muscle_id="infraspinatus",
            side="r",
            **services.default_entry("infraspinatus"),
        )
    with pytest.raises(PermissionDenied):
        services.consent_record(
            actor=second_practitioner, encounter=ready_session, method="verbal", witness_name="", risks_explained=["soreness"]
        )
    with pytest.raises(PermissionDenied):
        services.needling_record_update(actor=second_practitioner, encounter=ready_session, needles_out=0)
    assert NeedlingEntry.objects.filter(encounter=ready_session).count() == entries
    assert NeedlingRecord.objects.get(encounter=ready_session).needles_out == 3


def test_through_the_pages_a_colleagues_writes_are_refused_and_write_nothing(client_for, ready_session, second_practitioner):
    client = client_for(second_practitioner)
    count = client.post(reverse("needling_record", args=[ready_session.pk]), {"part": "count", "needles_out": "0"}, HTTP_HX_REQUEST="true")
    note = client.post(reverse("note_save", args=[ready_session.pk]), {"subjective": "mine now", "needles_out": "0", "sign": "1"})
    assert count.status_code == 403 and note.status_code == 403
    assert NeedlingRecord.objects.get(encounter=ready_session).needles_out == 3
    assert not hasattr(ready_session, "note") or ready_session.note.subjective != "mine now"

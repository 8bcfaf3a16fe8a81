"""An episode keeps the time of its last change, which "changed since" reads (API, FHIR _since)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from needlechart.patients import services as patients
from needlechart.patients.models import Episode


def test_a_new_episode_has_its_creation_time_and_closing_it_moves_it(front_desk, episode):
    stored = Episode.objects.get(pk=episode.pk)
    assert stored.updated_at is not None and abs(stored.updated_at - stored.created_at) < dt.timedelta(seconds=1)
    Episode.objects.filter(pk=episode.pk).update(updated_at=stored.created_at - dt.timedelta(days=30))  # a month ago
    before = timezone.now()
    patients.episode_close(actor=front_desk, episode=Episode.objects.get(pk=episode.pk), ended_on=timezone.localdate())
    closed = Episode.objects.get(pk=episode.pk)
    assert closed.ended_on == timezone.localdate() and closed.updated_at >= before

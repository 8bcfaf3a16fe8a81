"""Keep the reporting rows in step with the records they summarise, in the same transaction."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from needlechart.analytics import summaries
from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.charting.models import Note
from needlechart.charting.signals import note_signed
from needlechart.needling.models import AdverseEvent
from needlechart.outcomes.models import Measurement
from needlechart.patients.models import Episode


@receiver(note_signed, sender=Note)
def _session_signed(sender, note: Note, needling: bool, **kwargs) -> None:
    # Sent in the signing transaction, the note just signed: with needling the visit has its
    # SessionFact (what refresh_session decides from the rows), from the encounter signing read.
    if needling:
        encounter = note.encounter
        summaries.session_signed(encounter)
        summaries.refresh_episode(encounter.episode_id, encounter.episode)


@receiver(post_save, sender=AdverseEvent)
def _adverse_event_saved(sender, instance: AdverseEvent, **kwargs) -> None:
    if SessionFact.objects.filter(encounter_id=instance.encounter_id).exists():
        summaries.refresh_session(instance.encounter_id)


@receiver(post_save, sender=Measurement)
def _measurement_saved(sender, instance: Measurement, **kwargs) -> None:
    summaries.refresh_episode(instance.episode_id)


@receiver(post_save, sender=Episode)
def _episode_saved(sender, instance: Episode, created: bool, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and "condition" not in update_fields):
        return
    # The condition category may have changed, and with it the MCID the responder status is judged by
    # (NPRS: 1.3 points for neck pain, 2.2 for low back pain): recompute the episode's row, not only its label.
    SessionFact.objects.filter(episode_id=instance.pk).update(condition=instance.condition)
    if EpisodeOutcome.objects.filter(episode_id=instance.pk).exists():
        summaries.refresh_episode(instance.pk)

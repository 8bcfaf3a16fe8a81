"""Guard the charting tables again: SQLite refuses INSERT OR REPLACE over a protected row, and a
visit whose note is signed keeps its patient, episode, practitioner, clinic, time and reason."""

from django.db import migrations

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("charting", "0005_pain_map_frozen_with_the_note")]
    operations = [
        refuse_changes("charting_note", mode="signed"),
        refuse_changes("charting_addendum", mode="signed"),
        refuse_changes("charting_painmap", mode="note_signed"),
        refuse_changes("charting_encounter", mode="encounter"),
    ]

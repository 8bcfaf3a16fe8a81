"""Encounters keep the time of their last change, so that "changed since" finds a visit whose
status changed.

The column is added as a plain nullable one in place: an ``auto_now`` field would have Django's
SQLite editor rebuild the table, and a rebuilt table loses the triggers that freeze a signed
visit (core.db_triggers). Every existing encounter gets its creation time; the triggers allow it
(the column is not one a signed visit keeps)."""

from django.db import migrations, models
from django.db.models import F


def _created_times(apps, schema_editor):
    apps.get_model("charting", "Encounter").objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("charting", "0006_signed_rows_cannot_be_replaced")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddField("encounter", "updated_at", models.DateTimeField(null=True))],
            state_operations=[migrations.AddField("encounter", "updated_at", models.DateTimeField(auto_now=True, null=True))],
        ),
        migrations.RunPython(_created_times, migrations.RunPython.noop),
    ]

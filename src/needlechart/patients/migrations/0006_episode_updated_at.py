"""Episodes keep the time of their last change, so that "changed since" finds a closed episode.

The column is added as a plain nullable one (an ``auto_now`` field would have Django's SQLite
editor rebuild the table) and every existing episode gets its creation time."""

from django.db import migrations, models
from django.db.models import F


def _created_times(apps, schema_editor):
    apps.get_model("patients", "Episode").objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_d_numbers_under_their_own_system")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddField("episode", "updated_at", models.DateTimeField(null=True))],
            state_operations=[migrations.AddField("episode", "updated_at", models.DateTimeField(auto_now=True, null=True))],
        ),
        migrations.RunPython(_created_times, migrations.RunPython.noop),
    ]

from django.db import migrations

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("charting", "0004_pain_map")]
    operations = [refuse_changes("charting_painmap", mode="note_signed")]

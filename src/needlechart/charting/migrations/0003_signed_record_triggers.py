from django.db import migrations

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("charting", "0002_initial")]
    operations = [
        refuse_changes("charting_note", mode="signed"),
        refuse_changes("charting_addendum", mode="signed"),
    ]

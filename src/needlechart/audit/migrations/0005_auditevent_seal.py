"""Audit rows get a keyed seal (audit/seals.py). SQLite rebuilds the table to add the column,
which drops its guards, so the guards are put back after (PostgreSQL keeps them; putting them
back replaces them with the same)."""

from django.db import migrations, models

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_rows_cannot_be_replaced")]
    operations = [
        migrations.AddField(model_name="auditevent", name="seal", field=models.CharField(blank=True, default="", max_length=64)),
        refuse_changes("audit_auditevent", mode="always"),
    ]

"""The patients an audit event names (AuditSubject: a list's one event, its patients indexed for
the access log), append-only as the events are: the same guards refuse UPDATE, DELETE and TRUNCATE,
and on SQLite an INSERT OR REPLACE over a row."""

import django.db.models.deletion
from django.db import migrations, models

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_auditevent_seal")]

    operations = [
        migrations.CreateModel(
            name="AuditSubject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("clinic_id", models.UUIDField(null=True)),
                ("patient_id", models.UUIDField()),
                (
                    "event",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="subjects", to="audit.auditevent"
                    ),
                ),
            ],
            options={
                "verbose_name": "patient named by an audit event",
                "indexes": [models.Index(fields=["clinic_id", "patient_id"], name="audit_subject_patient")],
                "constraints": [models.UniqueConstraint(fields=("event", "patient_id"), name="audit_subject_unique_event_patient")],
            },
        ),
        refuse_changes("audit_auditsubject", mode="always"),
    ]

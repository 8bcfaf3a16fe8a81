"""The outbox of patient messages (scheduling.outbox) and the clinic's reminder setting."""

import uuid

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0006_sign_in_throttle"),
        ("scheduling", "0002_no_double_booking"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarsettings",
            name="reminder_hours",
            field=models.PositiveSmallIntegerField(
                default=24,
                validators=[django.core.validators.MaxValueValidator(336)],
                verbose_name="reminder before the visit (hours, 0: none)",
            ),
        ),
        migrations.CreateModel(
            name="OutgoingMessage",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("confirmation", "confirmation"),
                            ("reminder", "reminder"),
                            ("moved", "moved"),
                            ("cancelled", "cancelled"),
                        ],
                        max_length=20,
                        verbose_name="message",
                    ),
                ),
                ("channel", models.CharField(choices=[("email", "e-mail"), ("sms", "SMS")], max_length=10, verbose_name="channel")),
                ("appointment_starts_at", models.DateTimeField()),
                ("recipient", models.CharField(max_length=254, verbose_name="to")),
                ("language", models.CharField(max_length=5)),
                ("subject", models.CharField(blank=True, max_length=300)),
                ("body", models.TextField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "waiting"),
                            ("sending", "being sent"),
                            ("sent", "sent"),
                            ("failed", "failed"),
                            ("skipped", "not needed"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.CharField(blank=True, max_length=500, verbose_name="last error")),
                ("next_attempt_at", models.DateTimeField()),
                ("claim_token", models.UUIDField(blank=True, null=True)),
                ("claimed_until", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appointment",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="scheduling.appointment"),
                ),
                ("clinic", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinics.clinic")),
            ],
            options={
                "verbose_name": "outgoing message",
                "verbose_name_plural": "outgoing messages",
                "ordering": ["next_attempt_at"],
                "indexes": [models.Index(fields=["status", "next_attempt_at"], name="outgoing_message_due")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("appointment", "kind", "channel", "appointment_starts_at"), name="outgoing_message_once"
                    )
                ],
            },
        ),
    ]

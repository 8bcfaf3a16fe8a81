"""The wait list (scheduling.wait_list): patients waiting for an earlier time and what they accept."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0006_sign_in_throttle"),
        ("patients", "0005_d_numbers_under_their_own_system"),
        ("scheduling", "0003_outgoing_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WaitListEntry",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("parts_of_day", models.JSONField(blank=True, default=list, verbose_name="times of day")),
                ("weekdays", models.JSONField(blank=True, default=list, verbose_name="weekdays")),
                ("earliest_date", models.DateField(blank=True, null=True, verbose_name="from")),
                ("latest_date", models.DateField(blank=True, null=True, verbose_name="until")),
                ("urgent", models.BooleanField(default=False, verbose_name="urgent")),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Waiting"), ("offered", "Offered a time"), ("booked", "Booked"), ("removed", "Removed")],
                        default="active",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("status_reason", models.CharField(blank=True, max_length=300, verbose_name="reason for removing")),
                ("status_changed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="scheduling.appointment"
                    ),
                ),
                (
                    "appointment_types",
                    models.ManyToManyField(related_name="+", to="scheduling.appointmenttype", verbose_name="appointment types"),
                ),
                ("clinic", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinics.clinic")),
                (
                    "created_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.patient", verbose_name="patient"
                    ),
                ),
                (
                    "practitioners",
                    models.ManyToManyField(
                        blank=True,
                        help_text="None chosen: any practitioner.",
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="practitioners",
                    ),
                ),
                (
                    "status_changed_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "wait list entry",
                "verbose_name_plural": "wait list entries",
                "ordering": ["-urgent", "created_at"],
                "indexes": [models.Index(fields=["clinic", "status"], name="wait_list_clinic_status")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("earliest_date__isnull", True),
                            ("latest_date__isnull", True),
                            ("latest_date__gte", models.F("earliest_date")),
                            _connector="OR",
                        ),
                        name="wait_list_dates_in_order",
                    )
                ],
            },
        ),
    ]

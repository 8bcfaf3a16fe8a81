"""Practitioners' calendar feeds (scheduling.feed_models): the hashed secret of each iCal address and its privacy choice."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0006_sign_in_throttle"),
        ("scheduling", "0004_wait_list"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarFeed",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("token_hash", models.CharField(blank=True, max_length=64, null=True, unique=True)),
                (
                    "private",
                    models.BooleanField(
                        default=True,
                        help_text="The events say only the appointment type and the room, not who comes.",
                        verbose_name="hide patients' names",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("token_created_at", models.DateTimeField(blank=True, null=True)),
                ("last_fetched_at", models.DateTimeField(blank=True, null=True)),
                ("clinic", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinics.clinic")),
                (
                    "practitioner",
                    models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
            ],
            options={
                "verbose_name": "calendar feed",
                "verbose_name_plural": "calendar feeds",
            },
        ),
    ]

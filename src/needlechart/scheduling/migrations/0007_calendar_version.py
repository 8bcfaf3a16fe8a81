"""The clinic's calendar version: a token the database sets anew on every write to the working hours
or the exceptions (scheduling.db_versions), so that the calendar may keep what it read of them."""

from django.db import migrations, models

from needlechart.scheduling.db_versions import version_operation


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0006_wait_list_offers")]

    operations = [
        migrations.CreateModel(
            name="CalendarVersion",
            fields=[
                ("clinic_id", models.UUIDField(primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=64)),
            ],
            options={"verbose_name": "calendar version", "verbose_name_plural": "calendar versions"},
        ),
        version_operation(),
    ]

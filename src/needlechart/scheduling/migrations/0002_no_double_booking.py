"""No practitioner and no room booked twice at once, refused by the database (scheduling.db_guards):
an exclusion constraint on PostgreSQL (btree_gist gives GiST its ``=`` on the practitioner and the
room), triggers on SQLite."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

from needlechart.scheduling.db_guards import guard_operation


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [BtreeGistExtension(), guard_operation()]

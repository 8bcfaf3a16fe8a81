from django.db import migrations

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [refuse_changes("audit_auditevent", mode="always")]

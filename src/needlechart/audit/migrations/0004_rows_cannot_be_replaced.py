"""Guard the audit log again: SQLite refuses INSERT OR REPLACE over an audit row; PostgreSQL's guard
reports its own message for an audit row (it asked the row for a signed_at it does not have)."""

from django.db import migrations

from needlechart.core.db_triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_role_choices")]
    operations = [refuse_changes("audit_auditevent", mode="always")]

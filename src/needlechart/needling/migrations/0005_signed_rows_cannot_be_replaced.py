"""Guard the needling tables again: on SQLite a row of a signed visit cannot be replaced
(INSERT OR REPLACE) either (core.db_triggers)."""

from django.db import migrations

from needlechart.core.db_triggers import refuse_changes

TABLES = [
    "needling_consent",
    "needling_palpationfinding",
    "needling_rangeofmotion",
    "needling_pressurepainthreshold",
    "needling_needlingentry",
    "needling_needlingrecord",
]


class Migration(migrations.Migration):
    dependencies = [("needling", "0004_adverseevent_reported_via_and_more"), ("charting", "0006_signed_rows_cannot_be_replaced")]
    operations = [refuse_changes(table, mode="note_signed") for table in TABLES]

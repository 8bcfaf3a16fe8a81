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
    dependencies = [("needling", "0001_initial"), ("charting", "0004_pain_map")]
    operations = [refuse_changes(table, mode="note_signed") for table in TABLES]

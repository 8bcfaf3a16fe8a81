from django.db import migrations

from needlechart.core.db_triggers import refuse_changes

# The programme is signed with the visit's note: once the note is signed, neither the programme
# nor its items may be added, changed or removed (core.db_triggers, mode note_signed).
TABLES = ["homecare_homeprogramme", "homecare_programmeitem"]


class Migration(migrations.Migration):
    dependencies = [("homecare", "0001_initial")]
    operations = [refuse_changes(table, mode="note_signed") for table in TABLES]

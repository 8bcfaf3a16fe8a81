from django.db import migrations
from django.db.models import Exists, OuterRef

NIN_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
D_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
D_NUMBER = r"^[4-7][0-9]{10}$"  # an 11-digit number whose first digit is the day plus 4 (patients.identifiers.nin_kind)


def _refile(apps, from_system: str, to_system: str) -> None:
    identifiers = apps.get_model("patients", "PatientIdentifier").objects
    already = identifiers.filter(clinic_id=OuterRef("clinic_id"), system=to_system, value=OuterRef("value"))
    identifiers.filter(system=from_system, value__regex=D_NUMBER).exclude(Exists(already)).update(system=to_system)


def d_numbers_to_their_system(apps, schema_editor):
    _refile(apps, NIN_SYSTEM, D_NUMBER_SYSTEM)


def d_numbers_back(apps, schema_editor):
    _refile(apps, D_NUMBER_SYSTEM, NIN_SYSTEM)


class Migration(migrations.Migration):
    # The patient form filed D-numbers under the fødselsnummer system; they belong under the
    # D-number system (HL7 Norway basis profiles), as patients.identifiers now files them.

    dependencies = [
        ("patients", "0004_search_indexes_hold_what_results_show"),
    ]

    operations = [migrations.RunPython(d_numbers_to_their_system, d_numbers_back)]

from django.core.management.base import BaseCommand, CommandError

from needlechart.charting.models import Addendum, Note
from needlechart.charting.services import signed_record_verify


class Command(BaseCommand):
    help = (
        "Verify every signed note and addendum: its stored form still hashes to its digest and still says "
        "what the rows say (in the form it was signed in). Exits 1 naming the first that fails."
    )

    def handle(self, *args, **options):
        counts = {}
        for label, model in (("notes", Note), ("addenda", Addendum)):
            rows = model.objects.filter(signed_at__isnull=False).select_related("author", "signed_by").order_by("signed_at", "pk")
            rows = rows.select_related("encounter__practitioner") if model is Note else rows.select_related("note")
            count = 0
            for record in rows.iterator(chunk_size=500):
                if not signed_record_verify(record):
                    kind, signed = ("note" if model is Note else "addendum"), f"{record.signed_at:%Y-%m-%d %H:%M}"
                    raise CommandError(f"Verification FAILED after {count} {label}: {kind} {record.pk} (signed {signed}) does not match.")
                count += 1
            counts[label] = count
        self.stdout.write(self.style.SUCCESS(f"Signed records intact: {counts['notes']} notes and {counts['addenda']} addenda verified."))

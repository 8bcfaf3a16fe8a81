from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from needlechart.charting.models import Addendum, Note
from needlechart.charting.services import signed_record_verify


class Command(BaseCommand):
    help = (
        "Verify every signed note and addendum: its stored form still hashes to its digest and still says "
        "what the rows say (in the form it was signed in). Exits 1 naming the first that fails."
    )

    def handle(self, *args, **options):
        notes = Note.objects.filter(signed_at__isnull=False).select_related("author", "signed_by", "encounter__practitioner")
        addenda = Addendum.objects.filter(signed_at__isnull=False).select_related("author", "signed_by", "note")
        counts = {"notes": self._verify("notes", "note", notes), "addenda": self._verify("addenda", "addendum", addenda)}
        self.stdout.write(self.style.SUCCESS(f"Signed records intact: {counts['notes']} notes and {counts['addenda']} addenda verified."))

    def _verify(self, label: str, kind: str, rows: QuerySet[Note] | QuerySet[Addendum]) -> int:
        count = 0
        for record in rows.order_by("signed_at", "pk").iterator(chunk_size=500):
            if not signed_record_verify(record):
                signed = f"{record.signed_at:%Y-%m-%d %H:%M}"
                raise CommandError(f"Verification FAILED after {count} {label}: {kind} {record.pk} (signed {signed}) does not match.")
            count += 1
        return count

from django.core.management.base import BaseCommand, CommandError

from needlechart.audit.verify import verify_audit_log


class Command(BaseCommand):
    help = "Verify every audit hash chain and report the first altered, missing or inserted row."

    def handle(self, *args, **options):
        result = verify_audit_log()
        if not result.ok:
            raise CommandError(f"Audit log verification FAILED after {result.events} events: {result.first_break}")
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {result.events} events in {result.chains} chains."))

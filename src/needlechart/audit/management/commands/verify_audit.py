from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from needlechart.audit.checkpoints import (
    CheckpointError,
    append_checkpoint,
    load_key,
    parse_public_key,
    verify_checkpoints,
)
from needlechart.audit.verify import verify_audit_log


class Command(BaseCommand):
    help = (
        "Verify every audit hash chain and report the first altered, missing or inserted row. With --checkpoints, "
        "also prove every checkpointed chain head and signed record against the checkpoint log, then append a new checkpoint "
        "when a signing key is at hand."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoints", type=Path, metavar="FILE", help="the checkpoint log (audit-checkpoint writes it)")
        parser.add_argument("--public-key", help="the checkpoints' public key (base64); by default the signing key's")
        parser.add_argument("--key", type=Path, metavar="FILE", help="the signing key (else NEEDLECHART_CHECKPOINT_KEY)")
        parser.add_argument("--no-new-checkpoint", action="store_true", help="verify only; append nothing")

    def handle(self, *args, **options):
        result = verify_audit_log()
        if not result.ok:
            raise CommandError(f"Audit log verification FAILED after {result.events} events: {result.first_break}")
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {result.events} events in {result.chains} chains."))
        if options["checkpoints"] is None:
            return
        try:
            key = None if options["public_key"] and options["no_new_checkpoint"] else load_key(options["key"])
            public = parse_public_key(options["public_key"]) if options["public_key"] else load_key(options["key"]).public_key()
            checked = verify_checkpoints(options["checkpoints"], public)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
        if not checked.ok:
            raise CommandError("Checkpoint verification FAILED:\n  " + "\n  ".join(checked.problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoints hold: {checked.entries} checkpoints, {checked.heads} chain heads and {checked.records} signed records proven."
            )
        )
        if key is not None and not options["no_new_checkpoint"]:
            entry = append_checkpoint(options["checkpoints"], key)
            self.stdout.write(
                f"New checkpoint at {entry['at']}: {len(entry['chains'])} chain heads, {len(entry['signed_records'])} signed records."
            )

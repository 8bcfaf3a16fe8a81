from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from needlechart.audit.checkpoints import CheckpointError, append_checkpoint, load_key, new_key_file, public_key_text


class Command(BaseCommand):
    help = (
        "Append a signed checkpoint of every audit chain's head and of the notes and addenda signed since the last one "
        "to the checkpoint log (keep the log and the key away from the database's machine). --new-key FILE makes a key first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--log", type=Path, required=True, metavar="FILE", help="the checkpoint log to append to")
        parser.add_argument("--key", type=Path, metavar="FILE", help="the signing key (else NEEDLECHART_CHECKPOINT_KEY)")
        parser.add_argument("--new-key", type=Path, metavar="FILE", help="make a new signing key in FILE (never overwrites) and use it")

    def handle(self, *args, **options):
        try:
            if options["new_key"] is not None:
                key = new_key_file(options["new_key"])
                self.stdout.write(f"New signing key in {options['new_key']}; its public key: {public_key_text(key)}")
            else:
                key = load_key(options["key"])
            entry = append_checkpoint(options["log"], key)
        except (CheckpointError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint at {entry['at']}: {len(entry['chains'])} chain heads, {len(entry['signed_records'])} signed records."
            )
        )

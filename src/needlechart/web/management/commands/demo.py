import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from needlechart.web.demo import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Migrate, build the demo clinic (once), print the demo logins and start the server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-serve", action="store_true", help="Only build the data.")

    def handle(self, *args, host, port, workers, no_serve, **options):
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if not 1 <= workers <= 64:
            raise CommandError("--workers must be between 1 and 64.")
        call_command("migrate", verbosity=0, interactive=False)
        # The demo's patients answer follow-ups as it is built, which e-mails their practitioners:
        # those messages are kept in memory, not printed over the address and the logins.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            logins = build_demo()
        address = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nneedlechart demo clinic is ready at {address}"))
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}\n")
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role:<13} {login.note}")
        self.stdout.write("")
        if no_serve:
            return
        sys.stdout.flush()
        os.execvp(  # noqa: S606 - replaces this process with the server
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "needlechart.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--logger-class",
                "needlechart.web.logging.AccessLogWithoutSecrets",
            ],
        )

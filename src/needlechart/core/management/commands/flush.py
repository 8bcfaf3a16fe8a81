"""``flush`` refuses on a clinical database; only the test suite may wipe one.

Django's own flush would be stopped half-way by the immutability triggers. Rather than a
confusing database error, production gets a clear refusal; the test runner (which wipes
its throw-away database between browser tests) sets ALLOW_FLUSH_OF_IMMUTABLE_RECORDS.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

from needlechart.core.db_triggers import immutability_lifted


class Command(flush.Command):
    def handle(self, **options):
        if not getattr(settings, "ALLOW_FLUSH_OF_IMMUTABLE_RECORDS", False):
            raise CommandError("needlechart will not flush this database: signed notes and the audit log are never deleted.")
        with immutability_lifted(connections[options["database"]]):
            return super().handle(**options)

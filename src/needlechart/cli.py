"""The ``needlechart`` command: Django's management commands under one name.

``needlechart demo``, ``needlechart verify-audit`` and every standard command
(``migrate``, ``createsuperuser``...) are available, and ``needlechart synthetic`` with the
benchmarks' app on (``NEEDLECHART_BENCH=1 PYTHONPATH=bench``); dashes and underscores are
interchangeable.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needlechart.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "needlechart"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()

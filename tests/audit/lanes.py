"""PostgreSQL: another connection holding a clinic's first audit lane, as a busy append would."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.db import connection, transaction

from needlechart.audit.models import AuditChainHead


@contextlib.contextmanager
def first_lane_held(chain_key: str) -> Iterator[None]:
    """While the block runs, another connection's transaction holds the head of ``chain_key``."""
    holding, released = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(chain_key=chain_key)
                holding.set()
                released.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        released.set()
        holder.join()

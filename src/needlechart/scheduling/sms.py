"""SMS through a pluggable backend, the way Django sends e-mail.

``settings.NEEDLECHART_SMS_BACKEND`` is the dotted path of a class with this interface::

    class MyBackend(BaseSmsBackend):
        def send(self, to: str, text: str) -> None:
            ...  # deliver one message to the phone number ``to``, or raise SmsError

``send`` returns once the provider has accepted the message and raises ``SmsError`` (with a
message fit for the outbox's "last error" column: no patient data) when it has not; any other
exception is treated the same way by the outbox. It must not retry by itself (the outbox
retries with backoff) and should give up within its own timeout, well inside the outbox's lease
(``NEEDLECHART_MESSAGE_LEASE_SECONDS``).

Shipped here: ``ConsoleSmsBackend`` (writes to standard output; the default in the demo and in
development) and ``LocmemSmsBackend`` (keeps messages in ``sms.outbox``, for tests). A real
provider is an adapter of the same shape, e.g. an HTTP POST to the provider's API with
``urllib.request`` and a timeout, raising ``SmsError`` on a non-2xx answer; nothing in this
module makes a network call.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "needlechart.scheduling.sms.ConsoleSmsBackend"


class SmsError(Exception):
    """The message was not accepted; ``str(error)`` says why (stored as the message's last error)."""


class BaseSmsBackend:
    def send(self, to: str, text: str) -> None:  # pragma: no cover - the interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, to: str, text: str) -> None:
        if not to:
            raise SmsError("no phone number")
        self.stream.write(f"SMS to {to}\n{text}\n{'-' * 40}\n")
        self.stream.flush()


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


outbox: list[Sms] = []  # what LocmemSmsBackend sent (tests empty it)


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, to: str, text: str) -> None:
        if not to:
            raise SmsError("no phone number")
        outbox.append(Sms(to, text))


def get_backend() -> BaseSmsBackend:
    backend_class = import_string(getattr(settings, "NEEDLECHART_SMS_BACKEND", "") or DEFAULT_BACKEND)
    backend = backend_class()
    if not isinstance(backend, BaseSmsBackend):
        raise TypeError(f"{backend_class!r} is not an SMS backend (needlechart.scheduling.sms.BaseSmsBackend)")
    return backend


def send_sms(to: str, text: str) -> None:
    get_backend().send(to, text)

"""The seal of an audit row: an HMAC-SHA256 of its content under a key outside the database.

The chain's SHA-256 links prove order and completeness only against someone who cannot
recompute them; anyone who can write to the database can. The seal is keyed: the key is
``NEEDLECHART_AUDIT_SEAL_KEY`` or, when that is not set, derived from Django's ``SECRET_KEY``
(both live in the server's environment, never in the database). A row forged or rewritten
through the database, even with every hash recomputed, fails its seal; a genuine row copied to
a new place repeats a seal already in its chain. Old keys stay usable for verification through
``SECRET_KEY_FALLBACKS`` (and ``NEEDLECHART_AUDIT_SEAL_KEY_FALLBACKS``).

The seal covers what the server decides before the database places the row: everything but the
lane, the sequence number and the previous hash (on PostgreSQL the database picks those in the
append statement). Its chain is the clinic's chain key, which every lane of the clinic starts with.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from needlechart.audit.digests import with_detail

_SALT = "needlechart.audit.seal"


def base_chain(chain_key: str) -> str:
    """The clinic's chain key of a lane key ("<clinic>/3" -> "<clinic>")."""
    return chain_key.split("/", 1)[0]


def _secrets() -> list[str]:
    """The current secret first, then the older ones that still verify."""
    if settings.AUDIT_SEAL_KEY:
        return [settings.AUDIT_SEAL_KEY, *settings.AUDIT_SEAL_KEY_FALLBACKS]
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


@lru_cache(maxsize=8)
def _hmac_key(secret: str) -> bytes:
    """Django's salted key derivation, done once per secret rather than once per row."""
    return salted_hmac(_SALT, "", secret=secret, algorithm="sha256").digest()


def _sealed_text(content: Mapping[str, Any], detail_json: str | None = None) -> bytes:
    unchained = {key: value for key, value in content.items() if key not in ("chain", "seq", "prev")}
    return with_detail(unchained | {"chain": base_chain(content["chain"])}, detail_json).encode("utf-8")


def current_key() -> bytes:
    """The HMAC key rows are sealed with now (the current secret's): for sealing many rows' text at once."""
    return _hmac_key(_secrets()[0])


def seal_of(content: Mapping[str, Any], detail_json: str | None = None) -> str:
    """The seal of a row's digest content (``digests._digest_content`` without its seal);
    ``detail_json``: its detail's canonical JSON, written already (``digests.with_detail``)."""
    return hmac.new(current_key(), _sealed_text(content, detail_json), "sha256").hexdigest()


def seal_holds(content: Mapping[str, Any], seal: str) -> bool:
    """Whether ``seal`` is the content's seal under the current key or one of its fallbacks."""
    text = _sealed_text(content)
    return any(hmac.compare_digest(hmac.new(_hmac_key(secret), text, "sha256").hexdigest(), seal) for secret in _secrets())

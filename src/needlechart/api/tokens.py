"""Personal access tokens: shown once, stored as a digest, found by a short public prefix.

A token reads ``nct_<prefix>_<secret>``: ``nct_`` lets secret scanners and people recognise it, the
prefix (12 hex digits) is stored as it is and finds the client's row with one indexed lookup,
and the secret is 32 random bytes. Only the SHA-256 of the whole token is stored and compared in
constant time. A salt or key would add nothing: a 256-bit random secret cannot be found from its
digest by trying candidates, and an unkeyed digest survives a change of ``SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

TOKEN_START = "nct_"  # noqa: S105 - the public start of every token, not a secret
_TOKEN = re.compile(r"nct_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class NewToken:
    """A token as it is shown once (``text``) and as it is stored (``prefix``, ``digest``)."""

    text: str
    prefix: str
    digest: str


def token_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_token() -> NewToken:
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    text = f"{TOKEN_START}{prefix}_{secret}"
    return NewToken(text=text, prefix=prefix, digest=token_digest(text))


def token_prefix(text: str) -> str | None:
    """The prefix of a well-formed token; None for anything else."""
    match = _TOKEN.fullmatch(text)
    return match.group(1) if match else None


def token_matches(text: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(text), digest)

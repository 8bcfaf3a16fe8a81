"""The CSRF field of forms drawn with format strings.

{% csrf_token %} masks the token anew for every form, with 32 random characters drawn one by
one from the operating system (32 system calls); a chart has four or five forms. Here the
mask is drawn from one read of the operating system's random source, once per response:
every form of one response may carry the same masked token (the mask only has to differ
between responses). The masking is Django's own (the token is the mask followed by the
secret shifted by it, in CSRF_ALLOWED_CHARS), so CsrfViewMiddleware checks it as usual.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django import template
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_INDEX = {char: i for i, char in enumerate(CSRF_ALLOWED_CHARS)}
_BASE = len(CSRF_ALLOWED_CHARS)  # 62
_UNBIASED = 256 - 256 % _BASE  # bytes below this, taken modulo 62, are uniform


def _mask_offsets() -> list[int]:
    """CSRF_SECRET_LENGTH uniform random offsets in 0..61."""
    offsets: list[int] = []
    while len(offsets) < CSRF_SECRET_LENGTH:
        offsets += [byte % _BASE for byte in secrets.token_bytes(CSRF_SECRET_LENGTH + 8) if byte < _UNBIASED]
    return offsets[:CSRF_SECRET_LENGTH]


def masked_token(secret: str) -> str:
    """``secret`` masked as django.middleware.csrf masks it, with a new random mask."""
    offsets = _mask_offsets()
    chars = CSRF_ALLOWED_CHARS
    mask = "".join(chars[offset] for offset in offsets)
    return mask + "".join(chars[(_INDEX[char] + offset) % _BASE] for char, offset in zip(secret, offsets, strict=True))


def _csrf_secret(request: HttpRequest) -> str:
    """The request's CSRF secret (CsrfViewMiddleware has checked the cookie's). Without a cookie,
    get_token() makes one and sets it. An existing cookie is not sent again with every page, as
    get_token() would: it lasts a year, and every sign-in replaces it."""
    if "CSRF_COOKIE" not in request.META:
        get_token(request)
    return request.META["CSRF_COOKIE"]


def csrf_input(source: HttpRequest | template.Context | Mapping[str, Any]) -> str:
    """The hidden input of the request's CSRF token, masked once per response (and again if the
    secret changed). ``source`` is the request or a template context holding it."""
    request = source if isinstance(source, HttpRequest) else source.get("request")
    if request is None:  # drawn outside a request (a document): no form can be sent from it
        return ""
    secret = _csrf_secret(request)
    cached = getattr(request, "_csrf_input", None)
    if cached is None or cached[0] != secret:
        html = f'<input type="hidden" name="csrfmiddlewaretoken" value="{masked_token(secret)}">'
        cached = (secret, html)
        setattr(request, "_csrf_input", cached)  # noqa: B010 - a private attribute of this module on the request
    return cached[1]

"""Canonical JSON and its SHA-256 digest, shared by note signing and the audit chain.

Canonical means: keys sorted, no insignificant white space, UTF-8, and only JSON types
(dates and UUIDs are written as ISO strings and canonical UUID text before they get here).
The same content therefore always gives the same bytes and the same digest.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

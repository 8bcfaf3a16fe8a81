"""The checks every content loader makes, each failing with a ``ContentError`` for file and entry.

``file`` and ``entry`` name where the value came from; ``what`` names the value in the
message (``"name"``, ``"sources.referral"``, ``"item 'q1' text"``...).
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from needlechart.content.errors import ContentError
from needlechart.content.records import Source, Text

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
ID_DESCRIBED = "lower-case letters, digits, '-' or '_'"
_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60


# Numbers a content file may hold: far beyond any score, count, depth or year, far below what
# a float cannot hold.
LARGEST_NUMBER = 1e12


def shown(value: Any) -> str:
    """A value as it may appear in a message: its repr, cut short."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_NUMBER:
        return "a number of more than 12 digits"
    return _SHOW.repr(value)


def bilingual(file: str, entry: str, value: Any, what: str) -> Text:
    """A ``{en: ..., nb: ...}`` mapping as a ``Text``; both texts must be there and not blank."""
    if not isinstance(value, Mapping) or not all(isinstance(value.get(k), str) and value[k].strip() for k in ("en", "nb")):
        raise ContentError(file, entry, f"{what} needs non-empty 'en' and 'nb' texts")
    return Text(value["en"].strip(), value["nb"].strip())


def check_keys(file: str, entry: str, raw: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    """Refuse keys outside ``allowed`` (a misspelt key would otherwise be ignored without a word)."""
    allowed = set(allowed)
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise ContentError(file, entry, f"{what} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def require_number(file: str, entry: str, value: Any, what: str) -> float:
    """A finite int or float of at most ``LARGEST_NUMBER`` either way (not a bool, not a text of
    digits) as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise ContentError(file, entry, f"{what} must be a number (got {shown(value)})")
    if abs(value) > LARGEST_NUMBER:
        raise ContentError(file, entry, f"{what} is out of range (at most {LARGEST_NUMBER:.0e} either way)")
    return float(value)


def require_mapping(file: str, entry: str, value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ContentError(file, entry, f"{what} must be a mapping of keys and values (got {shown(value)})")
    return value


def one_of(file: str, entry: str, value: Any, what: str, allowed: Collection[str]) -> Any:
    if value not in allowed:
        raise ContentError(file, entry, f"{what} must be one of {', '.join(allowed)} (got {shown(value)})")
    return value


def unique_id(
    file: str,
    raw: Any,
    seen: Collection[str],
    *,
    key: str = "id",
    pattern: re.Pattern[str] = ID_PATTERN,
    described: str = ID_DESCRIBED,
) -> str:
    """The entry's ``key`` (``id`` unless told), well formed and not among the ids ``seen`` so far."""
    entry_id = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(entry_id, str) or not pattern.fullmatch(entry_id):
        article = "an" if key[:1] in ("a", "e", "i", "o", "u") else "a"
        raise ContentError(file, str(entry_id), f"needs {article} '{key}' of {described}")
    if entry_id in seen:
        raise ContentError(file, entry_id, "duplicate id")
    return entry_id


def require_source(
    file: str,
    entry: str,
    value: Any,
    sources: Mapping[str, Source],
    what: str = "source",
    *,
    registry: str = "a sources file",
) -> str:
    """A source id that is given and known; ``registry`` says in the message where it should be."""
    if not value:
        raise ContentError(file, entry, f"{what} is missing: every fact needs a source")
    if not isinstance(value, str) or value not in sources:
        raise ContentError(file, entry, f"{what} '{value}' is not in {registry}")
    return value

"""The one error a content file fails with, naming the file and the entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ContentError(ValueError):
    """A content file that cannot be used: ``"<file>: entry '<entry>': <message>"``.

    ``entry`` is the id of the entry at fault, ``"-"`` for the file as a whole and ``"?"`` when
    the entry has no usable id.
    """

    def __init__(self, file: str, entry: str, message: str) -> None:
        super().__init__(f"{file}: entry '{entry}': {message}")
        self.file, self.entry, self.message = file, entry, message


@contextmanager
def wrong_types_named(file: str, raw: Any) -> Iterator[None]:
    """Turn a field of the wrong type (a list where a mapping belongs...) into a named error.

    Loaders index into the parsed YAML freely inside this block; a ``KeyError``, ``IndexError`` or
    ``TypeError`` on the way becomes a ``ContentError`` for the entry ``raw`` (by its id).
    """
    try:
        yield
    except ContentError:
        raise
    except (AttributeError, TypeError, LookupError, ValueError) as exc:
        entry = raw.get("id", "?") if isinstance(raw, dict) else "?"
        raise ContentError(file, str(entry), f"has a field of the wrong type or shape ({exc})") from exc

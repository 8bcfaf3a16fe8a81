"""Text folding shared by every name search (patients, muscles)."""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"})


def search_key(text: str) -> str:
    """Lower-case ASCII letters and digits only, so prefix search is a plain index range.

    Accents are folded ('Sørensen' -> 'sorensen') and separators dropped, which also keeps
    the ordering identical under every database collation.
    """
    # Lower-cased again after folding: compatibility letters such as U+210C (black-letter H) have
    # no lower case of their own and fold to an upper-case ASCII letter.
    text = unicodedata.normalize("NFKD", text.lower().translate(_FOLD)).lower()
    return "".join(c for c in text if c.isascii() and c.isalnum())

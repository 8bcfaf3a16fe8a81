"""A clinic's own text for a public page: plain paragraphs, and lists of lines that start with "- ".

That is the whole of the format: no markup, no links, nothing a browser would run. The text is
kept as typed and split into blocks here; the page's template escapes every word it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 6000
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ITEM = re.compile(r"^[-*•][ \t]+")


@dataclass(frozen=True)
class PlainBlock:
    kind: str  # paragraph | list
    lines: tuple[str, ...]  # a paragraph's lines (shown with line breaks), or a list's items


def plain_blocks(text: str) -> tuple[PlainBlock, ...]:
    """The paragraphs of ``text`` (parts between blank lines); a part whose every line starts with
    "- " (or "* ", "• ") is a list of those lines."""
    blocks = []
    for part in _BLANK_LINE.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = tuple(line.strip() for line in part.split("\n") if line.strip())
        if not lines:
            continue
        if all(_ITEM.match(line) for line in lines):
            blocks.append(PlainBlock("list", tuple(_ITEM.sub("", line) for line in lines)))
        else:
            blocks.append(PlainBlock("paragraph", lines))
    return tuple(blocks)

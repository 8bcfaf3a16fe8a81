"""Count the lines of Python under a source tree whose string literals hold HTML or SVG markup.

    .venv/bin/python bench/html_in_python.py [SRC]      # default: src/needlechart

A line counts when a string literal on it (f-strings included) holds a tag such as ``<a``,
``</td>`` or ``<svg``. Docstrings and comments do not count. Prints the count per file and the
total; the issue's target is that only the SVG figure builders remain.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s|>|/>|$|\{)")
STRING_TOKENS = {tokenize.STRING} | {getattr(tokenize, name) for name in ("FSTRING_MIDDLE", "FSTRING_START") if hasattr(tokenize, name)}


def markup_lines(path: Path) -> set[int]:
    lines: set[int] = set()
    source = path.read_text(encoding="utf-8")
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        starts_statement = previous is None or previous.type in (tokenize.INDENT, tokenize.NEWLINE, tokenize.DEDENT)
        is_docstring = token.type == tokenize.STRING and starts_statement
        if token.type in STRING_TOKENS and not is_docstring:
            for offset, text in enumerate(token.string.splitlines() or [""]):
                if TAG.search(text):
                    lines.add(token.start[0] + offset)
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token
    return lines


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "src/needlechart")
    total = 0
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        count = len(markup_lines(path))
        if count:
            print(f"{count:5d}  {path}")
            total += count
    print(f"{total:5d}  lines of Python with markup in string literals")


if __name__ == "__main__":
    main()

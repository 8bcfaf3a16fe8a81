"""``makemessages`` that also reads the Jinja2 templates (``*/jinja2/**.html``).

Django's own command reads templates in its template language only. Here a Jinja2 template is
read by Jinja2's own extractor (``gettext``/``_``, ``ngettext``, ``pgettext`` calls and
``{% trans %}`` blocks) and handed to xgettext as Python calls on the same lines, so the
catalogue's references still point at the template's lines.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict

from django.core.management.commands import makemessages
from jinja2.ext import babel_extract

_KEYWORDS = ("_", "gettext", "ngettext", "pgettext", "npgettext")


def _as_python(message: str | tuple[str | None, ...] | None, function: str) -> str:
    """A gettext call as Python source; ``None`` stands for an argument that is not a string literal."""
    parts = message if isinstance(message, tuple) else (message,)
    words = ", ".join(repr(part) for part in parts if part is not None)
    if function == "_":
        function = "gettext"
    if function.startswith(("n", "np")):  # the count, which xgettext ignores
        words += ", 0"
    return f"{function}({words})"


def jinja2_as_python(source: str) -> str:
    """The template's translatable strings as Python gettext calls, each on its template line."""
    calls: dict[int, list[str]] = defaultdict(list)
    with io.BytesIO(source.encode("utf-8")) as handle:
        for line, function, message, _comments in babel_extract(handle, _KEYWORDS, [], {}):
            calls[line].append(_as_python(message, function))
    lines = source.count("\n") + 1
    return "\n".join("; ".join(calls.get(number, [])) for number in range(1, lines + 1)) + "\n"


class Jinja2AwareBuildFile(makemessages.BuildFile):
    def preprocess(self) -> None:
        if not (self.is_templatized and f"{os.sep}jinja2{os.sep}" in self.path):
            super().preprocess()
            return
        with open(self.path, encoding="utf-8") as source:
            content = jinja2_as_python(source.read())
        with open(self.work_path, "w", encoding="utf-8") as work:
            work.write(content)


class Command(makemessages.Command):
    build_file_class = Jinja2AwareBuildFile

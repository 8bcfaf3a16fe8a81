"""What the knowledge catalogue gives every page's templates (registered by web.templating).

FILTERS: ``localised`` (a bilingual catalogue text in the active language, as text).
GLOBALS: ``bodymap(views, interactive=False)``, the body map figure of knowledge.bodymap.draw()'s
views (SVG built by knowledge.bodymap with markupsafe, escaped by construction).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from needlechart.knowledge.bodymap import figures


def localised(text: Any) -> str:
    """A bilingual catalogue text (content.records.Text) in the active language: plain text, escaped where it is shown."""
    return text.get(get_language() or "en")


GLOBALS = {"bodymap": figures}
FILTERS = {"localised": localised}

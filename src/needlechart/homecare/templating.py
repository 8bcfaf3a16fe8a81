"""What the home-care library gives every page's templates (registered by web.templating).

GLOBALS: ``homecare_drawing(name)``, a line drawing of the library inline, so that it shows on a
page and in the aftercare PDF (which fetches nothing) alike. The SVG is the app's own static file,
checked when the library loads (``catalog.check_drawing``: line-art elements and attributes only,
no script, link, style, text or declarations), so it is marked safe as it is; an unknown name
draws nothing.
"""

from __future__ import annotations

from markupsafe import Markup

from needlechart.homecare.catalog import library


def homecare_drawing(name: str | None) -> Markup:
    text = library().drawings.get(name or "")
    return Markup(text) if text else Markup("")  # noqa: S704 - a shipped drawing, checked as the library loaded


GLOBALS = {"homecare_drawing": homecare_drawing}

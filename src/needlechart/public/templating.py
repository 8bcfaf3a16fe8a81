"""What the public pages' templates draw with (registered by web.templating: FILTERS).

``ld_json``: a value as JSON for a ``<script type="application/ld+json">`` block. The characters
that could end the block or open markup in it (``<``, ``>``, ``&``) are written as JSON escapes,
so a clinic's or a practitioner's name can never close the script element.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def ld_json(value: Any) -> Markup:
    return Markup(json.dumps(value, ensure_ascii=False, sort_keys=True).translate(_ESCAPES))  # noqa: S704 - escaped above


FILTERS = {"ld_json": ld_json}

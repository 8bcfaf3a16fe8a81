"""The knowledge helpers for the Django templates not yet converted to Jinja2 (issue 12).

Only a bridge: the helpers are knowledge.templating's (``localised``) and knowledge.bodymap's
(``bodymap``, its ``figures``), which the Jinja2 templates get as a filter and a global. Delete
this module once no template loads it and nothing imports it.
"""

from __future__ import annotations

from django import template

from needlechart.knowledge.bodymap import figures as bodymap
from needlechart.knowledge.templating import localised

register = template.Library()
register.filter("localised", localised)
register.simple_tag(bodymap, name="bodymap")

__all__ = ["bodymap", "localised", "register"]

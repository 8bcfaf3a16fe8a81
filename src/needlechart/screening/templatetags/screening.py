import json

from django import template

register = template.Library()


@register.filter
def as_json(value) -> str:
    return json.dumps(value, separators=(",", ":"))

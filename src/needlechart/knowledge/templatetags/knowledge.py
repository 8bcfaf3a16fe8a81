from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localised(text) -> str:
    """A bilingual catalogue text in the active language."""
    return text.get(get_language() or "en")

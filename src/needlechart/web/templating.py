"""The Jinja2 environment every page is drawn in (Django's Jinja2 backend, autoescaped).

Templates live in each app's ``jinja2/<app>/`` folder and in ``web/jinja2/`` (the layout,
sign-in and error pages). The environment gives them Django's own pieces:

- gettext, ngettext and pgettext through Jinja2's i18n extension, new style, so
  ``_("Hello %(name)s", name=x)`` escapes ``x`` and translations keep their markup; a text
  without variables is translated once per language and remembered (``page_gettext``);
- ``url()`` (``reverse()``, remembered: core.formatting) and ``static()``;
- ``choice_label(obj, "field")``: ``obj.get_field_display()``, the labels translated once per language;
- ``csrf_input``, from Django's backend (once per response: ``web.context.page``);
- filters for localised dates (Django's, remembered: core.formatting), times and numbers, in local
  time; ``url()``, ``_()`` and the ``date`` filter read the page's language, time zone and URL
  prefix once per page (``core.formatting.PageLocale``, put in the context by ``web.context``);
- the helpers each app offers its templates: an app's ``templating.py`` may define ``GLOBALS``
  and ``FILTERS`` (plain functions, and the SVG builders that escape by construction), found
  as Django finds template tag libraries, so no app imports the web shell.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.template.defaultfilters import floatformat, linebreaksbr
from django.templatetags.static import static
from django.utils import formats
from django.utils.translation import gettext, ngettext, npgettext, override, pgettext
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from needlechart.core.formatting import choice_label, local, page_date, page_locale, page_url
from needlechart.web.layout import HTMX_CONFIG, main_menu

# The staff languages, each named in its own language (the switch in the top bar)
LANGUAGE_NAMES = {"nb": "Norsk", "en": "English"}


@functools.lru_cache(maxsize=256)
def static_url(path: str) -> str:
    return static(path)


def time(value: Any, format_name: str = "TIME_FORMAT") -> str:
    if value in (None, ""):
        return ""
    return formats.time_format(local(value), format_name)


def number(value: Any, decimals: int | None = None) -> str:
    """A number as the active language writes it (decimal comma in Norwegian)."""
    if value is None:
        return ""
    return formats.number_format(value, decimals)


@pass_context
def language_code(context: Context) -> str:
    return page_locale(context).language


@functools.lru_cache(maxsize=8192)
def _translated(language: str, message: str) -> Markup:
    with override(language):
        return Markup(gettext(message)) % {}  # noqa: S704 - our own catalogue's text, trusted as Jinja2's new-style gettext trusts it


@pass_context
def page_gettext(context: Context, message: str, **variables: Any) -> str:
    """Jinja2's new-style gettext (the text is a format string, its variables escaped), with the
    translation of a text without variables remembered per language."""
    if variables or not context.eval_ctx.autoescape:
        translated = gettext(message)
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables  # noqa: S704 - as above
    return _translated(page_locale(context).language, message)


def environment(**options: Any) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 - Django's backend passes autoescape=True
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext, newstyle=True
    )
    env.globals.update(
        gettext=page_gettext,
        _=page_gettext,
        url=page_url,
        static=static_url,
        choice_label=choice_label,
        language_code=language_code,
        LANGUAGES=settings.LANGUAGES,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        HTMX_CONFIG=HTMX_CONFIG,
        main_menu=main_menu,
    )
    env.filters.update(
        date=page_date,
        time=time,
        number=number,
        floatformat=floatformat,
        linebreaksbr=functools.partial(linebreaksbr, autoescape=True),  # escapes, then marks safe
    )
    for name in _helper_modules():
        helpers = importlib.import_module(name)
        env.globals.update(getattr(helpers, "GLOBALS", {}))
        env.filters.update(getattr(helpers, "FILTERS", {}))
    return env


def _helper_modules() -> list[str]:
    """Each installed app's ``templating`` module, as Django finds each app's template tags."""
    names = [f"{config.name}.templating" for config in apps.get_app_configs() if config.name.startswith("needlechart.")]
    return [name for name in names if name != __name__ and importlib.util.find_spec(name) is not None]

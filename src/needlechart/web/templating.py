"""The Jinja2 environment every page is drawn in (Django's Jinja2 backend, autoescaped).

Templates live in each app's ``jinja2/<app>/`` folder and in ``web/jinja2/`` (the layout,
sign-in and error pages). The environment gives them Django's own pieces:

- gettext, ngettext and pgettext through Jinja2's i18n extension, new style, so
  ``_("Hello %(name)s", name=x)`` escapes ``x`` and translations keep their markup;
- ``url()`` (``reverse()``, remembered: core.formatting) and ``static()``;
- ``csrf_input``, from Django's backend (once per response: ``web.context.page``);
- filters for localised dates (Django's, remembered: core.formatting), times and numbers, in local time;
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
from django.utils.translation import get_language, gettext, ngettext, npgettext, pgettext
from jinja2 import Environment

from needlechart.core.formatting import date, local, url
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


def language_code() -> str:
    return get_language() or settings.LANGUAGE_CODE


def environment(**options: Any) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 - Django's backend passes autoescape=True
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext, newstyle=True
    )
    env.globals.update(
        url=url,
        static=static_url,
        language_code=language_code,
        LANGUAGES=settings.LANGUAGES,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        HTMX_CONFIG=HTMX_CONFIG,
        main_menu=main_menu,
    )
    env.filters.update(
        date=date,
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

"""Reading a request's JSON body: its media type first (415), then strict JSON (400)."""

from __future__ import annotations

import json
from typing import Any, NoReturn, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.parser import Parser
from ninja.types import DictStrAny

from needlechart.api.problems import MALFORMED, UNSUPPORTED_MEDIA_TYPE, ProblemError


def is_json_media_type(content_type: str) -> bool:
    """application/json, or a JSON-based type such as application/merge-patch+json."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _no_constant(name: str) -> NoReturn:
    raise ValueError(_("%(name)s is not a JSON number.") % {"name": name})


class JsonBodyParser(Parser):
    """ninja's parser, refusing a body that is not JSON (by its Content-Type) and JSON that is not
    strict (NaN, Infinity). Ninja turns a parser's exception into a 400; the API's handler finds
    the ProblemError behind it (``__cause__``) and answers with that."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        if not is_json_media_type(request.content_type or ""):
            raise ProblemError(
                UNSUPPORTED_MEDIA_TYPE,
                _("Send the body as JSON, with the header Content-Type: application/json."),
            )
        try:
            text = request.body.decode("utf-8")
            data: Any = json.loads(text, parse_constant=_no_constant)
        except UnicodeDecodeError as error:
            raise ProblemError(MALFORMED, _("The body is not UTF-8 text.")) from error
        except json.JSONDecodeError as error:
            detail = _("The body is not valid JSON: %(error)s at line %(line)s, column %(column)s.")
            raise ProblemError(MALFORMED, detail % {"error": error.msg, "line": error.lineno, "column": error.colno}) from error
        except ValueError as error:
            raise ProblemError(MALFORMED, _("The body is not valid JSON: %(error)s") % {"error": error}) from error
        return cast(DictStrAny, data)

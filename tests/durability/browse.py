"""A minimal browser for the durability check: cookies, CSRF-carrying forms, one connection per request.

gunicorn's sync worker closes the connection after each answer, so every request opens its own.
Nothing is ever sent twice: a request that fails (the server was killed under it) is given up,
because it may or may not have been written.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

Fields = list[tuple[str, str]]


@dataclass
class Answer:
    path: str  # what was asked for
    status: int
    location: str  # the path a redirect points to
    body: str


class Unanswered(Exception):
    """The request got no answer: refused, reset or timed out (the server was down or killed)."""


class InFlight:
    """How many requests have been sent and not yet answered, across all browsers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> None:
        with self._lock:
            self.count += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.count -= 1


class Browser:
    def __init__(self, port: int, in_flight: InFlight, timeout: float = 30) -> None:
        self.port, self.in_flight, self.timeout = port, in_flight, timeout
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> Answer:
        return self._send("GET", path, None)

    def post(self, path: str, fields: Fields) -> Answer:
        return self._send("POST", path, urlencode(fields))

    def _send(self, method: str, path: str, body: str | None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}{path}"}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            with self.in_flight:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise Unanswered(f"{method} {path}: {type(error).__name__}") from error
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        location = urlsplit(response.headers.get("Location", "")).path
        return Answer(path, response.status, location, data.decode("utf-8", "replace"))

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/")
        answer = self.post("/accounts/login/", form_on(page, "/accounts/login/").with_values({"username": username, "password": password}))
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"Signing in as {username} failed: HTTP {answer.status}")


@dataclass
class Form:
    action: str
    fields: Fields = field(default_factory=list)  # what the browser sends unchanged: hidden inputs, defaults, checked boxes
    choices: dict[str, list[str]] = field(default_factory=dict)  # radio groups and checkboxes: every value offered
    numbers: dict[str, tuple[str, str]] = field(default_factory=dict)  # number inputs: (min, max)

    def with_values(self, values: dict[str, str]) -> Fields:
        """The fields, with ``values`` replacing (or adding) single values."""
        return [(k, v) for k, v in self.fields if k not in values] + list(values.items())


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, values, selected
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(urlsplit(a.get("action", "")).path)
            self.forms.append(self._form)
        elif self._form is None or (tag in ("input", "select", "textarea") and not a.get("name")):
            return
        elif tag == "input":
            self._input(self._form, a)
        elif tag == "select":
            self._select = (a["name"], [], [])
        elif tag == "option" and self._select is not None:
            self._select[1].append(a.get("value", ""))
            if "selected" in a:
                self._select[2].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    @staticmethod
    def _input(form: Form, a: dict[str, str]) -> None:
        kind, name, value = a.get("type", "text"), a["name"], a.get("value", "")
        if kind in ("submit", "button", "image", "reset", "file"):
            return
        if kind in ("radio", "checkbox"):
            form.choices.setdefault(name, []).append(value or "on")
            if "checked" in a:
                form.fields.append((name, value or "on"))
            return
        if kind == "number":
            form.numbers[name] = (a.get("min", ""), a.get("max", ""))
        form.fields.append((name, value))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, values, selected = self._select
            self._form.fields += [(name, v) for v in selected or values[:1]]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea[0], "".join(self._textarea[1]).removeprefix("\n")))
            self._textarea = None


def forms_on(answer: Answer) -> list[Form]:
    reader = _FormReader()
    reader.feed(answer.body)
    reader.close()
    return reader.forms


def form_on(answer: Answer, action: str) -> Form:
    """The page's form posting to ``action`` (a form naming no action posts to the page's own address)."""
    for form in forms_on(answer):
        if (form.action or answer.path.split("?")[0]) == action:
            return form
    raise LookupError(f"no form posting to {action} on the page (HTTP {answer.status})")

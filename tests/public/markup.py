"""Reading a public page as a browser and a screen reader would: its headings, landmarks, links and resources."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

_LANDMARKS = {"header": "banner", "nav": "navigation", "main": "main", "footer": "contentinfo"}


@dataclass
class Page(HTMLParser):
    html_lang: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)
    landmarks: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)  # <a>
    heads: list[dict[str, str]] = field(default_factory=list)  # <link> and <meta>
    resources: list[str] = field(default_factory=list)  # what the browser fetches: src= and stylesheets
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)
    title: str = ""
    _heading: int | None = None
    _text: str = ""
    _script: dict[str, str] | None = None
    _in_title: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang", "")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading, self._text = int(tag[1]), ""
        elif tag in _LANDMARKS:
            self.landmarks.append(_LANDMARKS[tag])
        elif tag == "a":
            self.links.append(a)
        elif tag in ("link", "meta"):
            self.heads.append({"tag": tag, **a})
            if tag == "link" and a.get("rel") == "stylesheet":
                self.resources.append(a["href"])
        elif tag == "script":
            self._script, self._text = a, ""
            if "src" in a:
                self.resources.append(a["src"])
        elif tag == "title":
            self._in_title = True
        if tag in ("img", "iframe", "source", "video", "audio", "embed") and "src" in a:
            self.resources.append(a["src"])

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, self._text.strip()))
            self._heading = None
        elif tag == "script" and self._script is not None:
            self.scripts.append((self._script, self._text))
            self._script = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._heading is not None or self._script is not None:
            self._text += data
        if self._in_title:
            self.title += data

    def meta(self, name: str) -> str | None:
        return next((h.get("content") for h in self.heads if h.get("name") == name or h.get("property") == name), None)

    def link(self, rel: str) -> list[dict[str, str]]:
        return [h for h in self.heads if h["tag"] == "link" and h.get("rel") == rel]

    def structured_data(self) -> list[dict]:
        return [json.loads(text) for attrs, text in self.scripts if attrs.get("type") == "application/ld+json"]


def read(response) -> Page:
    page = Page()
    page.feed(response.content.decode())
    page.close()
    return page

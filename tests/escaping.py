"""What the escaping tests share: the payloads and what "shown as text" means on a page."""

from __future__ import annotations

# (payload, how it must appear on the page)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]


def assert_shown_as_text(body: str, payload: str, escaped: str, *, at_least: int) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert 'href="javascript:' not in body and 'src="javascript:' not in body
    assert body.count(escaped) >= at_least, (escaped, body.count(escaped))
    if payload == "{{7*7}}":
        assert ">49<" not in body and " 49 " not in body  # shown as typed, not evaluated

"""The screening pages' tests: Jinja2 pages tell the test client their context, as Django's templates do."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _jinja2_context_for_the_test_client(monkeypatch):
    """Django's test client reads ``response.context`` from the template_rendered signal, which only
    Django's own template engine sends; send it for the Jinja2 pages as well."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    render = Template.render

    def render_and_tell(self, context=None, request=None):
        template_rendered.send(sender=self, template=self, context={} if context is None else context)
        return render(self, context, request)

    monkeypatch.setattr(Template, "render", render_and_tell)

"""The signed session note's PDF as a DocumentReference content (for one note, not for bulk export).

Rendering a PDF takes WeasyPrint a good part of a second, so a bulk export describes each note by
its canonical JSON and digest only; a patient's copy or a single read renders the PDF here, in the
patient's language, and adds it with its own SHA-256.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import translation

from needlechart.charting.models import Note
from needlechart.documents.context import session_note_context
from needlechart.documents.pdf import render_pdf
from needlechart.interop.resources.document import pdf_content


def signed_note_pdf(note: Note) -> tuple[bytes, dict[str, Any]]:
    """The note's PDF as the session-note page renders it, and its content entry (url, size, hash)."""
    encounter = note.encounter
    language = encounter.patient.preferred_language
    with translation.override(language):
        pdf = render_pdf("documents/session_note.html", session_note_context(encounter, note))
    url = reverse("session_note_pdf", args=[encounter.pk])
    return pdf, pdf_content(pdf, url=url, title=f"Session note {encounter.starts_at:%Y-%m-%d}", language=language)

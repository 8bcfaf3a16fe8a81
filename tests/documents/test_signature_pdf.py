"""The patient's drawn signature is drawn as pen strokes in the session-note PDF (issue 13).

WeasyPrint applies no CSS inside an SVG, so a path without its own ``fill="none"`` was filled
black: the signature came out as solid shapes. The test reads the PDF's drawing operators for the
signature's path and requires it to be stroked (``S``), never filled, with a visible round pen.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader
from pypdf.generic import ContentStream

from needlechart.charting import services as charting
from needlechart.needling import services as needling

# A signature as the pad sends it; its first point (113, 17) is found again among the PDF's operators.
SIGNATURE = "M 113 17 L 123 97 L 211 29 L 260 110 M 280 40 L 330 60 L 350 20"
PAINTING = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n"}  # the operators that end a path (PDF 32000-1, 8.5.3)
FILLING = PAINTING - {"S", "s", "n"}


@pytest.fixture
def written_consent(practitioner, ready_session):
    needling.consent_record(
        actor=practitioner,
        encounter=ready_session,
        method="written",
        signature_svg_path=SIGNATURE,
        risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
    )
    note = charting.note_save_draft(actor=practitioner, encounter=ready_session, subjective="Neck pain 6/10")
    charting.note_sign(actor=practitioner, note=note)
    return ready_session


def _streams(reader: PdfReader):
    """Every content stream of the PDF: the pages' and their form XObjects' (nested ones too)."""
    for page in reader.pages:
        contents = page.get_contents()
        yield contents if isinstance(contents, ContentStream) else ContentStream(contents, reader)
        pending = [page.get("/Resources")]
        while pending:
            resources = pending.pop()
            resources = resources.get_object() if resources is not None else None
            if not resources or "/XObject" not in resources:
                continue
            for xobject in resources["/XObject"].get_object().values():
                xobject = xobject.get_object()
                if xobject.get("/Subtype") == "/Form":
                    yield ContentStream(xobject, reader)
                    pending.append(xobject.get("/Resources"))


def _signature_drawing(pdf: bytes) -> tuple[str, dict[str, list]]:
    """How the signature's path is painted, and the graphics state set before it (w, J, j, RG)."""
    for stream in _streams(PdfReader(io.BytesIO(pdf))):
        operations = [(operator.decode(), operands) for operands, operator in stream.operations]
        for index, (operator, operands) in enumerate(operations):
            if operator == "m" and [float(v) for v in operands] == [113, 17]:
                painted = next(op for op, _ in operations[index:] if op in PAINTING)
                state: dict[str, list] = {}
                for op, values in operations[:index]:
                    if op in ("w", "J", "j", "RG"):
                        state[op] = [float(v) for v in values]
                return painted, state
    raise AssertionError("the signature's path is not in the PDF")


def test_the_signature_is_stroked_not_filled(client_for, practitioner, written_consent):
    response = client_for(practitioner).get(reverse("session_note_pdf", args=[written_consent.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    painted, state = _signature_drawing(response.content)
    assert painted == "S", f"the signature is painted with {painted!r}" + (" (filled)" if painted in FILLING else "")
    assert state["w"][0] > 0 and state["J"] == [1] and state["j"] == [1]  # a pen: a visible width, round caps and joins
    assert state["RG"] == pytest.approx([0x1D / 255, 0x24 / 255, 0x30 / 255], abs=0.01)  # in the ink colour


def test_the_check_catches_a_filled_signature():
    """The same reading of a PDF whose signature path has no fill="none" finds it filled."""
    from weasyprint import HTML

    html = f'<svg viewBox="0 0 400 150" style="width:50mm;height:19mm"><path d="{SIGNATURE}"/></svg>'
    painted, _state = _signature_drawing(HTML(string=html).write_pdf())
    assert painted in FILLING

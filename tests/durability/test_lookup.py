"""The durability check's lookup (tests/durability/database.py) finds every write the server
acknowledged and names each one that is missing or stored otherwise: a lookup that could not
fail would let scripts/durability pass with writes lost."""

from __future__ import annotations

import uuid

from needlechart.outcomes import services as outcomes
from tests.durability.database import problems
from tests.outcomes.conftest import answers, link_for


def acknowledged(kind: str, id_, **detail) -> dict:
    return {"kind": kind, "id": str(id_), "status": 302, "at": 1.5, "by": "practitioner-1", "detail": detail}


def written(session, practitioner, signed_note) -> list[dict]:
    """A visit, its signed note, a follow-up link and its answer, as the clients acknowledge them."""
    link, path = link_for(session, actor=practitioner)
    secret = path.rstrip("/").rsplit("/", 1)[1]
    outcomes.follow_up_submit(link_id=link.pk, secret=secret, raw=answers(comment="Less sore"), language="en")
    return [
        acknowledged("visit", session.pk, reason=session.reason, practitioner=practitioner.username),
        acknowledged("note", session.pk, subjective=signed_note.subjective, practitioner=practitioner.username),
        acknowledged("link", link.pk, encounter=str(session.pk)),
        acknowledged("answer", link.pk, comment="Less sore", soreness="3"),
    ]


def test_every_stored_write_is_found(session, practitioner, signed_note):
    assert problems(written(session, practitioner, signed_note)) == []


def test_a_missing_write_of_each_kind_is_named(db):
    gone = uuid.uuid4()
    writes = [
        acknowledged("visit", gone, reason="", practitioner="ingrid"),
        acknowledged("note", gone, subjective="Seen", practitioner="ingrid"),
        acknowledged("link", gone, encounter=str(gone)),
        acknowledged("answer", gone, comment="", soreness="3"),
    ]
    assert problems(writes) == [
        f"visit {gone} (acknowledged with HTTP 302 at 1.50 s to practitioner-1): the visit is missing",
        f"note {gone} (acknowledged with HTTP 302 at 1.50 s to practitioner-1): the note is missing",
        f"link {gone} (acknowledged with HTTP 302 at 1.50 s to practitioner-1): the follow-up link is missing",
        f"answer {gone} (acknowledged with HTTP 302 at 1.50 s to practitioner-1): the follow-up answer is missing",
    ]


def test_a_write_stored_otherwise_than_acknowledged_is_named(session, practitioner, signed_note, second_practitioner):
    visit, note, link, answer = written(session, practitioner, signed_note)
    visit["detail"]["practitioner"] = second_practitioner.username
    note["detail"]["subjective"] = "Another text"
    link["detail"]["encounter"] = str(uuid.uuid4())
    answer["detail"]["soreness"] = "9"
    found = problems([visit, note, link, answer])
    assert [problem.split(": ", 1)[1] for problem in found] == [
        "the visit is not the one booked",
        "the note is not the one signed",
        "the link is for another visit",
        "the follow-up answer is not the one sent",
    ]


def test_a_note_acknowledged_as_signed_but_stored_as_a_draft_is_named(draft_note, practitioner):
    writes = [acknowledged("note", draft_note.encounter_id, subjective=draft_note.subjective, practitioner=practitioner.username)]
    assert problems(writes) == [
        f"note {draft_note.encounter_id} (acknowledged with HTTP 302 at 1.50 s to practitioner-1): the note is not signed"
    ]

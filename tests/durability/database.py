"""The durability check's database side, run in a child process with Django set up:

    python tests/durability/database.py prepare OUT.json   # the demo clinic, and what the clients work on
    python tests/durability/database.py check ACKED.json   # every acknowledged write, looked up

``prepare`` builds the demo clinic (``needlechart demo --no-serve``: migrations and the data), takes
the e-mail address off the patients of a few episodes (so that a practitioner creating their
follow-up link is shown it, to hand over), and makes one follow-up link for every signed visit of
the demo, for the patients to answer from the first second. ``check`` prints, as JSON, how many
acknowledged writes it found and what is missing or not as acknowledged.
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

EPISODES_WITHOUT_EMAIL = 12


def prepare(out: Path) -> None:
    from django.core.management import call_command

    from needlechart.charting.models import Encounter
    from needlechart.clinics.models import User
    from needlechart.core.access import Role
    from needlechart.outcomes import services as outcomes
    from needlechart.patients import services as patients
    from needlechart.patients.models import Episode
    from needlechart.web.demo import DEMO_CLINIC_NAME

    call_command("demo", no_serve=True, stdout=io.StringIO())
    staff = User.objects.filter(clinic__name=DEMO_CLINIC_NAME)
    front_desk = staff.get(role=Role.FRONT_DESK)
    episodes = list(
        Episode.objects.filter(clinic_id=front_desk.clinic_id).select_related("patient").order_by("id")[:EPISODES_WITHOUT_EMAIL]
    )
    for episode in episodes:
        patients.patient_update(actor=front_desk, patient=episode.patient, data={"email": ""})
    links = []
    signed = Encounter.objects.filter(clinic_id=front_desk.clinic_id, note__signed_at__isnull=False).select_related("practitioner")
    for encounter in signed.order_by("id"):
        _link, url = outcomes.follow_up_link_create(
            actor=encounter.practitioner, encounter=encounter, base_url="http://127.0.0.1", send_email=False
        )
        links.append(urlsplit(url).path)
    practitioners = list(staff.filter(role=Role.PRACTITIONER).order_by("username").values_list("username", flat=True))
    out.write_text(json.dumps({"practitioners": practitioners, "episodes": [str(e.pk) for e in episodes], "links": links}))


def problems(writes: list[dict[str, Any]]) -> list[str]:
    """What is missing or different from what the server acknowledged, one line per write. (Whether
    each signed note still matches its digest is ``needlechart verify-records``'s to say.)"""
    from needlechart.charting.models import Encounter, Note
    from needlechart.outcomes.models import FollowUpLink, FollowUpResponse

    ids = {kind: [w["id"] for w in writes if w["kind"] == kind] for kind in ("visit", "note", "link", "answer")}
    visits = Encounter.objects.select_related("practitioner").in_bulk(ids["visit"])
    notes = {str(n.encounter_id): n for n in Note.objects.filter(encounter_id__in=ids["note"]).select_related("author")}
    links = FollowUpLink.objects.in_bulk(ids["link"])
    answers = {str(r.link_id): r for r in FollowUpResponse.objects.filter(link_id__in=ids["answer"]).select_related("link")}
    found: list[str] = []
    for write in writes:
        kind, id_, detail = write["kind"], write["id"], write["detail"]
        what = f"{kind} {id_} (acknowledged with HTTP {write['status']} at {write['at']:.2f} s to {write['by']})"
        if kind == "visit":
            visit = visits.get(uuid.UUID(id_))
            if visit is None or visit.reason != detail["reason"] or visit.practitioner.username != detail["practitioner"]:
                found.append(f"{what}: the visit is missing" if visit is None else f"{what}: the visit is not the one booked")
        elif kind == "note":
            note = notes.get(id_)
            if note is None:
                found.append(f"{what}: the note is missing")
            elif note.signed_at is None:
                found.append(f"{what}: the note is not signed")
            elif note.subjective != detail["subjective"] or note.author.username != detail["practitioner"]:
                found.append(f"{what}: the note is not the one signed")
        elif kind == "link":
            link = links.get(uuid.UUID(id_))
            if link is None or str(link.encounter_id) != detail["encounter"]:
                found.append(f"{what}: the follow-up link is missing" if link is None else f"{what}: the link is for another visit")
        else:
            answer = answers.get(id_)
            if answer is None:
                found.append(f"{what}: the follow-up answer is missing")
            elif answer.comment != detail["comment"] or str(answer.soreness) != detail["soreness"] or answer.link.used_at is None:
                found.append(f"{what}: the follow-up answer is not the one sent")
    return found


def main(argv: list[str]) -> int:
    import django

    django.setup()
    command, path = argv[0], Path(argv[1])
    if command == "prepare":
        prepare(path)
    else:
        writes = json.loads(path.read_text())
        print(json.dumps({"problems": problems(writes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

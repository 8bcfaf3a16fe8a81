"""Prescribing a home programme: suggested from the muscles needled, adjusted by its author while
the note is a draft, signed with the note and frozen; bad input and the wrong person get a 4xx."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.charting.services import signed_record_verify
from needlechart.core.db_triggers import immutability_lifted
from needlechart.core.signed import SignedRecordImmutable
from needlechart.homecare import services
from needlechart.homecare.models import HomeProgramme, ProgrammeItem
from needlechart.homecare.suggest import MAX_ITEMS, suggest

HTMX = {"HTTP_HX_REQUEST": "true"}


def _items(encounter):
    return list(ProgrammeItem.objects.filter(encounter=encounter).order_by("position"))


# --- suggestions --------------------------------------------------------------------------------


def test_a_suggestion_takes_each_needled_muscles_first_stretch_and_self_release_on_its_side():
    suggestions = suggest([("upper_trapezius", "r"), ("gluteus_medius", "l"), ("upper_trapezius", "l")])
    assert [(s.item.id, s.side) for s in suggestions] == [
        ("upper_trapezius_stretch", "b"),  # needled right and left: both sides
        ("upper_trapezius_self_massage", "b"),
        ("knee_to_opposite_shoulder", "l"),
        ("gluteal_ball_release", "l"),
    ]
    assert suggestions[2].muscles == ("gluteus_medius",)


def test_a_suggestion_for_a_muscle_without_sides_keeps_the_item_sideless_and_skips_excluded_items():
    suggestions = suggest([("masseter", "r"), ("suboccipitals", "l")], exclude=["jaw_massage"])
    assert [(s.item.id, s.side) for s in suggestions] == [("chin_tuck", ""), ("suboccipital_ball_release", "")]


def test_a_suggestion_is_capped():
    muscles = ["upper_trapezius", "gluteus_medius", "gastrocnemius", "masseter", "piriformis", "scalenes"]
    assert len(suggest([(m, "r") for m in muscles])) == MAX_ITEMS


def test_suggest_fills_the_programme_from_the_needling_record_with_the_usual_dosage(prescribed, practitioner):
    rows = _items(prescribed)
    assert [(r.item_id, r.side) for r in rows] == [
        ("upper_trapezius_stretch", "r"),
        ("upper_trapezius_self_massage", "r"),
        ("knee_to_opposite_shoulder", "l"),
        ("gluteal_ball_release", "l"),
    ]
    stretch = rows[0]
    assert (stretch.hold_seconds, stretch.repetitions, stretch.times_per_day, stretch.days_per_week, stretch.minutes) == (30, 3, 2, 7, None)
    programme = HomeProgramme.objects.get(encounter=prescribed)
    assert programme.author == practitioner
    assert AuditEvent.objects.filter(object_type="home_programme", object_id=str(programme.pk), action="create").exists()
    # again: nothing twice
    assert services.programme_suggest(actor=practitioner, encounter=prescribed) == 0
    assert len(_items(prescribed)) == 4


def test_suggest_without_needles_is_refused(encounter, practitioner):
    with pytest.raises(ValidationError, match="No muscles have been needled"):
        services.programme_suggest(actor=practitioner, encounter=encounter)


# --- the panel through its views -----------------------------------------------------------------


def test_the_practitioner_suggests_adjusts_and_removes_through_the_panel(client_for, practitioner, ready_session, draft_note):
    client = client_for(practitioner)
    page = client.get(reverse("encounter_detail", args=[ready_session.pk])).content.decode()
    assert 'data-testid="home-programme"' in page and "Suggest from needled muscles" in page

    response = client.post(reverse("homecare_suggest", args=[ready_session.pk]), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="hc-item-upper_trapezius_stretch"' in body and "Hold 30 seconds · 3 repetitions · 2 times a day" in body

    row = _items(ready_session)[0]
    data = {"side": "r", "hold_seconds": "45", "repetitions": "2", "times_per_day": "3", "days_per_week": "5", "note": "Before work"}
    response = client.post(reverse("homecare_item_update", args=[row.pk]), data, **HTMX)
    assert response.status_code == 200
    row.refresh_from_db()
    dosage = (row.hold_seconds, row.repetitions, row.times_per_day, row.days_per_week, row.sets)
    assert dosage == (45, 2, 3, 5, None) and row.note == "Before work"
    assert "Hold 45 seconds · 2 repetitions · 3 times a day · 5 days a week" in response.content.decode()

    response = client.post(reverse("homecare_add", args=[ready_session.pk]), {"item_id": "heat", "side": "b"}, **HTMX)
    assert response.status_code == 200 and _items(ready_session)[-1].item_id == "heat" and _items(ready_session)[-1].side == ""

    response = client.post(reverse("homecare_item_remove", args=[row.pk]), **HTMX)
    assert response.status_code == 200 and not ProgrammeItem.objects.filter(pk=row.pk).exists()

    response = client.post(reverse("homecare_note", args=[ready_session.pk]), {"note": "Little and often."})
    assert response.status_code == 302  # without HTMX: back to the visit
    assert HomeProgramme.objects.get(encounter=ready_session).note == "Little and often."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"side": "r", "hold_seconds": "900"}, "less than or equal to 300"),
        ({"side": "r", "days_per_week": "8"}, "less than or equal to 7"),
        ({"side": "r", "repetitions": "0"}, "greater than or equal to 1"),
        ({"side": "r", "times_per_day": "twice"}, "whole number"),
        ({"side": "x"}, "valid choice"),
        ({"side": ""}, "Choose the right side, the left side or both."),
        ({"side": "r", "note": "x" * 301}, "at most 300"),
    ],
)
def test_bad_dosage_or_side_gets_400_with_the_reason(client_for, practitioner, prescribed, data, message):
    row = _items(prescribed)[0]
    response = client_for(practitioner).post(reverse("homecare_item_update", args=[row.pk]), data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    row.refresh_from_db()
    assert row.hold_seconds == 30 and row.side == "r"


def test_bad_additions_get_400(client_for, practitioner, prescribed):
    client = client_for(practitioner)
    assert client.post(reverse("homecare_add", args=[prescribed.pk]), {"item_id": "levitation"}, **HTMX).status_code == 400
    twice = client.post(reverse("homecare_add", args=[prescribed.pk]), {"item_id": "upper_trapezius_stretch", "side": "r"}, **HTMX)
    assert twice.status_code == 400 and "already in the programme" in twice.content.decode()
    sideless = client.post(reverse("homecare_item_update", args=[_items(prescribed)[0].pk]), {"side": ""}, **HTMX)
    assert sideless.status_code == 400
    heat = services.programme_item_add(actor=practitioner, encounter=prescribed, item_id="heat")
    sided_heat = client.post(reverse("homecare_item_update", args=[heat.pk]), {"side": "r", "minutes": "15"}, **HTMX)
    assert sided_heat.status_code == 400 and "not done on one side" in sided_heat.content.decode()
    assert client.post(reverse("homecare_note", args=[prescribed.pk]), {"note": "x" * 1001}, **HTMX).status_code == 400


def test_a_get_is_not_allowed_and_a_bad_id_is_404(client_for, practitioner, prescribed):
    client = client_for(practitioner)
    assert client.get(reverse("homecare_suggest", args=[prescribed.pk])).status_code == 405
    assert client.post("/home-programme/items/00000000-0000-0000-0000-000000000000/", **HTMX).status_code == 404
    assert client.post("/home-programme/items/not-a-uuid/", **HTMX).status_code == 404


# --- who may ------------------------------------------------------------------------------------


def test_only_the_author_changes_the_programme(client_for, second_practitioner, prescribed):
    row = _items(prescribed)[0]
    with pytest.raises(PermissionDenied):
        services.programme_item_update(actor=second_practitioner, row=row, side="l", dosage={})
    client = client_for(second_practitioner)
    for response in (
        client.post(reverse("homecare_item_update", args=[row.pk]), {"side": "l"}, **HTMX),
        client.post(reverse("homecare_item_remove", args=[row.pk]), **HTMX),
        client.post(reverse("homecare_suggest", args=[prescribed.pk]), **HTMX),
        client.post(reverse("homecare_add", args=[prescribed.pk]), {"item_id": "heat"}, **HTMX),
    ):
        assert response.status_code == 403
        assert "Only the practitioner who prescribed" in response.content.decode()
    row.refresh_from_db()
    assert row.side == "r" and len(_items(prescribed)) == 4


def test_a_colleague_cannot_start_a_programme_on_anothers_draft_note(second_practitioner, ready_session, draft_note):
    with pytest.raises(PermissionDenied, match="practitioner of this visit"):
        services.programme_item_add(actor=second_practitioner, encounter=ready_session, item_id="heat")


def test_a_colleague_cannot_start_a_programme_on_a_visit_without_a_note(second_practitioner, ready_session):
    with pytest.raises(PermissionDenied, match="practitioner of this visit"):
        services.programme_item_add(actor=second_practitioner, encounter=ready_session, item_id="heat")
    assert not HomeProgramme.objects.filter(encounter=ready_session).exists()


def test_the_panel_is_read_only_for_a_colleague(client_for, second_practitioner, prescribed):
    page = client_for(second_practitioner).get(reverse("encounter_detail", args=[prescribed.pk])).content.decode()
    assert 'data-testid="hc-item-upper_trapezius_stretch"' in page
    assert 'data-testid="home-programme-suggest"' not in page and 'data-testid="hc-form-' not in page


def test_front_desk_anonymous_and_other_clinics(client, client_for, front_desk, other_practitioner, prescribed):
    row = _items(prescribed)[0]
    url = reverse("homecare_item_update", args=[row.pk])
    assert client.post(url, {"side": "l"}).status_code == 302  # to sign in
    assert client_for(front_desk).post(url, {"side": "l"}).status_code == 403
    client.logout()
    outsider = client_for(other_practitioner)
    assert outsider.post(url, {"side": "l"}).status_code == 404
    assert outsider.post(reverse("homecare_suggest", args=[prescribed.pk])).status_code == 404
    row.refresh_from_db()
    assert row.side == "r"


# --- signed with the note -----------------------------------------------------------------------


def test_the_signed_note_carries_the_programme_and_verifies(prescribed, signed_programme):
    content = json.loads(signed_programme.canonical)
    programme = content["home_programme"]
    assert [i["item"] for i in programme["items"]][:2] == ["upper_trapezius_stretch", "upper_trapezius_self_massage"]
    assert programme["items"][0] == {
        "item": "upper_trapezius_stretch",
        "side": "r",
        "note": "",
        "hold_seconds": 30,
        "minutes": None,
        "repetitions": 3,
        "sets": None,
        "times_per_day": 2,
        "days_per_week": 7,
    }
    assert content["judgements"]["home_programme_sources"]["upper_trapezius_stretch"] == {"source": "acsm-2021", "unverified": True}
    assert signed_record_verify(signed_programme)


def test_a_note_without_a_programme_has_no_home_programme_key(signed_note):
    assert "home_programme" not in json.loads(signed_note.canonical)
    assert signed_record_verify(signed_note)


def test_after_signing_the_programme_is_refused_by_services_views_and_the_database(client_for, practitioner, prescribed, signed_programme):
    row = _items(prescribed)[0]
    with pytest.raises(SignedRecordImmutable):
        services.programme_item_update(actor=practitioner, row=row, side="l", dosage={})
    with pytest.raises(SignedRecordImmutable):
        services.programme_item_add(actor=practitioner, encounter=prescribed, item_id="cold")
    client = client_for(practitioner)
    response = client.post(reverse("homecare_item_update", args=[row.pk]), {"side": "l"}, **HTMX)
    assert response.status_code == 409 and "signed" in response.content.decode()
    assert client.post(reverse("homecare_suggest", args=[prescribed.pk]), **HTMX).status_code == 409
    assert client.post(reverse("homecare_item_remove", args=[row.pk])).status_code == 409
    # around the services: the triggers refuse
    for statement in (
        ("UPDATE homecare_programmeitem SET hold_seconds = 90 WHERE id = %s", [row.pk.hex]),
        ("DELETE FROM homecare_programmeitem WHERE id = %s", [row.pk.hex]),
        ("UPDATE homecare_homeprogramme SET note = 'x' WHERE encounter_id = %s", [prescribed.pk.hex]),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(*statement)
    with pytest.raises(DatabaseError), transaction.atomic():
        ProgrammeItem.objects.filter(pk=row.pk).update(repetitions=9)
    row.refresh_from_db()
    assert row.hold_seconds == 30
    page = client.get(reverse("encounter_detail", args=[prescribed.pk])).content.decode()
    assert "Signed with the note" in page and 'data-testid="hc-form-' not in page


def test_an_edit_made_around_the_guards_fails_verification(prescribed, signed_programme):
    row = _items(prescribed)[0]
    with immutability_lifted(connection, {"homecare_programmeitem": "note_signed"}):
        ProgrammeItem.objects.filter(pk=row.pk).update(hold_seconds=5)
    signed_programme.refresh_from_db()
    assert not signed_record_verify(signed_programme)


def test_a_visit_without_needles_signs_its_programme_alone(practitioner, encounter, draft_note, screened):
    """A visit with a programme but no needles: the programme alone is signed."""
    services.programme_item_add(actor=practitioner, encounter=encounter, item_id="workstation_setup")
    note = charting.note_sign(actor=practitioner, note=draft_note)
    assert [i["item"] for i in json.loads(note.canonical)["home_programme"]["items"]] == ["workstation_setup"]

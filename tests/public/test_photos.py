"""The clinic's photo: checked by its bytes, drawn anew without its metadata, stored under media with
a new name each time, and served only for a published clinic, under its current name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from needlechart.audit.models import AuditEvent, AuditObject
from needlechart.public import services
from needlechart.public.models import PublicProfile
from needlechart.public.photos import MAX_BYTES, Photo
from tests.public.conftest import page_url
from tests.public.markup import read


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # noqa: F811 - pytest-django's settings fixture
    settings.MEDIA_ROOT = tmp_path / "media"


def image_bytes(kind: str = "JPEG", size: tuple[int, int] = (800, 600), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind, **save)
    return out.getvalue()


def _upload(client, content: bytes, name: str = "clinic.jpg", content_type: str = "image/jpeg"):
    return client.post(reverse("public_photo_upload"), {"photo": SimpleUploadedFile(name, content, content_type=content_type)})


def _files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _stored(profile) -> Path:
    profile.refresh_from_db()
    return Path(profile.photo.path)


def test_a_photo_is_stored_anew_without_its_camera_data_and_shown_on_the_home_page(client_for, clinic_admin, public_profile, client):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {2: (59.0, 54.0, 0.0)}  # GPS: a latitude
    assert _upload(client_for(clinic_admin), image_bytes(size=(3000, 2000), exif=exif.tobytes())).status_code == 302
    path = _stored(public_profile)
    assert path.is_relative_to(Path(public_profile.photo.storage.location) / "public" / str(public_profile.clinic_id))
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (1600, 1067) and not stored.getexif()
    assert b"CameraMaker" not in path.read_bytes()
    html = read(client.get(page_url("home", "en")))
    source = next(src for src in html.resources if "/photo/" in src)
    assert source == f"/c/test-clinic/photo/{path.name}"
    served = client.get(source)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"".join(served.streaming_content) == path.read_bytes()
    row = AuditEvent.objects.filter(object_type=AuditObject.PUBLIC_PAGES).latest("seq")
    assert row.detail == {"event": "photo", "format": "JPEG", "width": 1600, "height": 1067}


def test_a_png_stays_a_png(client_for, clinic_admin, public_profile):
    assert _upload(client_for(clinic_admin), image_bytes("PNG"), "logo.png", "image/png").status_code == 302
    with Image.open(_stored(public_profile)) as stored:
        assert stored.format == "PNG" and stored.size == (800, 600)


def test_a_new_photo_replaces_the_old_file_and_address(
    client_for, clinic_admin, public_profile, client, django_capture_on_commit_callbacks
):
    admin = client_for(clinic_admin)
    _upload(admin, image_bytes())
    first = _stored(public_profile)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(admin, image_bytes("PNG"), "new.png", "image/png")
    second = _stored(public_profile)
    assert first.name != second.name and not first.exists() and second.exists()
    assert client.get(f"/c/test-clinic/photo/{first.name}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(reverse("public_photo_remove")).status_code == 302
    assert not second.exists() and not PublicProfile.objects.get(pk=public_profile.pk).photo
    assert "/photo/" not in client.get(page_url("home", "en")).content.decode()


GIF = image_bytes("GIF")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="900" height="900"/></svg>'


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (GIF, "clinic.gif", "Upload a photo in JPEG or PNG format."),
        (SVG, "clinic.svg", "Upload a photo in JPEG or PNG format."),
        (b"%PDF-1.7\n1 0 obj\n", "clinic.jpg", "Upload a photo in JPEG or PNG format."),
        (b"just text, named like a photo", "clinic.jpg", "Upload a photo in JPEG or PNG format."),
        (image_bytes("WEBP"), "clinic.webp", "Upload a photo in JPEG or PNG format."),
        (image_bytes()[:400], "cut-short.jpg", "could not be read as a complete JPEG or PNG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "fake.png", "could not be read as a complete JPEG or PNG image"),
        (image_bytes(size=(120, 90)), "tiny.jpg", "it needs at least 400 × 300"),
        (image_bytes("PNG", size=(9000, 400)), "wide.png", "it may be at most 8000 pixels either way"),
        (image_bytes() + b"\x00" * (MAX_BYTES + 2**20), "huge.jpg", "The photo is 6.0\xa0MB; the limit is 5.0\xa0MB."),
    ],
    ids=["gif", "svg", "pdf", "text", "webp", "truncated", "fake-png", "too-small", "too-wide", "too-large"],
)
def test_what_is_no_usable_photo_is_refused_with_a_clear_message_and_400(client_for, clinic_admin, public_profile, content, name, message):
    response = _upload(client_for(clinic_admin), content, name)
    assert response.status_code == 400
    assert message in " ".join(response.context["photo_form"].errors["photo"])
    assert 'class="field-error" role="alert"' in response.content.decode()
    assert not PublicProfile.objects.get(pk=public_profile.pk).photo
    assert not _files()


def test_a_post_without_a_file_is_refused(client_for, clinic_admin, public_profile):
    response = client_for(clinic_admin).post(reverse("public_photo_upload"), {"photo": "not a file"})
    assert response.status_code == 400 and response.context["photo_form"].errors["photo"] == ["This field is required."]


def test_the_photo_needs_the_settings_saved_first(client_for, clinic_admin):
    response = _upload(client_for(clinic_admin), image_bytes())
    assert response.status_code == 400 and "Save the public pages" in response.content.decode()


def test_no_photo_is_served_for_an_unpublished_clinic_or_under_another_name(client_for, clinic_admin, public_profile, client):
    _upload(client_for(clinic_admin), image_bytes())
    name = _stored(public_profile).name
    assert client.get(f"/c/test-clinic/photo/{name}").status_code == 200
    assert client.get("/c/test-clinic/photo/..%2F..%2Fsettings.py").status_code == 404
    assert client.get("/c/test-clinic/photo/other.jpg").status_code == 404
    PublicProfile.objects.filter(pk=public_profile.pk).update(published=False)
    assert client.get(f"/c/test-clinic/photo/{name}").status_code == 404


def test_a_photo_whose_change_fails_leaves_no_file_behind(clinic_admin, public_profile, monkeypatch):
    def failing(**kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(services, "audit_record", failing)
    with pytest.raises(RuntimeError):
        services.photo_set(actor=clinic_admin, photo=Photo(image_bytes(), "JPEG", 800, 600))
    assert not _files() and not PublicProfile.objects.get(pk=public_profile.pk).photo

"""The demo clinic's public pages (needlechart.public), published, with its contact and opening hours."""

from __future__ import annotations

from needlechart.clinics.models import Clinic, User
from needlechart.public import services as public

DEMO_PUBLIC_SLUG = "fjordbyen"


def build_demo_public_pages(*, clinic: Clinic, admin: User) -> None:
    weekdays = [{"day": day, "opens": "08:00", "closes": "16:00"} for day in range(4)]
    public.profile_save(
        actor=admin,
        values={
            "slug": DEMO_PUBLIC_SLUG,
            "published": True,
            "default_language": "nb",
            "street_address": "Kaigata 4",
            "postal_code": "5003",
            "city": "Bergen",
            "phone": clinic.phone,
            "email": "post@fjordbyen.demo.needlechart.invalid",
        },
        opening_hours=[*weekdays, {"day": 4, "opens": "08:00", "closes": "14:00"}],
        photo_alts={},
    )

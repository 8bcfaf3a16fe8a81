"""The public pages' URLs and their admin page's, included at the root by the web shell (web/urls.py).

Each public page has one pattern per language (``c/<clinic>/nb/behandlere/``), all named
``public_page`` and told apart by their ``lang`` and ``page`` arguments:
``reverse("public_page", kwargs={"clinic_slug": ..., "lang": "nb", "page": "practitioners"})``.
The admin's text pages are one pattern per page and language in the same way (``public_text``).
"""

from django.urls import path

from needlechart.public import admin_views, booking_staff_views, booking_views, views
from needlechart.public.pages import LANGUAGES, PAGES

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("c/<slug:clinic_slug>/", views.clinic_root, name="public_root"),
    path("c/<slug:clinic_slug>/photo/<str:name>", views.photo, name="public_photo"),
    *[
        path(f"c/<slug:clinic_slug>/{lang}/{page.path(lang)}", views.public_page, {"lang": lang, "page": page.id}, name="public_page")
        for page in PAGES
        for lang in LANGUAGES
    ],
    *[
        path(f"c/<slug:clinic_slug>/{lang}/{suffix}", view, {"lang": lang}, name=name)
        for suffix, view, name in booking_views.ROUTES
        for lang in LANGUAGES
    ],
    *[path(suffix, view, name=name) for suffix, view, name in booking_staff_views.ROUTES],
    path("public-pages/", admin_views.public_admin, name="public_admin"),
    path("public-pages/photo/", admin_views.photo_upload, name="public_photo_upload"),
    path("public-pages/photo/remove/", admin_views.photo_remove, name="public_photo_remove"),
    *[
        path(f"public-pages/texts/{page.id}/{lang}/", admin_views.text_edit, {"page": page.id, "lang": lang}, name="public_text")
        for page in PAGES
        for lang in LANGUAGES
    ],
]

"""The v1 API's URLs: its routers in one ninja app."""

from __future__ import annotations

from needlechart.api.v1 import clinical, copies, patients, staff
from needlechart.api.v1.app import build_api

api = build_api([("", patients.router), ("", staff.router), ("", clinical.router), ("", copies.router)])

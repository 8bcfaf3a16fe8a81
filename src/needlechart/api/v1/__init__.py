"""The JSON API, version 1 (django-ninja), under /api/v1/: its app (app.py), routers and schemas."""

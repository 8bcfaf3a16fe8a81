"""Builders from needlechart's models to FHIR R4 resources, one module per kind of record.

Each builder is a pure function of rows already read (interop.selectors reads them in chunks):
it sends no query of its own when the rows were read as the selectors read them, returns a plain
JSON-ready dict and, unless told ``validate=False``, validates it with fhir.resources first.
Ids are needlechart's own (UUIDs; staff and audit rows by their integer keys), so a resource's
id is stable from one export to the next and references need no lookup.
"""

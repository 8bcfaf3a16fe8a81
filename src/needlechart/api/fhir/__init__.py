"""FHIR R4 REST under /fhir/: the CapabilityStatement, read and search (docs/architecture.md, "FHIR endpoints")."""

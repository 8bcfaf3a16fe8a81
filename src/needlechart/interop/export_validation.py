"""Validating a stream of resources with fhir.resources as exactly as ``validation.validate_resource``, faster.

An export's resources repeat most of their parts: the same codes, the same extensions, the same
practitioner references, thousands of times. fhir.resources' models validate each complex element
(an Extension, a CodeableConcept, a Reference) from its own data only: a model's validators
(``reject_null_complex_elements``, the choice and required-primitive checks of fhir_core) read
the model's own fields, never its parent's or its siblings'. So an element that validated once as
its type is valid wherever it appears again with the same content.

``StreamValidator.check`` therefore validates a resource with its R4B model after taking out the
complex elements it has already seen validated as the same type (compared by their JSON text): an
optional element is left out, a list keeps the elements not seen yet (and its first one if the
list is required). What is left out can only have been valid; what is left in is validated by
the model as it stands. Required elements, elements of a choice (``value[x]``) and the extension
siblings of primitives (``_birthDate``) are never left out, since their presence is part of their
parent's check. When the resource passes, its elements not seen before are remembered; a resource
that fails is refused as ``validate_resource`` refuses it (``InvalidResource``), and nothing of it
is remembered. Memory is bounded: once ``limit`` elements are remembered they become the older
generation, still consulted, and the one before it is forgotten (at most twice ``limit`` kept).
"""

from __future__ import annotations

import functools
import json
import typing
from dataclasses import dataclass
from typing import Any

from fhir_core.types import FhirBase
from pydantic import ValidationError

from needlechart.interop.validation import InvalidResource, _model

LIMIT = 10_000  # elements per generation: a few MB (an element is its JSON text, a few hundred bytes)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@dataclass(frozen=True)
class _Field:
    model: Any  # the element's model class
    many: bool  # a list of elements
    droppable: bool  # may be left out when seen (optional, not a choice)


def _element_model(annotation: Any) -> tuple[Any, bool] | None:
    """The complex element model of a field's annotation (unwrapping Optional and List), and whether it is a list."""
    many = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Union:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return None
            annotation = args[0]
        elif origin is list:
            many = True
            annotation = typing.get_args(annotation)[0]
        else:
            break
    if isinstance(annotation, type) and issubclass(annotation, FhirBase):
        model = annotation.get_model_klass()
        if getattr(model, "__resource_type__", None) == "FHIRPrimitiveExtension" or model.has_resource_base():
            return None  # primitives' extension siblings and contained resources: always validated in place
        return model, many
    return None


@functools.cache
def _fields(model: Any) -> dict[str, _Field]:
    """The model's complex-element fields by their JSON name."""
    fields: dict[str, _Field] = {}
    for name, info in model.model_fields.items():
        if name.endswith("__ext"):
            continue
        element = _element_model(info.annotation)
        if element is None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        droppable = not info.is_required() and not extra.get("one_of_many") and not extra.get("element_required")
        fields[info.alias or name] = _Field(element[0], element[1], droppable)
    return fields


class StreamValidator:
    """Validates resources one after another, remembering the elements already validated (see the module)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._seen: set[tuple[Any, str]] = set()
        self._older: set[tuple[Any, str]] = set()

    def _known(self, element: tuple[Any, str]) -> bool:
        return element in self._seen or element in self._older

    def check(self, resource: dict[str, Any]) -> dict[str, Any]:
        """The resource, once validated; ``InvalidResource`` naming it and the errors unless its R4B model accepts it."""
        model = _model(resource["resourceType"])
        learned: list[tuple[Any, str]] = []
        reduced = self._reduce(model, resource, learned)
        try:
            model.model_validate(reduced)
        except ValidationError as error:
            raise InvalidResource(f"{resource['resourceType']}/{resource.get('id')}: {error}") from error
        if len(self._seen) + len(learned) > self.limit:
            self._older, self._seen = self._seen, set()
        self._seen.update(learned)
        return resource

    def _reduce(self, model: Any, data: dict[str, Any], learned: list[tuple[Any, str]]) -> dict[str, Any]:
        fields = _fields(model)
        out: dict[str, Any] | None = None
        for key, value in data.items():
            spec = fields.get(key)
            if spec is None:
                continue
            if spec.many:
                if not isinstance(value, list):
                    continue
                kept = self._reduce_list(spec, value, learned)
                if kept is value:
                    continue
                out = dict(data) if out is None else out
                if kept:
                    out[key] = kept
                else:
                    del out[key]
            elif isinstance(value, dict):
                seen = (spec.model, _dumps(value))
                known = self._known(seen)
                if known and spec.droppable:
                    out = dict(data) if out is None else out
                    del out[key]
                    continue
                if not known:
                    learned.append(seen)
                reduced = self._reduce(spec.model, value, learned)
                if reduced is not value:
                    out = dict(data) if out is None else out
                    out[key] = reduced
        return data if out is None else out

    def _reduce_list(self, spec: _Field, items: list[Any], learned: list[tuple[Any, str]]) -> list[Any]:
        kept: list[Any] = []
        changed = False
        for index, item in enumerate(items):
            if not isinstance(item, dict):  # a null or a wrong type: the model refuses it in place
                kept.append(item)
                continue
            seen = (spec.model, _dumps(item))
            known = self._known(seen)
            if known and (spec.droppable or index > 0):
                changed = True
                continue
            if not known:
                learned.append(seen)
            reduced = self._reduce(spec.model, item, learned)
            changed = changed or reduced is not item
            kept.append(reduced)
        return kept if changed else items

"""Reading content YAML: the shipped files with libyaml's safe loader, other text with PyYAML's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from needlechart.content.errors import ContentError

# The shipped files are ours and large (muscles.yaml): the C safe loader, ten times faster.
# Text from elsewhere (a clinic's upload) goes through the pure-Python safe loader, which
# stops deep nesting with a RecursionError where libyaml can crash the process.
_FILE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(directory: Path, name: str) -> Any:
    try:
        text = (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError(name, "-", "file is missing") from exc
    try:
        return yaml.load(text, Loader=_FILE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ContentError(name, "-", f"is not valid YAML: {exc}") from exc


def read_entries(directory: Path, name: str) -> list[Any]:
    """The file ``name`` of ``directory``, which must be a YAML list of entries."""
    content = _read(directory, name)
    if not isinstance(content, list):
        raise ContentError(name, "-", "must be a list of entries")
    return content


def read_mapping(directory: Path, name: str) -> dict[str, Any]:
    """The file ``name`` of ``directory``, which must be a YAML mapping."""
    content = _read(directory, name)
    if not isinstance(content, dict):
        raise ContentError(name, "-", "must be a mapping")
    return content


# What a definition may hold once its aliases (``*name``) are expanded: a questionnaire is a few
# hundred values, while a few hundred bytes of nested aliases (the "billion laughs") stand for
# billions, which anything that walks them (a check, a message, a JSON copy) would spend
# gigabytes on.
MAX_EXPANDED_VALUES = 100_000


def _within_expanded_size(value: Any) -> bool:
    """Whether ``value``, with shared (aliased) parts counted each time they appear, holds at most
    ``MAX_EXPANDED_VALUES`` values; stops counting as soon as it holds more."""
    budget, stack = MAX_EXPANDED_VALUES, [value]
    while stack:
        budget -= 1
        if budget < 0:
            return False
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def parse_text(name: str, text: str) -> Any:
    """YAML text not shipped with needlechart (an upload), parsed safely; ``name`` is for the error."""
    try:
        content = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the safe loader
    except yaml.YAMLError as exc:
        raise ContentError(name, "-", f"is not valid YAML: {exc}") from None
    except RecursionError:
        raise ContentError(name, "-", "is nested too deeply to read as YAML") from None
    except (ValueError, OverflowError) as exc:  # a date that does not exist (2024-02-30), a number of thousands of digits
        raise ContentError(name, "-", f"holds a value that cannot be read: {str(exc)[:200]}") from None
    if not _within_expanded_size(content):
        raise ContentError(name, "-", f"holds more than {MAX_EXPANDED_VALUES:,} values once its aliases (*name) are expanded")
    return content

"""Whether a unit code is a UCUM expression (the Unified Code for Units of Measure, ucum.org).

UCUM codes are case-sensitive terms of unit atoms, each with an optional metric prefix and an
integer exponent, joined by ``.`` (multiplied) and ``/`` (divided), with parentheses, integer
factors and ``{annotations}``; ``kPa``, ``mm``, ``deg``, ``{score}``, ``mL/min``, ``kg.m-2``,
``/min`` are units, ``degrees``, ``kpa``, ``KPa`` and ``sec`` are not. This checks the grammar in
full and the atoms against the table below: the base units, the SI units and the customary units
a clinic records. An atom outside the table is refused, so a rare unit would need adding here
before needlechart sends it.
"""

from __future__ import annotations

import re

# Atoms that take a metric prefix (UCUM's "metric" units).
_METRIC = frozenset(
    ["m", "s", "g", "rad", "sr", "K", "C", "cd", "mol", "Hz", "N", "Pa", "J", "W", "A", "V", "F", "Ohm", "S", "Wb", "T", "H"]
    + ["Cel", "L", "l", "bar", "eq", "osm", "U", "kat", "Bq", "Gy", "Sv", "cal", "m[Hg]", "m[H2O]", "g%", "t"]
)
# Atoms that take none.
_PLAIN = frozenset(
    [
        "1",
        "%",
        "10*",
        "10^",
        "[pi]",
        "deg",
        "'",
        "''",
        "min",
        "h",
        "d",
        "wk",
        "mo",
        "a",
        "[in_i]",
        "[ft_i]",
        "[lb_av]",
        "[oz_av]",
        "[degF]",
        "[ppm]",
        "[ppb]",
        "[iU]",
        "[IU]",
        "[drp]",
        "[mi_i]",
        "[yd_i]",
        "[cal]",
        "[psi]",
        "[pH]",
    ]
)
_PREFIXES = ("da", "Y", "Z", "E", "P", "T", "G", "M", "k", "h", "d", "c", "m", "u", "n", "p", "f", "a", "z", "y")
_ANNOTATION = re.compile(r"\{[!-z|~]*\}")  # printable ASCII (33-126) but the braces themselves
_EXPONENT = re.compile(r"[+-]?\d+")
_FACTOR = re.compile(r"\d+")
_SYMBOL = re.compile(r"(\[[^\]]+\]|[^.\/(){}\[\]0-9+-]+)+")


def _simple_unit(text: str) -> bool:
    """An atom, or a metric atom behind a prefix."""
    if text in _METRIC or text in _PLAIN:
        return True
    return any(text.startswith(prefix) and text[len(prefix) :] in _METRIC for prefix in _PREFIXES)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def parse(self) -> bool:
        if self.text.startswith("/"):
            self.at = 1
        return self.term() and self.at == len(self.text)

    def term(self) -> bool:
        if not self.component():
            return False
        while self.at < len(self.text) and self.text[self.at] in "./":
            self.at += 1
            if not self.component():
                return False
        return True

    def component(self) -> bool:
        text = self.text
        if text.startswith("(", self.at):
            self.at += 1
            if not self.term() or not text.startswith(")", self.at):
                return False
            self.at += 1
            return True
        annotation = _ANNOTATION.match(text, self.at)
        if annotation:  # an annotation alone stands for the unit 1
            self.at = annotation.end()
            return True
        start = self.at
        symbol = _SYMBOL.match(text, self.at)
        if text.startswith(("10*", "10^"), self.at):
            self.at += 3
        elif symbol:
            self.at = symbol.end()
        else:
            factor = _FACTOR.match(text, self.at)
            if not factor:
                return False
            self.at = factor.end()
            return True  # a plain integer factor
        if not _simple_unit(text[start : self.at]):
            return False
        exponent = _EXPONENT.match(text, self.at)
        if exponent:
            self.at = exponent.end()
        annotation = _ANNOTATION.match(text, self.at)
        if annotation:
            self.at = annotation.end()
        return True


def is_ucum(code: str) -> bool:
    """Whether ``code`` is a well-formed UCUM unit made of known atoms (see the module's docstring)."""
    return bool(code) and code.isascii() and " " not in code and _Parser(code).parse()

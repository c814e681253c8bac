"""SOL013 attribute-based filtering (5.2). Pure. Attribute selectors (5.3) are in ``fields``.

Filtering: ``filter=(eq,vnfdId,abc);(in,instantiationState,INSTANTIATED,NOT_INSTANTIATED)``
is a list of terms joined by ``;`` that all must hold. Operators: ``eq``, ``neq``, ``gt``,
``gte``, ``lt``, ``lte`` (one value) and ``in``, ``nin``, ``cont``, ``ncont`` (one or more).
Attribute names are paths with ``/`` (``instantiatedVnfInfo/vnfState``); in a name ``~1``
stands for ``/``, ``~a`` for ``,``, ``~b`` for ``@`` and ``~0`` for ``~``; a segment
``@key`` means the keys of a map. A value holding ``,``, ``'`` or ``)`` is written in single
quotes, a quote inside doubled (``'it''s'``). Where a path crosses arrays, a positive term
(``eq``, ``in``, ``cont``, comparisons) holds when some value matches and a negative one
(``neq``, ``nin``, ``ncont``) when none does; an absent attribute fails positive terms and
passes negative ones. Values compare as the attribute's JSON type: booleans as
``true``/``false``, numbers numerically, strings as strings (ISO dates compare in order).

Every malformed expression raises ``SelectorError`` whose message a 400 ProblemDetails
shows as is (``fields`` and ``paging`` raise it too).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

ONE_VALUE = frozenset({"eq", "neq", "gt", "gte", "lt", "lte"})
MANY_VALUES = frozenset({"in", "nin", "cont", "ncont"})
_NEGATIVE = {"neq": "eq", "nin": "in", "ncont": "cont"}
KEY = "@key"
_UNESCAPE = {"1": "/", "a": ",", "b": "@", "0": "~"}


class SelectorError(ValueError):
    """A filter or attribute selector that cannot be used; the message says why."""


@dataclass(frozen=True)
class Term:
    op: str
    path: tuple[str | None, ...]  # None: the @key segment
    values: tuple[str, ...]

    def matches(self, item: Mapping[str, Any]) -> bool:
        found = _values_at(item, self.path)
        positive = _NEGATIVE.get(self.op, self.op)
        hit = any(self._holds(positive, value) for value in found)
        return not hit if self.op in _NEGATIVE else hit

    def _holds(self, op: str, actual: Any) -> bool:
        wanted = [_coerce(value, actual, self.shown) for value in self.values]
        if op == "eq":
            return bool(actual == wanted[0])
        if op == "in":
            return actual in wanted
        if op == "cont":
            return any(str(w) in str(actual) for w in wanted)
        if isinstance(actual, bool) or not isinstance(actual, int | float | str):
            raise SelectorError(f"Invalid filter: {op} needs a number or string at {self.shown}")
        try:
            return bool(_COMPARE[op](actual, wanted[0]))
        except TypeError:
            raise SelectorError(f"Invalid filter: cannot compare {self.shown}") from None

    @property
    def shown(self) -> str:
        return "/".join(KEY if part is None else part for part in self.path)


@dataclass(frozen=True)
class Filter:
    terms: tuple[Term, ...]

    def matches(self, item: Mapping[str, Any]) -> bool:
        """True when every term holds; raises SelectorError for a value of the wrong type."""
        return all(term.matches(item) for term in self.terms)


def parse_filter(expression: str, *, attributes: Collection[str] | None = None) -> Filter:
    """The parsed ``filter`` parameter; ``attributes``: the resource's top-level names."""
    scanner = _Scanner(expression)
    terms = [scanner.term()]
    while not scanner.done():
        scanner.expect(";")
        terms.append(scanner.term())
    for term in terms:
        head = term.path[0]
        if attributes is not None and head not in attributes:
            raise SelectorError(f"Invalid filter: unknown attribute {term.shown}")
    return Filter(tuple(terms))


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def fail(self, what: str) -> SelectorError:
        return SelectorError(f"Invalid filter: {what} at character {self.pos + 1} of {self.text!r}")

    def expect(self, char: str) -> None:
        if self.done() or self.text[self.pos] != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def until(self, stops: str) -> str:
        start = self.pos
        while not self.done() and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]

    def term(self) -> Term:
        self.expect("(")
        op = self.until(",)")
        if op not in ONE_VALUE | MANY_VALUES:
            raise self.fail(f"unknown operator {op!r}")
        self.expect(",")
        path = _path(self.until(",)"), self)
        values: list[str] = []
        while not self.done() and self.text[self.pos] == ",":
            self.pos += 1
            values.append(self.value())
        self.expect(")")
        if not values:
            raise self.fail(f"{op} needs a value")
        if op in ONE_VALUE and len(values) > 1:
            raise self.fail(f"{op} takes one value, not {len(values)}")
        return Term(op=op, path=path, values=tuple(values))

    def value(self) -> str:
        if self.done() or self.text[self.pos] != "'":
            value = self.until(",)'")
            if not value or (not self.done() and self.text[self.pos] == "'"):
                raise self.fail("a value must not be empty or hold a quote unless quoted")
            return value
        self.pos += 1
        chars: list[str] = []
        while True:
            if self.done():
                raise self.fail("unterminated quoted value")
            char = self.text[self.pos]
            self.pos += 1
            if char != "'":
                chars.append(char)
            elif not self.done() and self.text[self.pos] == "'":
                chars.append("'")
                self.pos += 1
            else:
                return "".join(chars)


def _path(text: str, scanner: _Scanner) -> tuple[str | None, ...]:
    parts = text.split("/")
    if not text or any(not part for part in parts):
        raise scanner.fail(f"bad attribute name {text!r}")
    return tuple(None if part == KEY else _unescape(part) for part in parts)


def _unescape(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "~" and index + 1 < len(segment) and segment[index + 1] in _UNESCAPE:
            out.append(_UNESCAPE[segment[index + 1]])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _values_at(item: Any, path: tuple[str | None, ...]) -> list[Any]:
    """Every value at ``path``, through arrays; [] when absent."""
    current = [item]
    for part in path:
        following: list[Any] = []
        for node in _flatten(current):
            if not isinstance(node, Mapping):
                continue
            if part is None:
                following.extend(node.keys())
            elif node.get(part) is not None:
                following.append(node[part])
        current = following
    return _flatten(current)


def _flatten(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def _coerce(value: str, actual: Any, shown: str) -> Any:
    if isinstance(actual, bool):
        if value not in ("true", "false"):
            raise SelectorError(f"Invalid filter: {shown} is a boolean, not {value!r}")
        return value == "true"
    if isinstance(actual, int | float):
        try:
            number = float(value)
        except ValueError:
            raise SelectorError(f"Invalid filter: {shown} is a number, not {value!r}") from None
        return int(number) if number.is_integer() and isinstance(actual, int) else number
    return value


_COMPARE = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}

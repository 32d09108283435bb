"""Cost Explorer filter `Expression`s, validated and compiled to predicates over line items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import validation
from .line_items import DIMENSION_GETTERS, KNOWN_DIMENSIONS, LineItem

Predicate = Callable[[LineItem], bool]

_OPERATORS = ("And", "Or", "Not", "Dimensions", "Tags", "CostCategories", "ProductAttributes")
_DIMENSION_MATCH_OPTIONS = frozenset({"EQUALS", "CASE_SENSITIVE"})
_TAG_MATCH_OPTIONS = frozenset({"EQUALS", "ABSENT", "CASE_SENSITIVE"})


def match_all(_item: LineItem) -> bool:
    """The predicate of a request without a filter."""
    return True


def compile_filter(expression: Any) -> Predicate:
    """Validate a `Filter` and return the predicate it stands for (None matches everything)."""
    if expression is None:
        return match_all
    return _compile(expression, "Filter")


def dimension_getter(key: Any, where: str) -> Callable[[LineItem], str]:
    """How to read dimension `key`; a ValidationException for keys not supported."""
    getter = DIMENSION_GETTERS.get(key) if isinstance(key, str) else None
    if getter is not None:
        return getter
    if key in KNOWN_DIMENSIONS:
        supported = ", ".join(sorted(DIMENSION_GETTERS))
        raise validation(
            f"{where}: dimension {key} is not supported by this stand-in (use {supported})"
        )
    raise validation(f"{where}: {key!r} is not a valid dimension")


def _compile(expression: Any, where: str) -> Predicate:
    if not isinstance(expression, dict):
        raise validation(f"{where} must be an Expression object")
    present = [name for name in _OPERATORS if expression.get(name) not in (None, [], {})]
    unknown = sorted(set(expression) - set(_OPERATORS))
    if unknown:
        raise validation(f"{where}: unknown field(s) {', '.join(unknown)}")
    if len(present) != 1:
        raise validation(
            f"{where}: an Expression must have exactly one of And, Or, Not, Dimensions, "
            f"Tags, CostCategories (found {len(present)})"
        )
    operator = present[0]
    value = expression[operator]
    if operator in ("And", "Or"):
        if not isinstance(value, list) or len(value) < 2:
            raise validation(f"{where}.{operator} must contain at least 2 expressions")
        parts = [_compile(part, f"{where}.{operator}[{i}]") for i, part in enumerate(value)]
        if operator == "And":
            return lambda item: all(part(item) for part in parts)
        return lambda item: any(part(item) for part in parts)
    if operator == "Not":
        inner = _compile(value, f"{where}.Not")
        return lambda item: not inner(item)
    if operator == "Dimensions":
        return _dimensions(value, f"{where}.Dimensions")
    if operator == "Tags":
        return _tags(value, f"{where}.Tags")
    raise validation(f"{where}: {operator} filters are not supported by this stand-in")


def _values(spec: dict[str, Any], where: str) -> list[str]:
    values = spec.get("Values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise validation(f"{where}.Values must be a list of strings")
    return values


def _match_options(spec: dict[str, Any], allowed: frozenset[str], where: str) -> set[str]:
    options = spec.get("MatchOptions") or ["EQUALS"]
    if not isinstance(options, list):
        raise validation(f"{where}.MatchOptions must be a list")
    bad = [o for o in options if o not in allowed]
    if bad:
        raise validation(
            f"{where}.MatchOptions {bad} are not valid here (valid: {', '.join(sorted(allowed))})"
        )
    return set(options)


def _dimensions(spec: Any, where: str) -> Predicate:
    if not isinstance(spec, dict):
        raise validation(f"{where} must be an object")
    getter = dimension_getter(spec.get("Key"), where)
    values = frozenset(_values(spec, where))
    if not values:
        raise validation(f"{where}.Values must not be empty")
    _match_options(spec, _DIMENSION_MATCH_OPTIONS, where)
    return lambda item: getter(item) in values


def _tags(spec: Any, where: str) -> Predicate:
    if not isinstance(spec, dict):
        raise validation(f"{where} must be an object")
    key = spec.get("Key")
    if not isinstance(key, str) or not key:
        raise validation(f"{where}.Key is required")
    values = frozenset(_values(spec, where))
    options = _match_options(spec, _TAG_MATCH_OPTIONS, where)
    absent = "ABSENT" in options or "" in values
    if not values and not absent:
        raise validation(f"{where} needs Values or the ABSENT match option")
    # AWS puts an empty tag value and a missing tag in the same bucket ("Key$").
    return lambda item: (item.tag(key) in values) or (absent and item.tag(key) == "")

"""Turning a pydantic validation error into one line a person can act on.

`teams.payments.channel is missing`, `tags.teem is not a known key (did you mean team?)`.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

_TYPE_WORDS = {
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "string_type": "must be text",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "too_short": "must not be empty",
}


def describe_error(error: Any, root: type[BaseModel]) -> str:
    """Turn one pydantic error into `teams.payments.channel is missing` style text."""
    full = [str(part) for part in error["loc"] if not _is_validator_tag(part)]
    loc = list(full)
    if loc[:1] == ["finops"]:
        loc = loc[1:]
    key = _key(loc) or "finops"
    kind = error["type"]
    if kind == "missing":
        return f"{key} is missing"
    if kind == "extra_forbidden":
        return f"{key} is not a known key{_did_you_mean(full, root)}"
    if kind in _TYPE_WORDS:
        got = error.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        return f"{key} {_TYPE_WORDS[kind]}{shown}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}"


def describe_errors(errors: list[Any], root: type[BaseModel]) -> str:
    """The first error in words; a missing key next to an unknown one that looks like it
    (`chanel:` for `channel:`) says so: `... channel is missing (found chanel: did you
    mean channel?)`."""
    first = errors[0]
    if first["type"] == "missing":
        parent, wanted = tuple(first["loc"][:-1]), str(first["loc"][-1])
        for other in errors:
            loc = tuple(other["loc"])
            close = difflib.get_close_matches(str(loc[-1]), [wanted], n=1, cutoff=0.6)
            if other["type"] == "extra_forbidden" and loc[:-1] == parent and close:
                return f"{describe_error(first, root)} (found {loc[-1]}: did you mean {wanted}?)"
    return describe_error(first, root)


def _is_validator_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in {"decimal", "str", "int"} or "[" in part)


def _key(loc: list[str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text


def _did_you_mean(loc: list[str], root: type[BaseModel]) -> str:
    """Suggest the closest known key for an unknown one."""
    model: Any = root
    for part in loc[:-1]:
        model = _step(model, part)
    names = list(getattr(model, "model_fields", None) or {})
    close = difflib.get_close_matches(loc[-1], names, n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (known keys: {', '.join(names)})" if names else ""


def _step(model: Any, part: str) -> Any:
    """Follow one location part from a model (or a container of models) to the next one."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        info = model.model_fields.get(part)
        return _inner(info.annotation) if info is not None else None
    if isinstance(model, tuple):  # ("container", item model): part is a key or an index
        return model[1]
    return None


def _inner(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = getattr(annotation, "__origin__", None)
    args = getattr(annotation, "__args__", ())
    if origin in (list, dict) and args:
        return ("container", _inner(args[-1]))
    for arg in args:  # Optional[X]
        found = _inner(arg)
        if found is not None:
            return found
    return None

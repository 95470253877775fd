"""Every setting's type, checked from the settings' own type hints: bools are bools, whole
numbers are ints, text is a string, tuples are tuples. A value of the wrong type is one problem,
collected with the others (``"no"`` must not switch a feature on, ``"5"`` is not a number).

A Terraform value (a token) passes wherever a string, a number or a list is expected: Terraform
checks it (see :mod:`.tokens`). Enum settings accept their members and the members' values, whose
own rule (``one of ...``) is checked by :mod:`.validation`.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Iterator, Mapping
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from lambda_dynamodb.config.errors import problem
from lambda_dynamodb.config.tokens import is_unresolved

#: How a rule names each plain type.
_NAMES: dict[type, str] = {bool: "true or false", int: "a whole number", str: "a string", Path: "a path"}


def type_problems(value: object, field: str) -> list[str]:
    """A problem for every field of the settings dataclass ``value`` whose value has the wrong type."""
    return list(_dataclass_problems(value, field))


def _dataclass_problems(value: object, field: str) -> Iterator[str]:
    for name, hint in _hints(type(value)).items():
        yield from _problems(getattr(value, name), hint, f"{field}.{name}")


@cache
def _hints(kind: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(kind)}
    return {name: hint for name, hint in get_type_hints(kind).items() if name in names}


def _problems(value: object, hint: Any, field: str) -> list[str]:
    if _is_token(value):
        return []
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if any(not _problems(value, option, field) for option in options):
            return []
        return [problem(field, value, " or ".join(_describe(option) for option in options))]
    if origin is tuple:
        return _tuple_problems(value, hint, field)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return _mapping_problems(value, hint, field)
    return _plain_problems(value, hint, field)


def _plain_problems(value: object, hint: Any, field: str) -> list[str]:
    if hint is type(None):
        return [] if value is None else [problem(field, value, "None")]
    if isinstance(hint, type) and issubclass(hint, Enum):
        # The member's value (a string) is fine here: validation names the members.
        return [] if isinstance(value, (hint, str)) else [problem(field, value, _describe(hint))]
    if hint is Path:
        return [] if isinstance(value, (str, Path)) else [problem(field, value, _NAMES[Path])]
    if hint is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [problem(field, value, _NAMES[int])]
    if hint in (bool, str):
        return [] if isinstance(value, hint) else [problem(field, value, _NAMES[hint])]
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            return [problem(field, type(value).__name__, f"a {hint.__name__}")]
        return type_problems(value, field)
    return []  # a type the settings do not use (a construct reference): checked where it is used


def _tuple_problems(value: object, hint: Any, field: str) -> list[str]:
    if not isinstance(value, tuple):
        return [problem(field, value, f"a tuple ({_describe(get_args(hint)[0])} each)")]
    element = get_args(hint)[0]
    return [p for index, item in enumerate(value) for p in _problems(item, element, f"{field}[{index}]")]


def _mapping_problems(value: object, hint: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [problem(field, value, "a mapping of strings to strings")]
    key_hint, value_hint = get_args(hint)
    found = []
    for key, item in value.items():
        found += _problems(key, key_hint, f"{field} key")
        found += _problems(item, value_hint, f"{field}[{key!r}]")
    return found


def _is_token(value: object) -> bool:
    # Only plain values can be tokens (jsii cannot even look at a list of settings objects),
    # and CDKTF's own objects: a variable's boolean value is an IResolvable.
    plain = (str, int, float)
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, plain) for item in value) and is_unresolved(value)
    if isinstance(value, plain):
        return is_unresolved(value)
    cdktf = sys.modules.get("cdktf")
    return cdktf is not None and hasattr(value, "__jsii_type__") and bool(cdktf.Tokenization.is_resolvable(value))


def _describe(hint: Any) -> str:
    if hint is type(None):
        return "None"
    if isinstance(hint, type) and issubclass(hint, Enum):
        return f"one of {', '.join(str(m.value) for m in hint)}"
    if get_origin(hint) is tuple:
        return "a tuple"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return f"a {hint.__name__}"
    return _NAMES.get(hint, getattr(hint, "__name__", str(hint)))

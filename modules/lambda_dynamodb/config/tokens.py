"""Values only Terraform knows: variables and references, which CDKTF encodes as tokens.

The module checks concrete values itself; a token is checked by Terraform instead (the
Terraform module's input variables carry the same rules as ``validation`` blocks), because its
value exists only at plan time.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def is_unresolved(value: object) -> bool:
    """True for a CDKTF token (a string, number or list standing for a Terraform expression)."""
    cdktf = sys.modules.get("cdktf")
    # Tokens are made by CDKTF only: before it is imported there can be none, and checking
    # settings stays free of the jsii runtime.
    if cdktf is None or isinstance(value, bool) or not isinstance(value, (str, int, float, list, tuple)):
        return False
    return bool(cdktf.Token.is_unresolved(list(value) if isinstance(value, tuple) else value))


def terraform_value(kind: type[E], value: E | str) -> str:
    """The Terraform spelling of an enum setting; a token passes through unchanged."""
    if is_unresolved(value):
        return str(value)
    return str(kind(value).value)


def literal(value: str) -> str:
    """``value`` as literal text in Terraform: ``${`` and ``%{`` would start an interpolation or a
    directive, so they are escaped (``$${``, ``%%{``); a token (a reference the user passes on
    purpose) stays a reference (https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences)."""
    if not isinstance(value, str) or is_unresolved(value):
        return value
    return value.replace("${", "$${").replace("%{", "%%{")


def literal_map(values: Mapping[str, str] | None) -> dict[str, str] | None:
    """A map of user text (tags, variables) with its keys and values :func:`literal`; None when empty."""
    return {literal(key): literal(value) for key, value in values.items()} if values else None
